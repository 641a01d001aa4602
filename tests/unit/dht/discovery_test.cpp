// Discovery between real OpenDHT nodes on loopback: records signed by their
// announcer reach listeners within milliseconds; identities persist.
#include "dht/discovery.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "dht/record.h"
#include "swarm/swarm_view.h"
#include "testing.h"

namespace ss::dht {
namespace {

using Clock = std::chrono::steady_clock;

std::unique_ptr<Discovery> StartNode(const NodeIdentity& id, uint16_t bootstrap_port) {
  DiscoveryOptions o;
  if (bootstrap_port) o.bootstrap = {"127.0.0.1:" + std::to_string(bootstrap_port)};
  auto d = Discovery::Start(id, o);
  EXPECT_TRUE(d.ok()) << d.status().message();
  return std::move(d.value());
}

TEST(Identity, PersistsAcrossRestartsAndMatchesTheCertificate) {
  ss::testing::TempDir dir;
  auto a = LoadOrCreateIdentity(dir.path(), "t");
  ASSERT_TRUE(a.ok()) << a.status().message();
  auto b = LoadOrCreateIdentity(dir.path(), "t");
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(a->peer_id, b->peer_id);
  EXPECT_EQ(a->cert_fingerprint, b->cert_fingerprint);
  EXPECT_EQ(a->peer_id.size(), 64u);
  auto c = EphemeralIdentity("t");
  EXPECT_NE(c->peer_id, a->peer_id);
}

TEST(Discovery, SignedRecordReachesAListenerQuickly) {
  // Declared first: listeners write here until the nodes are destroyed.
  std::mutex mu;
  std::condition_variable cv;
  std::vector<SignedValue> seen;
  auto boot_id = EphemeralIdentity("boot");
  auto boot = StartNode(*boot_id, 0);
  auto a_id = EphemeralIdentity("a"), b_id = EphemeralIdentity("b");
  auto a = StartNode(*a_id, boot->port());
  auto b = StartNode(*b_id, boot->port());
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while ((!a->connected() || !b->connected()) && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(a->connected() && b->connected());

  b->Listen(ShardKey("c1", 0), [&](const SignedValue& v, bool expired) {
    std::lock_guard<std::mutex> lock(mu);
    if (!expired) seen.push_back(v);
    cv.notify_all();
  });
  NodeRecord r;
  r.peer_id = a_id->peer_id;
  r.cluster = "c1";
  r.total_shards = 1;
  r.rpc_endpoint = "127.0.0.1:1";
  r.tls_fingerprint = a_id->cert_fingerprint;
  auto t0 = Clock::now();
  a->Announce(ShardKey("c1", 0), r.ToJson());
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return !seen.empty(); }));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  std::printf("[dht] announcement seen by a listener after %lld ms\n", static_cast<long long>(ms));
  EXPECT_EQ(seen.front().owner, a_id->peer_id);
  auto got = NodeRecord::FromJson(seen.front().data);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->tls_fingerprint, a_id->cert_fingerprint);

  // A refresh with a changed record is seen as an update.
  seen.clear();
  r.shard_loaded = true;
  a->Announce(ShardKey("c1", 0), r.ToJson());
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] {
    for (const auto& v : seen)
      if (NodeRecord::FromJson(v.data)->shard_loaded) return true;
    return false;
  }));
  lock.unlock();
  // Both announcements are stored (each is a new value) until they expire.
  auto values = b->Get(ShardKey("c1", 0), std::chrono::seconds(3));
  ASSERT_EQ(values.size(), 2u);
  int loaded = 0;
  for (const auto& v : values) loaded += NodeRecord::FromJson(v.data)->shard_loaded;
  EXPECT_EQ(loaded, 1);
}

// Each refresh must reach listeners (OpenDHT 2.4 stops delivering edits of one
// value id after the first; announcements therefore use fresh ids).
TEST(Discovery, EveryRefreshReachesListeners) {
  std::mutex mu;  // outlives the nodes whose listener writes here
  std::set<std::string> seen;
  auto boot_id = EphemeralIdentity("boot");
  auto boot = StartNode(*boot_id, 0);
  auto a_id = EphemeralIdentity("a"), b_id = EphemeralIdentity("b");
  auto a = StartNode(*a_id, boot->port());
  auto b = StartNode(*b_id, boot->port());
  b->Listen("refresh-test", [&](const SignedValue& v, bool expired) {
    std::lock_guard<std::mutex> lock(mu);
    if (!expired) seen.insert(v.data);
  });
  for (int i = 0; i < 6; ++i) {
    a->Announce("refresh-test", "v" + std::to_string(i));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (Clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (seen.size() == 6) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(seen.size(), 6u);
}

TEST(SwarmView, ReadinessAndBlockers) {
  swarm::SwarmView view("c", 2);
  auto now = swarm::Clock::now();
  EXPECT_FALSE(view.Ready(now));
  NodeRecord r;
  r.peer_id = std::string(64, 'a');
  r.cluster = "c";
  r.total_shards = 2;
  r.rpc_endpoint = "x";
  r.tls_fingerprint = "f";
  r.refresh_s = 2;
  r.shard_loaded = true;
  EXPECT_TRUE(view.Update(0, {r.ToJson(), r.peer_id, 1}, false, now));
  // A record signed by someone else than the peer it names is ignored, even
  // one that would change what is known (shard 0 not loaded).
  NodeRecord forged = r;
  forged.shard_loaded = false;
  forged.time_ms = r.time_ms + 1;
  EXPECT_FALSE(view.Update(0, {forged.ToJson(), std::string(64, 'b'), 1}, false, now));
  EXPECT_TRUE(view.FindPeer(r.peer_id)->shard_loaded);
  auto blockers = view.Blockers(now);
  ASSERT_EQ(blockers.size(), 1u);
  EXPECT_NE(blockers[0].find("shard 1: no node has announced it"), std::string::npos);
  NodeRecord r1 = r;
  r1.peer_id = std::string(64, 'c');
  r1.shard_id = 1;
  r1.shard_loaded = false;
  r1.shard_problem = "shard-1.gguf is not in /x";
  view.Update(1, {r1.ToJson(), r1.peer_id, 1}, false, now);
  blockers = view.Blockers(now);
  ASSERT_EQ(blockers.size(), 1u);
  EXPECT_NE(blockers[0].find("is online but has not loaded shard-1.gguf"), std::string::npos) << blockers[0];
  r1.shard_loaded = true;
  view.Update(1, {r1.ToJson(), r1.peer_id, 1}, false, now);
  EXPECT_TRUE(view.Ready(now));
  // Silent for more than two refresh intervals and a second: offline.
  auto later = now + std::chrono::seconds(6);
  EXPECT_FALSE(view.Ready(later));
  EXPECT_NE(view.Blockers(later)[0].find("is offline (last seen 6 s ago)"), std::string::npos);
}

NodeRecord Loaded(char peer, int shard, const std::string& model, int64_t time_ms = 1000) {
  NodeRecord r;
  r.peer_id = std::string(64, peer);
  r.cluster = "c";
  r.shard_id = shard;
  r.total_shards = 2;
  r.rpc_endpoint = "127.0.0.1:1";
  r.tls_fingerprint = "f";
  r.refresh_s = 5;
  r.shard_loaded = true;
  r.model_id = model;
  r.time_ms = time_ms;
  return r;
}

TEST(SwarmView, AnUnreachableNodeIsOfflineUntilItAnnouncesAgain) {
  swarm::SwarmView view("c", 1);
  auto now = swarm::Clock::now();
  NodeRecord a = Loaded('a', 0, "m");
  view.Update(0, {a.ToJson(), a.peer_id, 1}, false, now);
  ASSERT_TRUE(view.Ready(now));
  EXPECT_FALSE(view.MarkUnreachable(a.peer_id, "not answering: refused", 999));  // announced after the probe
  EXPECT_TRUE(view.MarkUnreachable(a.peer_id, "not answering: refused", 2000));
  EXPECT_FALSE(view.MarkUnreachable(a.peer_id, "not answering: refused", 2001));  // no change
  EXPECT_FALSE(view.Ready(now));
  EXPECT_NE(view.Blockers(now)[0].find("is offline (not answering: refused)"), std::string::npos)
      << view.Blockers(now)[0];
  EXPECT_EQ(view.ToJson(now)["shards"][0]["nodes"][0]["offline_reason"], "not answering: refused");
  EXPECT_EQ(view.RecentNodes(now).size(), 1u);  // still worth probing
  a.time_ms = 1500;                             // a stale copy of an announcement from before the probe
  view.Update(0, {a.ToJson(), a.peer_id, 2}, false, now);
  EXPECT_FALSE(view.Ready(now));
  a.time_ms = 2500;  // announced after the probe: alive again
  EXPECT_TRUE(view.Update(0, {a.ToJson(), a.peer_id, 3}, false, now));
  EXPECT_TRUE(view.Ready(now));
  EXPECT_TRUE(view.MarkUnreachable(a.peer_id, "x", 3000));
  EXPECT_TRUE(view.MarkReachable(a.peer_id));
  EXPECT_TRUE(view.Ready(now));
}

TEST(SwarmView, OneModelPerSwarmByMajority) {
  swarm::SwarmView view("c", 2);
  auto now = swarm::Clock::now();
  for (const NodeRecord& r : {Loaded('a', 0, "m1"), Loaded('b', 1, "m1"), Loaded('c', 1, "m2")})
    view.Update(r.shard_id, {r.ToJson(), r.peer_id, 1}, false, now);
  EXPECT_EQ(view.ModelId(now), "m1");
  EXPECT_TRUE(view.Ready(now));  // shard 1 has b
  ASSERT_EQ(view.ServingNodes(1, now).size(), 1u);
  EXPECT_EQ(view.ServingNodes(1, now)[0].peer_id, std::string(64, 'b'));
  // Without b, shard 1 has only the odd node: not ready, and it says why.
  swarm::SwarmView odd("c", 2);
  for (const NodeRecord& r : {Loaded('a', 0, "m1"), Loaded('d', 0, "m1"), Loaded('c', 1, "m2")})
    odd.Update(r.shard_id, {r.ToJson(), r.peer_id, 1}, false, now);
  EXPECT_FALSE(odd.Ready(now));
  ASSERT_EQ(odd.Blockers(now).size(), 1u);
  EXPECT_NE(odd.Blockers(now)[0].find("shard 1: node cccccccccccc… holds a shard of another model"),
            std::string::npos)
      << odd.Blockers(now)[0];
  // A tie goes to the lowest model id, so every process picks the same.
  swarm::SwarmView tie("c", 2);
  for (const NodeRecord& r : {Loaded('a', 0, "m2"), Loaded('c', 1, "m1")})
    tie.Update(r.shard_id, {r.ToJson(), r.peer_id, 1}, false, now);
  EXPECT_EQ(tie.ModelId(now), "m1");
}

}  // namespace
}  // namespace ss::dht
