// Shard distribution with real processes on loopback: `bootstrap --seed-dir`
// seeds a split and announces its manifest; nodes with empty (or wrong) shards
// dirs fetch their shard over BitTorrent, verify it, load it and serve.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "net/http_client.h"
#include "testing.h"
#include "util/sha256.h"

namespace ss {
namespace {

namespace fs = std::filesystem;
using ss::testing::ChildProcess;
using ss::testing::NowSeconds;
using ss::testing::RunShardswarm;

bool Contains(const std::string& s, const std::string& f) { return s.find(f) != std::string::npos; }

// A seeding bootstrap of the tiny Q8_0 model split 4 ways, and nodes.
class Distribution {
 public:
  Distribution() {
    setenv("SHARDSWARM_CACHE_DIR", (dir_ / "cache").c_str(), 1);
    seed_ = dir_ / "seed";
    auto r =
        RunShardswarm("shard split " + ss::testing::ModelPath("tiny-spm-q8_0.gguf") + " -n 4 -o " + seed_);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    boot_port_ = ss::testing::FreePort(/*udp=*/true);
  }
  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(boot_port_); }
  std::string dir(const std::string& name) const { return dir_ / name; }
  const std::string& seed() const { return seed_; }

  // `extra`: more bootstrap flags (an upload cap, another seed dir).
  ChildProcess& StartSeeder(const std::vector<std::string>& extra = {}, const std::string& seed_dir = "") {
    std::vector<std::string> argv = {SHARDSWARM_BINARY, "bootstrap",
                                     "--port",          std::to_string(boot_port_),
                                     "--health-port",   "0",
                                     "--cluster",       "dist",
                                     "--seed-dir",      seed_dir.empty() ? seed_ : seed_dir,
                                     "--data-dir",      dir_ / "boot"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    boot_ = std::make_unique<ChildProcess>(argv, dir_ / "bootstrap.log");
    EXPECT_TRUE(boot_->WaitForLog("manifests signed by", 20)) << boot_->Log();
    return *boot_;
  }
  // Node `name` holding shard k, its shards in dir(name)/shards.
  ChildProcess& StartNode(const std::string& name, int k, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> argv = {SHARDSWARM_BINARY,    "node",
                                     "--bootstrap",        bootstrap(),
                                     "--cluster",          "dist",
                                     "--shard-id",         std::to_string(k),
                                     "--total-shards",     "4",
                                     "--shards-dir",       dir_ / (name + "/shards"),
                                     "--data-dir",         dir_ / (name + "/data"),
                                     "--refresh-interval", "2",
                                     "--threads",          "1"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto& slot = nodes_[name];
    slot = std::make_unique<ChildProcess>(argv, dir_ / (name + "-" + std::to_string(++starts_) + ".log"));
    return *slot;
  }
  ChildProcess& node(const std::string& name) { return *nodes_.at(name); }
  ChildProcess& boot() { return *boot_; }
  std::string shards(const std::string& name) const { return dir_ / (name + "/shards"); }
  // The seeder's BitTorrent endpoint, from its log.
  std::string SeederEndpoint() const {
    std::smatch m;
    const std::string log = boot_->Log();
    return std::regex_search(log, m, std::regex(R"(for cluster dist on (127\.0\.0\.1:\d+))")) ? m[1].str()
                                                                                              : "";
  }

 private:
  ss::testing::TempDir dir_;
  std::string seed_;
  int boot_port_;
  int starts_ = 0;
  std::unique_ptr<ChildProcess> boot_;
  std::map<std::string, std::unique_ptr<ChildProcess>> nodes_;
};

TEST(Distribution, FourNodesWithEmptyShardsDirsFetchVerifyLoadAndServe) {
  Distribution d;
  d.StartSeeder();
  const double t0 = NowSeconds();
  for (int k = 0; k < 4; ++k) d.StartNode("n" + std::to_string(k), k);
  for (int k = 0; k < 4; ++k) {
    ChildProcess& n = d.node("n" + std::to_string(k));
    ASSERT_TRUE(n.WaitForLog("SHARD_LOADED shard " + std::to_string(k), 30)) << n.Log();
    EXPECT_TRUE(n.WaitForLog("swarm_ready=true", 15)) << n.Log();
    const std::string name = "shard-" + std::to_string(k) + ".gguf";
    EXPECT_EQ(ss::testing::FileSha256(d.shards("n" + std::to_string(k)) + "/" + name),
              ss::testing::FileSha256(d.seed() + "/" + name));
    EXPECT_FALSE(fs::exists(d.shards("n" + std::to_string(k)) + "/" + name + ".part"));
  }
  std::printf("[dist] 4 nodes with empty shards dirs: swarm ready after %.2f s\n", NowSeconds() - t0);
  auto r = RunShardswarm("status --bootstrap " + d.bootstrap() + " --cluster dist");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "swarm_ready=true")) << r.output;
  // And it serves: the last stage's node answers with its loaded shard.
  auto caps = RunShardswarm("rpc LIST_FILES --bootstrap " + d.bootstrap() + " --cluster dist --shard 3");
  EXPECT_EQ(caps.exit_code, 0) << caps.output;
  EXPECT_TRUE(Contains(caps.output, "\"file\": \"shard-3.gguf\"")) << caps.output;
}

// LOAD_SHARD over RPC switches a running node to another shard, which it
// fetches, verifies and loads; status then lists it under that shard.
TEST(Distribution, LoadShardSwitchesANodeToAnotherShard) {
  Distribution d;
  d.StartSeeder();
  ChildProcess& n = d.StartNode("n", 0);
  ASSERT_TRUE(n.WaitForLog("SHARD_LOADED shard 0", 30)) << n.Log();
  auto r = RunShardswarm("rpc LOAD_SHARD --args '{\"shard_id\": 3}' --bootstrap " + d.bootstrap() +
                         " --cluster dist --shard 0");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "\"shard_id\": 3")) << r.output;
  ASSERT_TRUE(n.WaitForLog("SHARD_LOADED shard 3", 30)) << n.Log();
  EXPECT_EQ(ss::testing::FileSha256(d.shards("n") + "/shard-3.gguf"),
            ss::testing::FileSha256(d.seed() + "/shard-3.gguf"));
  nlohmann::json st;
  bool listed = false;
  for (double t0 = NowSeconds(); !listed && NowSeconds() - t0 < 10;) {
    st = nlohmann::json::parse(
        RunShardswarm("status --bootstrap " + d.bootstrap() + " --cluster dist --json 2>/dev/null").output,
        nullptr, false);
    if (st.is_object())
      for (const auto& node : st["shards"][3]["nodes"]) listed = listed || node["shard_loaded"] == true;
  }
  EXPECT_TRUE(listed) << st.dump(2);
  auto bad = RunShardswarm("rpc LOAD_SHARD --args '{\"shard_id\": 9}' --bootstrap " + d.bootstrap() +
                           " --cluster dist --shard 3");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_TRUE(Contains(bad.output, "LOAD_SHARD needs") && Contains(bad.output, "0 to 3")) << bad.output;
}

TEST(Distribution, ACorruptLocalShardIsDetectedAtStartAndFetchedAgain) {
  Distribution d;
  fs::create_directories(d.shards("n2"));
  for (const char* f : {"manifest.json", "shard-2.gguf"})
    fs::copy_file(d.seed() + "/" + f, d.shards("n2") + "/" + f);
  const std::string file = d.shards("n2") + "/shard-2.gguf";
  ss::testing::FlipByte(file, ss::testing::FileSize(file) / 2);
  d.StartSeeder();
  ChildProcess& n = d.StartNode("n2", 2);
  ASSERT_TRUE(n.WaitForLog("SHARD_LOADED shard 2", 30)) << n.Log();
  EXPECT_TRUE(Contains(n.Log(), "shard-2.gguf does not match the swarm's manifest")) << n.Log();
  EXPECT_EQ(ss::testing::FileSha256(file), ss::testing::FileSha256(d.seed() + "/shard-2.gguf"));
}

// A node trusts manifests from one identity; another's manifest (here: the
// only one on the DHT) is ignored, and nothing is fetched on its word.
TEST(Distribution, AManifestFromAnUntrustedIdentityIsIgnored) {
  Distribution d;
  d.StartSeeder();
  const std::string stranger(64, 'a');  // the identity this node trusts: not the seeder's
  ChildProcess& n = d.StartNode("n1", 1, {"--trust-seeder", stranger});
  ASSERT_TRUE(n.WaitForLog("ignoring a manifest of cluster dist signed by", 15)) << n.Log();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_FALSE(Contains(n.Log(), "fetching")) << n.Log();
  EXPECT_FALSE(fs::exists(d.shards("n1") + "/shard-1.gguf"));
  EXPECT_FALSE(fs::exists(d.shards("n1") + "/shard-1.gguf.part"));
  EXPECT_TRUE(n.Running());
}

// 4 nodes fetching the same shard from one upload-capped seeder trade pieces
// among themselves: each gets at least a quarter of its bytes from the others.
TEST(Distribution, DownloadersOfOneShardTradePiecesAmongThemselves) {
  Distribution d;
  const uint64_t size = ss::testing::FileSize(d.seed() + "/shard-2.gguf");
  d.StartSeeder({"--upload-limit", "0.2"});  // MB/s: ~12 s per copy, ~48 s for 4 from the seeder alone
  const std::string seeder = d.SeederEndpoint();
  ASSERT_FALSE(seeder.empty()) << d.boot().Log();
  const double t0 = NowSeconds();
  for (int i = 0; i < 4; ++i) d.StartNode("r" + std::to_string(i), 2);
  for (int i = 0; i < 4; ++i) {
    ChildProcess& n = d.node("r" + std::to_string(i));
    ASSERT_TRUE(n.WaitForLog("SHARD_LOADED shard 2", 60)) << n.Log();
  }
  std::printf(
      "[dist] 4 downloaders of one %.1f MB shard, seeder capped at 0.2 MB/s: all verified after %.1f s "
      "(a central server: %.1f s)\n",
      size / 1e6, NowSeconds() - t0, 4 * size / 0.2e6);
  for (int i = 0; i < 4; ++i) {
    const std::string log = d.node("r" + std::to_string(i)).Log();
    std::smatch m;
    ASSERT_TRUE(
        std::regex_search(log, m, std::regex(R"(shard-2\.gguf fetched: received (\d+) bytes: ([^\n]*))")))
        << log;
    uint64_t from_others = 0;
    const std::string per_peer = m[2].str();
    std::regex item(R"((\d+) from ([0-9.:]+))");
    for (auto it = std::sregex_iterator(per_peer.begin(), per_peer.end(), item); it != std::sregex_iterator();
         ++it)
      if ((*it)[2].str() != seeder) from_others += std::stoull((*it)[1].str());
    std::printf("[dist] node r%d: %.0f%% of its bytes from other downloaders (target >= 25%%)\n", i,
                100.0 * from_others / size);
    EXPECT_GE(from_others * 4, size) << m[0].str();
  }
}

// SIGKILL in the middle of a download: after the restart, pieces verified
// before the kill are not fetched again.
TEST(Distribution, AKilledDownloadResumesWithoutFetchingVerifiedPiecesAgain) {
  Distribution d;
  const uint64_t size = ss::testing::FileSize(d.seed() + "/shard-1.gguf");
  d.StartSeeder({"--upload-limit", "0.25"});  // ~10 s for the shard
  d.StartNode("n1", 1);
  double percent = 0;
  for (double t0 = NowSeconds(); percent < 40 && NowSeconds() - t0 < 30;) {
    auto r = RunShardswarm("rpc GET_STATUS --bootstrap " + d.bootstrap() + " --cluster dist --shard 1");
    auto j = nlohmann::json::parse(r.output, nullptr, false);
    if (j.is_object() && j.contains("download")) percent = j["download"].value("percent", 0.0);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_GE(percent, 40) << d.node("n1").Log();
  d.node("n1").Kill(SIGKILL);
  ASSERT_TRUE(fs::exists(d.shards("n1") + "/shard-1.gguf.part"));
  ChildProcess& again = d.StartNode("n1", 1);
  ASSERT_TRUE(again.WaitForLog("SHARD_LOADED shard 1", 40)) << again.Log();
  std::smatch m;
  const std::string log = again.Log();
  ASSERT_TRUE(std::regex_search(log, m, std::regex(R"(shard-1\.gguf fetched: received (\d+) bytes)"))) << log;
  const uint64_t received = std::stoull(m[1].str());
  std::printf("[dist] killed at %.0f%%: the restarted node received %.0f%% of the file\n", percent,
              100.0 * received / size);
  // At most what was missing at the kill, plus a few pieces in flight then.
  EXPECT_LE(received, static_cast<uint64_t>(size * (1 - percent / 100)) + 4 * 32768) << log;
  EXPECT_EQ(ss::testing::FileSha256(d.shards("n1") + "/shard-1.gguf"),
            ss::testing::FileSha256(d.seed() + "/shard-1.gguf"));
}

// --download-limit caps a node's fetch (without it the shard comes over
// loopback in well under a second), and the node reports the download meanwhile.
TEST(Distribution, ADownloadLimitSlowsTheFetchToTheCap) {
  Distribution d;
  const uint64_t size = ss::testing::FileSize(d.seed() + "/shard-2.gguf");
  d.StartSeeder();
  const double limit_mb_s = 0.4, t0 = NowSeconds();
  ChildProcess& n = d.StartNode("n2", 2, {"--download-limit", "0.4"});
  double max_rate = -1;
  while (!n.WaitForLog("SHARD_LOADED shard 2", 0) && NowSeconds() - t0 < 60) {
    auto r = RunShardswarm("rpc GET_STATUS --bootstrap " + d.bootstrap() + " --cluster dist --shard 2");
    auto j = nlohmann::json::parse(r.output, nullptr, false);
    if (j.is_object() && j.contains("download") && j["download"].is_object())
      max_rate = std::max(max_rate, j["download"].value("rate", 0.0));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(n.WaitForLog("SHARD_LOADED shard 2", 1)) << n.Log();
  const double took = NowSeconds() - t0, floor_s = size / (limit_mb_s * 1e6);
  std::printf(
      "[dist] %.1f MB at --download-limit %.1f MB/s took %.1f s (at the cap: %.1f s), reported rate "
      "at most %.2f MB/s\n",
      size / 1e6, limit_mb_s, took, floor_s, max_rate / 1e6);
  EXPECT_GE(max_rate, 0) << "the node never reported its download";
  EXPECT_LE(max_rate, 1.5 * limit_mb_s * 1e6);
  EXPECT_GE(took, 0.7 * floor_s);  // libtorrent's rate limiter lets a burst through at the start
  EXPECT_EQ(ss::testing::FileSha256(d.shards("n2") + "/shard-2.gguf"),
            ss::testing::FileSha256(d.seed() + "/shard-2.gguf"));
}

// A greedy completion through a gateway on `port`: its text, or "" on failure.
std::string GreedyText(int port) {
  net::HttpClientRequest r;
  r.method = "POST";
  r.port = static_cast<uint16_t>(port);
  r.target = "/v1/completions";
  r.body = nlohmann::json({{"prompt", "Once upon a time"}, {"max_tokens", 16}, {"temperature", 0}}).dump();
  auto res = net::HttpFetch(r);
  if (!res.ok() || res->status != 200) return "";
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  return j.is_object() ? j["choices"][0].value("text", "") : "";
}

// Rebalancing: shard 0's only node is killed while shard 3 has two; one of
// those switches to shard 0 by itself, fetches it from the swarm, and the
// swarm serves again, with the same output as before.
TEST(Distribution, AnOrphanedShardIsTakenOverByASpareReplica) {
  Distribution d;
  d.StartSeeder();
  for (const auto& [name, k] :
       std::vector<std::pair<std::string, int>>{{"n0", 0}, {"n1", 1}, {"n2", 2}, {"n3a", 3}, {"n3b", 3}})
    d.StartNode(name, k);
  for (const char* name : {"n0", "n1", "n2", "n3a", "n3b"})
    ASSERT_TRUE(d.node(name).WaitForLog("SHARD_LOADED", 30)) << d.node(name).Log();
  const int http = ss::testing::FreePort(/*udp=*/false);
  ChildProcess gateway({SHARDSWARM_BINARY, "gateway", "--bootstrap", d.bootstrap(), "--cluster", "dist",
                        "--http-port", std::to_string(http)},
                       d.dir("gateway.log"));
  std::string before;
  for (double t0 = NowSeconds(); before.empty() && NowSeconds() - t0 < 30;) {
    before = GreedyText(http);
    if (before.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_FALSE(before.empty()) << gateway.Log();
  // Past the nodes' first seconds, when no shard counts as orphaned yet.
  std::this_thread::sleep_for(std::chrono::seconds(8));
  d.node("n0").Kill(SIGKILL);
  const double killed = NowSeconds();
  std::string after;
  while (after.empty() && NowSeconds() - killed < 40) {
    after = GreedyText(http);
    if (after.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const double took = NowSeconds() - killed;
  const bool a = Contains(d.node("n3a").Log(), "rebalancing, this node takes it");
  const bool b = Contains(d.node("n3b").Log(), "rebalancing, this node takes it");
  EXPECT_NE(a, b) << "exactly one spare switches";
  ChildProcess& spare = d.node(a ? "n3a" : "n3b");
  EXPECT_TRUE(spare.WaitForLog("SHARD_LOADED shard 0", 1)) << spare.Log();
  std::printf(
      "[dist] shard 0's only node killed: a spare of shard 3 took it over and the swarm served again "
      "after %.1f s (target: the download plus 5 s after the 3 s grace)\n",
      took);
  EXPECT_EQ(after, before);
  EXPECT_LE(took, 3 + 10 + 5);  // the grace, a generous bound on a 2.5 MB fetch on loopback, 5 s
}

// One model per swarm: a node that trusts a manifest counts only that model's
// shards, even when most nodes serve another (here 4 nodes of a Q4_0 split
// that distrust the seeder, beside 1 node of the seeded Q8_0 split).
TEST(Distribution, ReadinessFollowsTheTrustedManifestNotTheMajority) {
  Distribution d;
  const std::string other = d.dir("q4");
  auto split =
      RunShardswarm("shard split " + ss::testing::ModelPath("tiny-spm-q4_0.gguf") + " -n 4 -o " + other);
  ASSERT_EQ(split.exit_code, 0) << split.output;
  d.StartSeeder();
  ChildProcess& mine = d.StartNode("a0", 0);
  ASSERT_TRUE(mine.WaitForLog("SHARD_LOADED shard 0", 30)) << mine.Log();
  for (int k = 0; k < 4; ++k) {
    std::string name = "b" + std::to_string(k);
    fs::create_directories(d.shards(name));
    for (const std::string& f : {std::string("manifest.json"), "shard-" + std::to_string(k) + ".gguf"})
      fs::copy_file(other + "/" + f, d.shards(name) + "/" + f);
    d.StartNode(name, k, {"--trust-seeder", std::string(64, 'b')});
  }
  for (int k = 0; k < 4; ++k)  // by majority, the Q4_0 nodes make a ready swarm
    ASSERT_TRUE(d.node("b" + std::to_string(k)).WaitForLog("swarm_ready=true", 20)) << d.node("b0").Log();
  std::this_thread::sleep_for(std::chrono::seconds(3));
  const std::string log = mine.Log();
  const size_t last = log.rfind("swarm_ready=");
  ASSERT_NE(last, std::string::npos) << log;
  EXPECT_EQ(log.compare(last, 18, "swarm_ready=false "), 0) << log.substr(last);
  EXPECT_TRUE(Contains(log.substr(last), "holds a shard of another model")) << log.substr(last);
}

// No room for the shard: a clear error in the log and in status, the node
// keeps answering RPC, and no file appears under the final name. Once there
// is room, the node's next attempt fetches and loads the shard, no restart.
TEST(Distribution, AFullDiskIsAClearErrorAndTheFetchGoesOnOnceThereIsRoom) {
  Distribution d;
  const std::string small = d.shards("n3");
  fs::create_directories(small);
  if (::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=1m") != 0)
    GTEST_SKIP() << "cannot mount a 1 MiB tmpfs on " << small
                 << " (needs CAP_SYS_ADMIN): " << std::strerror(errno);
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{small};
  d.StartSeeder();
  ChildProcess& n = d.StartNode("n3", 3);
  ASSERT_TRUE(n.WaitForLog("no space left on device for shard-3.gguf", 20)) << n.Log();
  nlohmann::json st;
  bool said = false;
  for (double t0 = NowSeconds(); !said && NowSeconds() - t0 < 15;) {
    auto r = RunShardswarm("status --bootstrap " + d.bootstrap() + " --cluster dist --json 2>/dev/null");
    st = nlohmann::json::parse(r.output, nullptr, false);
    if (st.is_object())
      for (const auto& node : st["shards"][3]["nodes"])
        said = said || (node["download"].is_object() &&
                        Contains(node["download"].value("error", ""), "no space left on device"));
  }
  EXPECT_TRUE(said) << st.dump(2);
  auto caps =
      RunShardswarm("rpc GET_CAPABILITIES --bootstrap " + d.bootstrap() + " --cluster dist --shard 3");
  EXPECT_EQ(caps.exit_code, 0) << caps.output;
  EXPECT_FALSE(fs::exists(small + "/shard-3.gguf"));
  EXPECT_TRUE(Contains(n.Log(), "trying again in")) << n.Log();

  ASSERT_EQ(::mount("tmpfs", small.c_str(), "tmpfs", MS_REMOUNT, "size=64m"), 0) << std::strerror(errno);
  // Attempts come 2, 4, 8, ... s apart (at most 60): the next is due within 32 s of the first error.
  ASSERT_TRUE(n.WaitForLog("SHARD_LOADED shard 3", 45)) << n.Log();
  EXPECT_TRUE(Contains(n.Log(), "shard-3.gguf fetched")) << n.Log();
}

}  // namespace
}  // namespace ss
