// Route choice on hand-made node records: consecutive layers of one model,
// what a missing or wrong shard says, and the spread by sessions and by the
// stage times the gateway measured.
#include "gateway/router.h"

#include <gtest/gtest.h>

namespace ss::gateway {
namespace {

dht::NodeRecord Node(const std::string& peer, int shard, int start, int end,
                     const std::string& model = "m1") {
  dht::NodeRecord r;
  r.peer_id = peer;
  r.shard_id = shard;
  r.layer_start = start;
  r.layer_end = end;
  r.model_id = model;
  r.shard_loaded = true;
  return r;
}

std::vector<std::string> Peers(const Route& r) {
  std::vector<std::string> out;
  for (const auto& h : r.hops) out.push_back(h.peer_id);
  return out;
}

TEST(Router, JoinsConsecutiveLayersOfTheServedModel) {
  Router router;
  auto route = router.Pick({{Node("a", 0, 0, 4)}, {Node("b", 1, 4, 8)}}, "m1", 8);
  ASSERT_TRUE(route.ok()) << route.status().message();
  EXPECT_EQ(Peers(*route), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(route->Header(), "a,b");
}

TEST(Router, NamesEachShardItCannotFill) {
  Router router;
  auto other_model = router.Pick({{Node("a", 0, 0, 4)}, {Node("b", 1, 4, 8, "m2")}}, "m1", 8);
  ASSERT_EQ(other_model.status().code(), StatusCode::kNotReady);
  EXPECT_NE(other_model.status().message().find("shard 1: node b serves another model (m2)"),
            std::string::npos)
      << other_model.status().message();

  auto gap = router.Pick({{Node("a", 0, 0, 4)}, {Node("b", 1, 5, 8)}}, "m1", 8);
  ASSERT_FALSE(gap.ok());
  EXPECT_NE(gap.status().message().find("holds layers 5-7, but the route needs layer 4"), std::string::npos)
      << gap.status().message();

  auto empty = router.Pick({{Node("a", 0, 0, 4)}, {}}, "m1", 8);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("shard 1: no node serves it"), std::string::npos)
      << empty.status().message();

  auto short_route = router.Pick({{Node("a", 0, 0, 4)}, {Node("b", 1, 4, 6)}}, "m1", 8);
  ASSERT_FALSE(short_route.ok());
  EXPECT_NE(short_route.status().message().find("end at layer 6 of 8"), std::string::npos);

  EXPECT_EQ(router.Pick(std::vector<std::vector<dht::NodeRecord>>{}, "m1", 8).status().code(),
            StatusCode::kNotReady);
}

TEST(Router, SpreadsSessionsOverReplicasBeforeAnythingIsMeasured) {
  Router router;
  const std::vector<std::vector<dht::NodeRecord>> serving = {{Node("a", 0, 0, 8), Node("b", 0, 0, 8)}};
  auto first = router.Pick(serving, "m1", 8);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(Peers(*first), std::vector<std::string>{"a"});  // ties: lowest peer id
  router.Acquire(*first);
  auto second = router.Pick(serving, "m1", 8);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(Peers(*second), std::vector<std::string>{"b"});
  router.Release(*first);
  EXPECT_EQ(Peers(*router.Pick(serving, "m1", 8)), std::vector<std::string>{"a"});
}

TEST(Router, PrefersTheFasterReplicaUntilItsSessionsOutweighIt) {
  Router router;
  const std::vector<std::vector<dht::NodeRecord>> serving = {{Node("a", 0, 0, 8), Node("b", 0, 0, 8)}};
  router.ObserveStage("a", 30);
  router.ObserveStage("b", 10);
  auto r1 = router.Pick(serving, "m1", 8);
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(Peers(*r1), std::vector<std::string>{"b"});
  // b with 2 sessions: 10 x 3 = 30, a tie with idle a (30 x 1) -> fewer sessions wins.
  router.Acquire(*r1);
  router.Acquire(*r1);
  EXPECT_EQ(Peers(*router.Pick(serving, "m1", 8)), std::vector<std::string>{"a"});
  router.Release(*r1);  // b: 10 x 2 = 20 < 30
  EXPECT_EQ(Peers(*router.Pick(serving, "m1", 8)), std::vector<std::string>{"b"});
  // The measurement is a moving average: one slow step moves it a fifth of the way.
  router.ObserveStage("b", 110);  // 10 + 0.2 x 100 = 30: 30 x 2 = 60 > 30
  EXPECT_EQ(Peers(*router.Pick(serving, "m1", 8)), std::vector<std::string>{"a"});
  EXPECT_DOUBLE_EQ(router.StageMsPerNode()["b"].get<double>(), 30);
}

TEST(Router, AnUnmeasuredReplicaCountsAsTheBestMeasuredOne) {
  Router router;
  const std::vector<std::vector<dht::NodeRecord>> serving = {{Node("a", 0, 0, 8), Node("new", 0, 0, 8)}};
  router.ObserveStage("a", 50);
  auto r = router.Pick(serving, "m1", 8);  // tie at 50: a < new by peer id
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Peers(*r), std::vector<std::string>{"a"});
  router.Acquire(*r);  // a: 100 > new: 50
  EXPECT_EQ(Peers(*router.Pick(serving, "m1", 8)), std::vector<std::string>{"new"});
}

}  // namespace
}  // namespace ss::gateway
