// The console's feeds: the event journal (ids, replay, waiting, capacity),
// the events a swarm view change produces, and the per-second chart samples.
#include <gtest/gtest.h>

#include <thread>

#include "gateway/console_assets.h"
#include "gateway/event_journal.h"
#include "gateway/stats_series.h"
#include "gateway/swarm_events.h"

namespace ss::gateway {
namespace {

using nlohmann::json;

TEST(EventJournal, NumbersEventsAndReplaysThoseAfterAnId) {
  EventJournal j(3);
  for (int i = 0; i < 5; ++i) j.Add("node", "event " + std::to_string(i), {{"shard", i}});
  auto all = j.Since(0);
  ASSERT_EQ(all.size(), 3u);  // capacity: the oldest two are gone
  EXPECT_EQ(all[0]["id"], 3);
  EXPECT_EQ(all[0]["message"], "event 2");
  EXPECT_EQ(all[2]["id"], 5);
  EXPECT_EQ(all[2]["kind"], "node");
  EXPECT_EQ(all[2]["shard"], 4);
  EXPECT_GT(all[2]["time_ms"].get<int64_t>(), 1'700'000'000'000);
  auto after4 = j.Since(4);
  ASSERT_EQ(after4.size(), 1u);
  EXPECT_EQ(after4[0]["id"], 5);
  EXPECT_TRUE(j.Since(5).empty());
}

TEST(EventJournal, WaitSinceWakesOnANewEventAndOnClose) {
  EventJournal j;
  j.Add("status", "first");
  EXPECT_TRUE(j.WaitSince(1, std::chrono::milliseconds(20)).empty());  // nothing new: times out
  std::thread adder([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    j.Add("status", "second");
  });
  auto t0 = std::chrono::steady_clock::now();
  auto got = j.WaitSince(1, std::chrono::seconds(10));
  adder.join();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0]["message"], "second");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
  std::thread closer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    j.Close();
  });
  EXPECT_TRUE(j.WaitSince(2, std::chrono::seconds(10)).empty());
  closer.join();
  EXPECT_TRUE(j.closed());
}

json Node(const std::string& peer, const std::string& state, json download = nullptr) {
  return {
      {"peer_id", peer},      {"rpc_endpoint", "127.0.0.1:7001"}, {"layers", "0-1"},        {"state", state},
      {"download", download}, {"offline_reason", "no answer"},    {"shard_problem", "disk"}};
}

json View(bool ready, std::vector<json> shard0_nodes, json blockers = json::array()) {
  return {
      {"swarm_ready", ready}, {"blockers", blockers}, {"shards", {{{"shard", 0}, {"nodes", shard0_nodes}}}}};
}

std::vector<std::string> Words(const std::vector<json>& events) {
  std::vector<std::string> out;
  for (const json& e : events)
    out.push_back(e["kind"].get<std::string>() + ":" + e.value("state", "") + ":" +
                  e["message"].get<std::string>());
  return out;
}

TEST(SwarmEvents, ANodesLifeBecomesEvents) {
  EventJournal j;
  SwarmEvents events(j);
  const std::string peer = "0123456789abcdef0123";
  events.Observe(View(false, {}, {"shard 0 has no node"}));
  events.Observe(View(false, {Node(peer, "downloading", {{"percent", 5.0}, {"rate", 2e6}, {"peers", 1}})},
                      {"shard 0 has no node"}));
  events.Observe(View(false, {Node(peer, "downloading", {{"percent", 7.0}, {"rate", 2e6}, {"peers", 1}})},
                      {"shard 0 has no node"}));  // same decile: no event
  events.Observe(View(false, {Node(peer, "downloading", {{"percent", 55.0}, {"rate", 2e6}, {"peers", 2}})},
                      {"shard 0 has no node"}));
  events.Observe(View(true, {Node(peer, "loaded")}));
  events.Observe(View(true, {Node(peer, "loaded")}));  // nothing changed
  events.Observe(View(false, {Node(peer, "offline")}, {"shard 0: its node is offline"}));
  events.Observe(View(true, {Node(peer, "loaded")}));
  events.Observe(View(false, {}, {"shard 0 has no node"}));
  auto w = Words(j.Since(0));
  std::vector<std::string> want = {
      "status::the swarm is not ready; shard 0 has no node",
      "node:joined:node 0123456789ab… joined: shard 0 (layers 0-1) at 127.0.0.1:7001, downloading",
      "download::node 0123456789ab… fetching shard 0: 5 % at 2.00 MB/s from 1 peer",
      "download::node 0123456789ab… fetching shard 0: 55 % at 2.00 MB/s from 2 peers",
      "node:loaded:node 0123456789ab… serves shard 0",
      "download::node 0123456789ab… fetched shard 0",
      "status::the swarm is ready",
      "node:offline:node 0123456789ab… is offline: no answer",
      "status::the swarm is not ready; shard 0: its node is offline",
      "node:online:node 0123456789ab… serves shard 0 (online again)",
      "status::the swarm is ready",
      "node:left:node 0123456789ab… left the swarm (shard 0)",
      "status::the swarm is not ready; shard 0 has no node",
  };
  EXPECT_EQ(w, want);
  auto all = j.Since(0);
  EXPECT_EQ(all[1]["peer_id"], peer);
  EXPECT_EQ(all[1]["node"], "0123456789ab");
  EXPECT_EQ(all[1]["shard"], 0);
  EXPECT_DOUBLE_EQ(all[3]["percent"].get<double>(), 55.0);
  EXPECT_DOUBLE_EQ(all[3]["rate_bytes_s"].get<double>(), 2e6);
  EXPECT_EQ(all[6]["ready"], true);
}

TEST(SwarmEvents, AShardProblemIsAnError) {
  EventJournal j;
  SwarmEvents events(j);
  events.Observe(View(false, {Node("ab", "loading")}));
  events.Observe(View(false, {Node("ab", "problem")}));
  auto all = j.Since(0);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2]["kind"], "error");
  EXPECT_EQ(all[2]["state"], "problem");
  EXPECT_EQ(all[2]["message"], "node ab cannot serve shard 0: disk");
}

TEST(StatsSeries, SamplesAreRatesOverTheInterval) {
  StatsSeries series(2);
  auto t0 = std::chrono::steady_clock::now();
  MetricsTotals t;
  t.tokens_out = 100;
  t.stages[0] = {10, 0.5, 0.2};
  series.Sample(t, t0);
  EXPECT_TRUE(series.Latest().is_null());
  t.tokens_out = 150;
  t.sessions_in_flight = 3;
  t.stages[0] = {20, 1.5, 0.4};  // 10 steps: 20 ms of compute each; 1 s waited in 2 s
  t.stages[1] = {4, 0.0, 0.2};
  series.Sample(t, t0 + std::chrono::seconds(2));
  json s = series.Latest();
  EXPECT_DOUBLE_EQ(s["tokens_per_s"].get<double>(), 25.0);
  EXPECT_DOUBLE_EQ(s["queue_depth"].get<double>(), 0.5);
  EXPECT_EQ(s["sessions"], 3);
  EXPECT_NEAR(s["stage_ms"]["0"].get<double>(), 20.0, 1e-9);
  EXPECT_NEAR(s["stage_ms"]["1"].get<double>(), 50.0, 1e-9);
  series.Sample(t, t0 + std::chrono::seconds(3));
  series.Sample(t, t0 + std::chrono::seconds(4));
  json all = series.ToJson();
  EXPECT_EQ(all["interval_ms"], 1000);
  ASSERT_EQ(all["samples"].size(), 2u);  // capacity
  EXPECT_DOUBLE_EQ(all["samples"][1]["tokens_per_s"].get<double>(), 0.0);
  EXPECT_TRUE(all["samples"][1]["stage_ms"]["0"].is_null());  // no step in that second
}

TEST(ConsoleAssets, ContentTypesAndLookup) {
  EXPECT_EQ(ContentTypeOf("/"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("/app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("/style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeOf("/x.bin"), "application/octet-stream");
  EXPECT_EQ(FindConsoleAsset("/../CMakeLists.txt"), nullptr);
  EXPECT_EQ(FindConsoleAsset("/no-such-file.js"), nullptr);
  for (const ConsoleAsset& a : ConsoleAssets()) {
    EXPECT_EQ(a.path.front(), '/');
    EXPECT_EQ(FindConsoleAsset(a.path), &a);
  }
}

}  // namespace
}  // namespace ss::gateway
