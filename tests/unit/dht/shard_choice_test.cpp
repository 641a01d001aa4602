// The assignment every chooser computes (node/shard_choice.h), and the claim
// record it announces.
#include "node/shard_choice.h"

#include <gtest/gtest.h>

#include "dht/record.h"

namespace ss::node {
namespace {

TEST(AssignShard, ChoosersInPeerIdOrderFillTheEmptiestShards) {
  const std::vector<std::string> four = {"d", "b", "a", "c"};
  std::vector<int> got;
  for (const char* self : {"a", "b", "c", "d"}) got.push_back(AssignShard({0, 0, 0, 0}, four, self));
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3}));
  // Eight choosers on four shards: two each.
  const std::vector<std::string> eight = {"a", "b", "c", "d", "e", "f", "g", "h"};
  std::vector<int> per_shard(4, 0);
  for (const std::string& self : eight) per_shard[AssignShard({0, 0, 0, 0}, eight, self)]++;
  EXPECT_EQ(per_shard, (std::vector<int>{2, 2, 2, 2}));
  // Shards already served count: the latecomer takes the emptiest, lowest first.
  EXPECT_EQ(AssignShard({1, 0, 1, 0}, {"z"}, "z"), 1);
  EXPECT_EQ(AssignShard({1, 1, 1, 1}, {"z"}, "z"), 0);
  EXPECT_EQ(AssignShard({2, 1, 2, 2}, {"b", "a"}, "b"), 0);  // a takes 1, then b the lowest of the rest
  EXPECT_EQ(AssignShard({}, {"a"}, "a"), -1);
}

TEST(AssignShard, ANodeSkipsTheShardsItHasNoMemoryFor) {
  const std::vector<bool> not0 = {false, true, true, true};
  EXPECT_EQ(AssignShard({0, 0, 0, 0}, {"z"}, "z", not0), 1);  // shard 0 is emptiest, but too big
  EXPECT_EQ(AssignShard({0, 1, 1, 2}, {"z"}, "z", not0), 1);
  // The others' turns are computed as if they could take any shard.
  EXPECT_EQ(AssignShard({0, 0, 0, 0}, {"a", "z"}, "z", not0), 1);
  EXPECT_EQ(AssignShard({0, 0, 0, 0}, {"z"}, "z", {false, false, false, false}), -1);
  EXPECT_TRUE(ShardFits(800, 900));
  EXPECT_FALSE(ShardFits(800, 899));   // the weights and an eighth more
  EXPECT_TRUE(ShardFits(0, 1));        // size unknown
  EXPECT_TRUE(ShardFits(1 << 30, 0));  // no limit
}

TEST(SpareFor, EachOrphanTakesTheHighestPeerOfTheShardWithMostReplicas) {
  // Shard 0 orphaned; shard 3 has two serving nodes, shard 1 three.
  std::vector<std::vector<Replica>> serving = {{}, {{"a"}, {"q"}, {"c"}}, {{"d"}}, {{"e"}, {"z"}}};
  EXPECT_EQ(SpareFor(serving, {0}, {}, "q"), 0);  // shard 1 has the most replicas: its highest peer
  EXPECT_EQ(SpareFor(serving, {0}, {}, "z"), std::nullopt);
  EXPECT_EQ(SpareFor(serving, {0}, {}, "a"), std::nullopt);
  EXPECT_EQ(SpareFor(serving, {0, 2}, {}, "z"), 2);  // a second orphan: the next donor's spare
  EXPECT_EQ(SpareFor(serving, {}, {}, "q"), std::nullopt);
  EXPECT_EQ(SpareFor({{{"a"}}, {}, {{"b"}}}, {1}, {}, "b"), std::nullopt);  // no shard has a spare
}

TEST(SpareFor, ASpareMustHaveTheMemoryForTheOrphan) {
  // Shard 0 (900 bytes: needs 1012) orphaned; shard 1's highest peer "q" has
  // too little memory, so "c" goes; shard 3's nodes have none to spare.
  std::vector<std::vector<Replica>> serving = {
      {}, {{"a", 2000}, {"q", 1000}, {"c", 1100}}, {}, {{"e", 10}, {"z", 10}}};
  const std::vector<uint64_t> bytes = {900, 100, 100, 100};
  EXPECT_EQ(SpareFor(serving, {0}, bytes, "c"), 0);
  EXPECT_EQ(SpareFor(serving, {0}, bytes, "q"), std::nullopt);
  // No donor fits the first orphan: the second still gets shard 1's spare.
  serving[1] = {{"a", 10}, {"q", 1000}};
  EXPECT_EQ(SpareFor(serving, {0, 2}, bytes, "q"), 2);
  EXPECT_EQ(SpareFor(serving, {0, 2}, bytes, "z"), std::nullopt);  // shard 3's spare: shard 1 took shard 2
  // Unknown memory (0) fits anything, as does an unknown size.
  serving[1] = {{"a", 10}, {"q", 0}};
  EXPECT_EQ(SpareFor(serving, {0}, bytes, "q"), 0);
}

TEST(ClaimRecord, RoundTripsAndRefusesWrongFields) {
  dht::ClaimRecord c{"peer", "cl", 3, 1234};
  auto back = dht::ClaimRecord::FromJson(c.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->peer_id, "peer");
  EXPECT_EQ(back->shard, 3);
  EXPECT_EQ(back->time_ms, 1234);
  EXPECT_FALSE(dht::ClaimRecord::FromJson(R"({"peer_id":"p"})").ok());
  EXPECT_FALSE(dht::ClaimRecord::FromJson(R"({"peer_id":"p","cluster":"c","shard":-2})").ok());
  EXPECT_FALSE(dht::ClaimRecord::FromJson(R"({"peer_id":"p","cluster":"c","shard":4.9e40})").ok());
  EXPECT_FALSE(dht::ClaimRecord::FromJson("[1,2]").ok());
  EXPECT_EQ(dht::ClaimRecord::FromJson(R"({"peer_id":"p","cluster":"c"})")->shard, -1);
}

}  // namespace
}  // namespace ss::node
