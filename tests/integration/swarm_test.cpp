// Swarm membership with real processes on loopback: a bootstrap node, nodes
// holding the shards of a 4-way split, `status`, `rpc`, and OpenDHT's own
// dhtnode as an outside peer.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "dht/discovery.h"
#include "dht/identity.h"
#include "dht/record.h"
#include "net/rpc_client.h"
#include "net/tls_identity.h"
#include "testing.h"
#include "util/hex.h"

namespace ss {
namespace {

namespace fs = std::filesystem;
using ss::testing::ChildProcess;
using ss::testing::NowSeconds;
using ss::testing::RunShardswarm;

bool Contains(const std::string& s, const std::string& f) { return s.find(f) != std::string::npos; }

class Swarm {
 public:
  explicit Swarm(int refresh_s = 2) : refresh_(refresh_s) {
    // status keeps its DHT identity in a cache dir: this test's, not $HOME's.
    setenv("SHARDSWARM_CACHE_DIR", (dir_ / "cache").c_str(), 1);
    shards_ = dir_ / "shards";
    auto r =
        RunShardswarm("shard split " + ss::testing::ModelPath("tiny-spm-q8_0.gguf") + " -n 4 -o " + shards_);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    boot_port_ = ss::testing::FreePort(/*udp=*/true);
  }
  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(boot_port_); }
  std::string dir(const std::string& name) const { return dir_ / name; }
  const std::string& shards() const { return shards_; }

  void StartBootstrap() {
    boot_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{SHARDSWARM_BINARY, "bootstrap", "--port", std::to_string(boot_port_),
                                 "--health-port", "0"},
        dir_ / "bootstrap.log");
  }
  // Nodes started from now on also name this bootstrap address (first).
  void AddBootstrapFirst(const std::string& address) { extra_bootstrap_ = address; }
  ChildProcess& StartNode(int k, const std::string& shards_dir = "") {
    std::vector<std::string> argv = {SHARDSWARM_BINARY, "node"};
    if (!extra_bootstrap_.empty()) argv.insert(argv.end(), {"--bootstrap", extra_bootstrap_});
    argv.insert(argv.end(), {"--bootstrap", bootstrap(), "--cluster", "it", "--shard-id", std::to_string(k),
                             "--total-shards", "4", "--shards-dir", shards_dir.empty() ? shards_ : shards_dir,
                             "--data-dir", dir_ / ("node-" + std::to_string(k)), "--refresh-interval",
                             std::to_string(refresh_), "--threads", "1"});
    nodes_[k] = std::make_unique<ChildProcess>(
        argv, dir_ / ("node-" + std::to_string(k) + "-" + std::to_string(++starts_) + ".log"));
    return *nodes_[k];
  }
  // `model` (a testdata file) split `n` ways into dir(name).
  std::string Split(const std::string& model, int n, const std::string& name) {
    auto r = RunShardswarm("shard split " + ss::testing::ModelPath(model) + " -n " + std::to_string(n) +
                           " -o " + dir(name));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return dir(name);
  }
  // A node of another cluster on this bootstrap, data and log under dir(name).
  std::unique_ptr<ChildProcess> OtherNode(const std::string& cluster, int k, int total,
                                          const std::string& shards_dir, const std::string& name) {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{SHARDSWARM_BINARY, "node", "--bootstrap", bootstrap(), "--cluster", cluster,
                                 "--shard-id", std::to_string(k), "--total-shards", std::to_string(total),
                                 "--shards-dir", shards_dir, "--data-dir", dir(name), "--threads", "1"},
        dir(name + ".log"));
  }
  ChildProcess& node(int k) { return *nodes_[k]; }
  ChildProcess& boot() { return *boot_; }
  // Waits until every running node has reported the swarm ready after `offsets`.
  bool AllReady(double timeout_s, const std::map<int, size_t>& offsets = {}) {
    double deadline = NowSeconds() + timeout_s;
    while (NowSeconds() < deadline) {
      bool all = true;
      for (auto& [k, n] : nodes_) {
        size_t off = offsets.count(k) ? offsets.at(k) : 0;
        std::string log = n->Log();
        all = all && log.size() > off && Contains(log.substr(off), "swarm_ready=true");
      }
      if (all) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  nlohmann::json Status() {
    auto r = RunShardswarm("status --bootstrap " + bootstrap() + " --cluster it --json 2>/dev/null");
    auto j = nlohmann::json::parse(r.output, nullptr, false);
    EXPECT_TRUE(j.is_object()) << r.output;
    return j;
  }

 private:
  ss::testing::TempDir dir_;
  std::string shards_;
  int refresh_;
  int boot_port_;
  int starts_ = 0;
  std::string extra_bootstrap_;
  std::unique_ptr<ChildProcess> boot_;
  std::map<int, std::unique_ptr<ChildProcess>> nodes_;
};

std::string PeerId(const ChildProcess& p) {
  std::smatch m;
  std::string log = p.Log();
  std::regex re("node peer id ([0-9a-f]{64})");
  return std::regex_search(log, m, re) ? m[1].str() : "";
}

TEST(Swarm, FourNodesBecomeReadyWithinTwoSecondsOfTheLast) {
  Swarm s;
  s.StartBootstrap();
  for (int k = 0; k < 3; ++k) s.StartNode(k);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  double t0 = NowSeconds();
  s.StartNode(3);
  ASSERT_TRUE(s.AllReady(10));
  double seconds = NowSeconds() - t0;
  std::printf("[swarm] all 4 nodes ready %.3f s after the last node started (target <= 2 s)\n", seconds);
  EXPECT_LE(seconds, 2.0);
  nlohmann::json st = s.Status();
  EXPECT_EQ(st["swarm_ready"], true) << st.dump(2);
  ASSERT_EQ(st["shards"].size(), 4u);
  for (int k = 0; k < 4; ++k) {
    const auto& nodes = st["shards"][k]["nodes"];
    ASSERT_EQ(nodes.size(), 1u) << st.dump(2);
    EXPECT_EQ(nodes[0]["online"], true);
    EXPECT_EQ(nodes[0]["shard_loaded"], true);
    EXPECT_EQ(nodes[0]["peer_id"], PeerId(s.node(k)));
    EXPECT_EQ(nodes[0]["layer_start"], 2 * k);
  }
}

TEST(Swarm, AnyStartOrderEndsReady) {
  Swarm s;
  // Nodes first (they retry the bootstrap), in reverse order, then the bootstrap.
  for (int k = 3; k >= 0; --k) s.StartNode(k);
  EXPECT_TRUE(
      s.node(0).WaitForLog("bootstrap " + s.bootstrap() + " unreachable (no DHT peer answers), retrying", 10))
      << s.node(0).Log();
  EXPECT_FALSE(Contains(s.node(0).Log(), "swarm_ready=true"));
  s.StartBootstrap();
  EXPECT_TRUE(s.AllReady(15));
  EXPECT_TRUE(s.node(0).WaitForLog("bootstrap " + s.bootstrap() + " answers", 10)) << s.node(0).Log();
}

// Nodes and `status` probe every node's endpoint: a killed node is offline
// everywhere within 3 s (its records alone would take two refresh intervals).
TEST(Swarm, KilledNodeIsSeenOfflineAndComesBackWithItsPeerId) {
  Swarm s(/*refresh_s=*/5);  // the default: detection must not wait for records to age
  s.StartBootstrap();
  for (int k = 0; k < 4; ++k) s.StartNode(k);
  ASSERT_TRUE(s.AllReady(10));
  std::string victim = PeerId(s.node(2));
  ASSERT_FALSE(victim.empty());
  size_t off = s.node(0).Log().size();
  double t0 = NowSeconds();
  s.node(2).Kill(SIGKILL);
  std::string short_id = victim.substr(0, 12) + "…";
  bool seen_offline = false, one_line = false;
  while (NowSeconds() - t0 < 15 && !seen_offline) {
    std::string log = s.node(0).Log().substr(off);
    seen_offline = Contains(log, "shard 2: node " + short_id + " is offline");
    one_line = Contains(log, "node " + short_id + " (shard 2) went offline: Connection refused");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  double node_seconds = NowSeconds() - t0;
  ASSERT_TRUE(seen_offline) << s.node(0).Log().substr(off);
  EXPECT_TRUE(one_line) << s.node(0).Log().substr(off);
  std::printf("[swarm] node 0 reported the killed node offline after %.2f s (target <= 3 s)\n", node_seconds);
  EXPECT_LE(node_seconds, 3.0);
  // status, started right away, also shows it offline within 3 s.
  bool status_offline = false;
  nlohmann::json st;
  while (NowSeconds() - t0 < 15 && !status_offline) {
    st = s.Status();
    status_offline = st["swarm_ready"] == false;
    for (const auto& n : st["shards"][2]["nodes"]) status_offline = status_offline && n["online"] == false;
  }
  double status_seconds = NowSeconds() - t0;
  std::printf("[swarm] status showed it offline after %.2f s (target <= 3 s)\n", status_seconds);
  EXPECT_TRUE(status_offline) << st.dump();
  EXPECT_LE(status_seconds, 3.0);

  std::map<int, size_t> offsets;
  for (int k : {0, 1, 3}) offsets[k] = s.node(k).Log().size();
  const double t1 = NowSeconds();
  s.StartNode(2);
  EXPECT_TRUE(s.AllReady(10, offsets));
  std::printf("[swarm] restarted: every node saw the swarm ready again after %.2f s (target <= 3 s)\n",
              NowSeconds() - t1);
  EXPECT_LE(NowSeconds() - t1, 3.0);
  EXPECT_EQ(PeerId(s.node(2)), victim);
}

// A stopped process keeps its port open (the kernel still accepts): only the
// TLS probe, which the process itself must answer, sees it. Offline after
// LivenessProber::kSilentRoundsForOffline silent rounds; back when it resumes.
TEST(Swarm, StoppedNodeIsSeenOfflineAndBackWhenItResumes) {
  Swarm s(/*refresh_s=*/5);
  s.StartBootstrap();
  for (int k = 0; k < 4; ++k) s.StartNode(k);
  ASSERT_TRUE(s.AllReady(10));
  const std::string short_id = PeerId(s.node(1)).substr(0, 12) + "…";
  size_t off = s.node(3).Log().size();
  double t0 = NowSeconds();
  s.node(1).Kill(SIGSTOP);
  const std::string went = "node " + short_id + " (shard 1) went offline: no answer at";
  while (NowSeconds() - t0 < 15 && !Contains(s.node(3).Log().substr(off), went))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const double stopped_seconds = NowSeconds() - t0;
  EXPECT_TRUE(Contains(s.node(3).Log().substr(off), went)) << s.node(3).Log().substr(off);
  std::printf("[swarm] node 3 reported the stopped node offline after %.2f s (target <= 4 s)\n",
              stopped_seconds);
  EXPECT_LE(stopped_seconds, 4.0);

  off = s.node(3).Log().size();
  t0 = NowSeconds();
  s.node(1).Kill(SIGCONT);
  const std::string back = "node " + short_id + " (shard 1) is back";
  while (NowSeconds() - t0 < 15 && !Contains(s.node(3).Log().substr(off), back))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(Contains(s.node(3).Log().substr(off), back)) << s.node(3).Log().substr(off);
  std::printf("[swarm] and back %.2f s after it resumed (target <= 3 s)\n", NowSeconds() - t0);
  EXPECT_LE(NowSeconds() - t0, 3.0);
}

// --bootstrap is repeatable: with the first address dead, nodes and status
// get in through the second.
TEST(Swarm, SeveralBootstrapsOneOfThemDown) {
  Swarm s;
  // Port 1: no one listens there, and unlike a port that was free a moment
  // ago it is never handed out to a process of this test as its own port.
  const std::string dead = "127.0.0.1:1";
  s.AddBootstrapFirst(dead);
  s.StartBootstrap();
  for (int k = 0; k < 4; ++k) s.StartNode(k);
  ASSERT_TRUE(s.AllReady(15));
  auto r = RunShardswarm("status --bootstrap " + dead + " --bootstrap " + s.bootstrap() + " --cluster it");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "swarm_ready=true")) << r.output;
}

// `status` on a cluster no node has joined says so (text and JSON, exit 1);
// with nodes, a --total-shards that disagrees with their records is refused
// naming both counts.
TEST(Swarm, StatusOfAnEmptyClusterAndOfAWrongShardCount) {
  Swarm s;
  s.StartBootstrap();
  auto text = RunShardswarm("status --bootstrap " + s.bootstrap() + " --cluster nobody --timeout 2");
  EXPECT_EQ(text.exit_code, 1) << text.output;
  EXPECT_TRUE(Contains(text.output, "cluster nobody: no node has announced itself")) << text.output;
  auto js = RunShardswarm("status --bootstrap " + s.bootstrap() +
                          " --cluster nobody --timeout 2 --json 2>/dev/null");
  EXPECT_EQ(js.exit_code, 1) << js.output;
  nlohmann::json j = nlohmann::json::parse(js.output, nullptr, false);
  ASSERT_TRUE(j.is_object()) << js.output;
  EXPECT_EQ(j["swarm_ready"], false);
  EXPECT_EQ(j["blockers"][0], "no node of cluster 'nobody' has announced itself");

  for (int k = 0; k < 4; ++k) s.StartNode(k);
  ASSERT_TRUE(s.AllReady(15));
  auto wrong = RunShardswarm("status --bootstrap " + s.bootstrap() + " --cluster it --total-shards 3");
  EXPECT_NE(wrong.exit_code, 0) << wrong.output;
  EXPECT_TRUE(
      Contains(wrong.output, "--total-shards 3 disagrees with the nodes of cluster 'it', which announce 4"))
      << wrong.output;
}

TEST(Swarm, SecondNodeOnALockedDataDirExitsAndTheFirstGoesOn) {
  Swarm s;
  s.StartBootstrap();
  s.StartNode(0);
  const double t0 = NowSeconds();
  while (PeerId(s.node(0)).empty() && NowSeconds() - t0 < 10)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_FALSE(PeerId(s.node(0)).empty()) << s.node(0).Log();
  auto second =
      RunShardswarm("node --bootstrap " + s.bootstrap() + " --cluster it --shard-id 1 --total-shards 4" +
                    " --shards-dir " + s.shards() + " --data-dir " + s.dir("node-0"));
  EXPECT_NE(second.exit_code, 0) << second.output;
  EXPECT_TRUE(
      Contains(second.output, "the data dir " + s.dir("node-0") + " is in use by another shardswarm process"))
      << second.output;
  EXPECT_LE(NowSeconds() - t0, 10.0);
  EXPECT_TRUE(s.node(0).Running()) << s.node(0).Log();
  EXPECT_FALSE(Contains(s.node(0).Log(), "rror")) << s.node(0).Log();
}

// Nodes ping their bootstrap every few seconds, so one restarted with an empty
// routing table knows the swarm again at once: a node and a client that join
// through it afterwards see everyone.
TEST(Swarm, RestartedBootstrapFindsTheSwarmAgain) {
  Swarm s;
  s.StartBootstrap();
  for (int k = 0; k < 3; ++k) s.StartNode(k);
  const std::string short2 = [&] {
    for (double t = NowSeconds(); PeerId(s.node(2)).empty() && NowSeconds() - t < 10;)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return PeerId(s.node(2)).substr(0, 12);
  }();
  ASSERT_FALSE(short2.empty()) << s.node(2).Log();
  ASSERT_TRUE(s.node(0).WaitForLog("node " + short2, 10)) << s.node(0).Log();

  s.boot().Kill(SIGKILL);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  s.StartBootstrap();
  const double t0 = NowSeconds();
  std::map<int, size_t> offsets;
  for (int k = 0; k < 3; ++k) offsets[k] = s.node(k).Log().size();
  s.StartNode(3);
  const bool nodes_ready = s.AllReady(15, offsets);
  const double nodes_seconds = NowSeconds() - t0;
  EXPECT_TRUE(nodes_ready) << s.node(3).Log();
  std::printf(
      "[swarm] a node started after the bootstrap's restart: all 4 ready after %.2f s (target <= 15 s)\n",
      nodes_seconds);
  int status_code = -1;
  while (status_code != 0 && NowSeconds() - t0 < 15)
    status_code = RunShardswarm("status --bootstrap " + s.bootstrap() + " --cluster it").exit_code;
  std::printf(
      "[swarm] status saw the whole swarm ready %.2f s after the bootstrap's restart (target <= 15 s)\n",
      NowSeconds() - t0);
  EXPECT_EQ(status_code, 0);
}

// status gets the stored records and listens briefly: right every time and
// quick, even with a dead cluster's nodes still in the DHT's routing tables.
// status comes back as the same DHT node each run (swarm/client_slot.h);
// a throwaway node per run slowed the later runs' searches to 1.4-2.5 s.
TEST(Swarm, StatusIsRightAndQuickFiftyTimesInARow) {
  Swarm s;
  s.StartBootstrap();
  std::vector<std::unique_ptr<ChildProcess>> dead;
  for (int k = 0; k < 4; ++k)
    dead.push_back(s.OtherNode("gone", k, 4, s.shards(), "gone-" + std::to_string(k)));
  for (auto& d : dead) ASSERT_TRUE(d->WaitForLog("swarm_ready=true", 15)) << d->Log();
  for (auto& d : dead) d->Kill(SIGKILL);
  for (int k = 0; k < 4; ++k) s.StartNode(k);
  ASSERT_TRUE(s.AllReady(15));

  std::vector<double> seconds;
  int wrong = 0;
  for (int i = 0; i < 50; ++i) {
    const double t0 = NowSeconds();
    auto r = RunShardswarm("status --bootstrap " + s.bootstrap() + " --cluster it");
    seconds.push_back(NowSeconds() - t0);
    if (r.exit_code != 0 || !Contains(r.output, "swarm_ready=true")) {
      ++wrong;
      ADD_FAILURE() << "call " << i << " (exit " << r.exit_code << "):\n" << r.output;
    }
  }
  std::sort(seconds.begin(), seconds.end());
  std::printf(
      "[swarm] 50 status calls: %d wrong; seconds min %.2f, median %.2f, p90 %.2f, max %.2f (target <= "
      "1.5)\n",
      wrong, seconds.front(), seconds[25], seconds[45], seconds.back());
  EXPECT_EQ(wrong, 0);
  EXPECT_LE(seconds.back(), 1.5);
}

// One model per swarm: a node serving a shard of another model (the same
// shape, quantized differently) does not count, and `status` says which node
// and why.
TEST(Swarm, ShardsOfTwoModelsAreNotReadyAndStatusNamesTheOddNode) {
  Swarm s;
  const std::string q4 = s.Split("tiny-spm-q4_0.gguf", 4, "q4-shards");
  s.StartBootstrap();
  for (int k = 0; k < 3; ++k) s.StartNode(k);
  s.StartNode(3, q4);
  ASSERT_TRUE(s.node(3).WaitForLog("loaded ", 10)) << s.node(3).Log();
  const std::string odd = PeerId(s.node(3)).substr(0, 12);
  bool named = false;
  ss::testing::CommandResult r;
  for (double t0 = NowSeconds(); !named && NowSeconds() - t0 < 10;) {
    r = RunShardswarm("status --bootstrap " + s.bootstrap() + " --cluster it");
    named = Contains(r.output, "shard 3: node " + odd + "… holds a shard of another model");
  }
  EXPECT_TRUE(named) << r.output;
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(Contains(r.output, "swarm_ready=false")) << r.output;
  EXPECT_FALSE(Contains(s.node(0).Log(), "swarm_ready=true")) << s.node(0).Log();
}

// A shard whose bytes no longer match manifest.json is not loaded, and the
// node says why in its record.
TEST(Swarm, CorruptShardIsNotLoaded) {
  Swarm s;
  const std::string copy = s.dir("corrupt");
  std::filesystem::create_directories(copy);
  for (const char* f : {"manifest.json", "shard-0.gguf", "shard-1.gguf", "shard-2.gguf", "shard-3.gguf"})
    std::filesystem::copy_file(s.shards() + "/" + f, copy + "/" + f);
  {
    std::fstream f(copy + "/shard-2.gguf", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(copy + "/shard-2.gguf") / 2));
    const std::string junk(4096, 'x');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  s.StartBootstrap();
  s.StartNode(2, copy);
  ASSERT_TRUE(s.node(2).WaitForLog("shard not loaded", 10)) << s.node(2).Log();
  EXPECT_TRUE(Contains(s.node(2).Log(), "shard-2.gguf does not match manifest.json")) << s.node(2).Log();
  nlohmann::json st;
  bool said = false;
  for (double t0 = NowSeconds(); !said && NowSeconds() - t0 < 10;) {
    st = s.Status();
    for (const auto& n : st["shards"][2]["nodes"])
      said = said || (n["shard_loaded"] == false &&
                      Contains(n["shard_problem"].get<std::string>(), "does not match manifest.json"));
  }
  EXPECT_TRUE(said) << st.dump(2);
}

// The seed's case: 8 nodes on an 8-way split (one layer each) become ready,
// and each node's log names every peer it found in exactly one line.
// A shard file that changes under a running node (overwritten in place here;
// a re-split renames new files in) is unloaded at once and verified again:
// corrupt, it stays unloaded and the swarm is not ready; restored, it loads
// and the swarm is ready again.
TEST(Swarm, ShardFileChangedWhileServingIsUnloadedAndVerifiedAgain) {
  Swarm s;
  const std::string copy = s.dir("changing");
  std::filesystem::create_directories(copy);
  for (const char* f : {"manifest.json", "shard-0.gguf", "shard-1.gguf", "shard-2.gguf", "shard-3.gguf"})
    std::filesystem::copy_file(s.shards() + "/" + f, copy + "/" + f);
  s.StartBootstrap();
  for (int k = 0; k < 4; ++k) s.StartNode(k, k == 2 ? copy : "");
  ASSERT_TRUE(s.AllReady(10));
  const std::string file = copy + "/shard-2.gguf";
  const std::string good = ss::testing::ReadFile(file);
  size_t off = s.node(2).Log().size();
  double t0 = NowSeconds();
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(good.size() / 2));
    const std::string junk(4096, 'x');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  ASSERT_TRUE(s.node(2).WaitForLog("shard-2.gguf does not match manifest.json", 10)) << s.node(2).Log();
  EXPECT_TRUE(Contains(s.node(2).Log().substr(off), "unloading the shard: shard-2.gguf changed on disk"))
      << s.node(2).Log().substr(off);
  nlohmann::json st;
  bool unloaded = false;
  while (!unloaded && NowSeconds() - t0 < 10) {
    st = s.Status();
    unloaded = st["swarm_ready"] == false;
    for (const auto& n : st["shards"][2]["nodes"]) unloaded = unloaded && n["shard_loaded"] == false;
  }
  std::printf("[swarm] a shard corrupted under its node: unloaded in status after %.2f s\n",
              NowSeconds() - t0);
  EXPECT_TRUE(unloaded) << st.dump(2);

  off = s.node(2).Log().size();
  {
    std::ofstream f(file, std::ios::binary | std::ios::trunc);
    f.write(good.data(), static_cast<std::streamsize>(good.size()));
  }
  EXPECT_TRUE(s.node(2).WaitForLog("loaded " + file, 10));
  std::map<int, size_t> offsets;
  for (int k = 0; k < 4; ++k) offsets[k] = k == 2 ? off : 0;
  EXPECT_TRUE(s.AllReady(10, offsets)) << s.node(2).Log().substr(off);
  EXPECT_EQ(s.Status()["swarm_ready"], true);
}

TEST(Swarm, EightShardsBecomeReadyAndEachPeerIsFoundInOneLine) {
  Swarm s;
  const std::string eight = s.Split("tiny-spm-q8_0.gguf", 8, "eight");
  s.StartBootstrap();
  std::vector<std::unique_ptr<ChildProcess>> nodes;
  for (int k = 0; k < 8; ++k)
    nodes.push_back(s.OtherNode("eight", k, 8, eight, "eight-" + std::to_string(k)));
  for (auto& n : nodes) ASSERT_TRUE(n->WaitForLog("swarm_ready=true", 20)) << n->Log();
  std::vector<std::string> ids;
  for (auto& n : nodes) ids.push_back(PeerId(*n).substr(0, 12));
  for (int i = 0; i < 8; ++i) {
    const std::string log = nodes[i]->Log();
    for (int j = 0; j < 8; ++j) {
      if (i == j) continue;
      const std::string line = "found node " + ids[j] + "… (shard " + std::to_string(j) + ", layers " +
                               std::to_string(j) + "-" + std::to_string(j) + ")";
      size_t count = 0;
      for (size_t at = log.find(line); at != std::string::npos; at = log.find(line, at + 1)) ++count;
      EXPECT_EQ(count, 1u) << "node " << i << " about node " << j << ":\n" << log;
    }
  }
}

TEST(Swarm, StatusWatchRedrawsWhenANodeDies) {
  Swarm s;
  s.StartBootstrap();
  for (int k = 0; k < 4; ++k) s.StartNode(k);
  ASSERT_TRUE(s.AllReady(10));
  ChildProcess watch(
      {SHARDSWARM_BINARY, "status", "--bootstrap", s.bootstrap(), "--cluster", "it", "--watch"},
      s.dir("watch.log"));
  ASSERT_TRUE(watch.WaitForLog("swarm_ready=true", 10)) << watch.Log();
  const std::string victim = PeerId(s.node(1)).substr(0, 12);
  s.node(1).Kill(SIGKILL);
  EXPECT_TRUE(watch.WaitForLog("shard 1: node " + victim + "… is offline (not answering", 5)) << watch.Log();
  watch.Kill(SIGINT);
  for (double t0 = NowSeconds(); watch.Running() && NowSeconds() - t0 < 5;)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(watch.Running()) << "status --watch did not stop on Ctrl-C";
}

TEST(Swarm, NodeWithoutItsShardJoinsAndStatusSaysWhy) {
  Swarm s;
  std::string partial = s.dir("partial");
  fs::create_directories(partial);
  s.StartBootstrap();
  for (int k = 0; k < 3; ++k) s.StartNode(k);
  ChildProcess& n3 = s.StartNode(3, partial);
  ASSERT_TRUE(n3.WaitForLog("shard-3.gguf is not in", 10));
  ASSERT_TRUE(n3.WaitForLog("shards_ready=3/4 nodes_online=4/4", 10)) << n3.Log();
  nlohmann::json st = s.Status();
  EXPECT_EQ(st["swarm_ready"], false);
  ASSERT_EQ(st["shards"][3]["nodes"].size(), 1u);
  EXPECT_EQ(st["shards"][3]["nodes"][0]["shard_loaded"], false);
  EXPECT_EQ(st["shards"][3]["nodes"][0]["online"], true);
  std::string blockers = st["blockers"].dump();
  EXPECT_TRUE(Contains(blockers, "shard 3: node " + PeerId(n3).substr(0, 12))) << blockers;
  EXPECT_TRUE(Contains(blockers, "is online but has not loaded shard-3.gguf")) << blockers;
  EXPECT_TRUE(Contains(blockers, "copy shard-3.gguf to its shards dir")) << blockers;
  auto text = RunShardswarm("status --bootstrap " + s.bootstrap() + " --cluster it");
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_TRUE(Contains(text.output, "waiting: shard 3")) << text.output;
  // The file arrives: the node loads it and the swarm becomes ready.
  size_t off = n3.Log().size();
  ss::testing::CopyFile(s.shards() + "/shard-3.gguf", partial + "/shard-3.gguf");
  EXPECT_TRUE(s.AllReady(10, {{3, off}}));
}

TEST(Swarm, RpcAnswersCapabilitiesAndRefusesStrangers) {
  Swarm s;
  s.StartBootstrap();
  for (int k = 0; k < 4; ++k) s.StartNode(k);
  ASSERT_TRUE(s.AllReady(10));
  auto r = RunShardswarm("rpc GET_CAPABILITIES --bootstrap " + s.bootstrap() + " --cluster it --shard 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto caps = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_TRUE(caps.is_object()) << r.output;
  EXPECT_EQ(caps["status"], "ok");
  EXPECT_EQ(caps["shard_id"], 2);
  EXPECT_EQ(caps["layer_start"], 4);
  EXPECT_EQ(caps["layer_end"], 6);
  EXPECT_EQ(caps["shard_loaded"], true);
  EXPECT_EQ(caps["peer_id"], PeerId(s.node(2)));
  auto unknown = RunShardswarm("rpc FROB --bootstrap " + s.bootstrap() + " --cluster it --shard 2");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_TRUE(Contains(unknown.output, "unknown command 'FROB'")) << unknown.output;

  // A client whose certificate no DHT record names is refused.
  std::smatch m;
  std::string log = s.node(2).Log();
  ASSERT_TRUE(std::regex_search(log, m, std::regex("RPC listening on 127.0.0.1:(\\d+)")));
  auto stranger = net::GenerateSelfSignedIdentity("stranger");
  ASSERT_TRUE(stranger.ok());
  net::RpcClientOptions co;
  co.port = static_cast<uint16_t>(std::stoi(m[1]));
  co.identity = *stranger;
  co.expected_public_key_id = PeerId(s.node(2));
  auto client = net::RpcClient::Connect(co);
  Result<nlohmann::json> reply =
      client.ok() ? (*client)->Call({{"type", "GET_CAPABILITIES"}}, std::chrono::seconds(5))
                  : client.status();
  ASSERT_FALSE(reply.ok());
  EXPECT_TRUE(Contains(reply.status().message(), "has no signed record")) << reply.status().message();
  EXPECT_TRUE(s.node(2).WaitForLog("cause=refused", 5));

  // Garbage after a successful handshake: an error reply, and the node keeps serving.
  EXPECT_TRUE(Contains(
      RunShardswarm("rpc GET_STATUS --bootstrap " + s.bootstrap() + " --cluster it --shard 2").output,
      "\"swarm_ready\": true"));
}

TEST(Swarm, DhtnodeSeesANodesAnnouncement) {
  Swarm s;
  s.StartBootstrap();
  s.StartNode(1);
  ASSERT_TRUE(s.node(1).WaitForLog("[STATUS]", 10));
  // Ask for the shard key until the value shows up (the node refreshes every 2 s).
  const std::regex data("signed \\(v\\d+\\) data:([0-9a-f]+)");
  std::smatch m;
  const std::string log =
      ss::testing::DhtnodeGet(s.dir(""), dht::kNetworkId, s.bootstrap(), dht::ShardKey("it", 1), 40,
                              [&](const std::string& so_far) { return std::regex_search(so_far, data); });
  std::string hex = std::regex_search(log, m, data) ? m[1].str() : "";
  ASSERT_FALSE(hex.empty()) << log;
  const std::string json = HexDecode(hex).value_or("");
  auto record = nlohmann::json::parse(json, nullptr, false);
  ASSERT_TRUE(record.is_object()) << hex;
  EXPECT_EQ(record["peer_id"], PeerId(s.node(1)));
  EXPECT_EQ(record["shard_id"], 1);
  EXPECT_EQ(record["cluster"], "it");
}

// One HTTP GET on loopback, the raw way: status line and body.
std::string HttpGet(int port, const std::string& target) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "";
  }
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  (void)!write(fd, req.data(), req.size());
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

TEST(Swarm, BootstrapServesHealth) {
  Swarm s;
  s.StartBootstrap();
  s.StartNode(0);
  ASSERT_TRUE(s.boot().WaitForLog("/healthz", 5));
  std::smatch m;
  std::string log = s.boot().Log();
  ASSERT_TRUE(std::regex_search(log, m, std::regex("http://127.0.0.1:(\\d+)/healthz")));
  int port = std::stoi(m[1]);
  ASSERT_TRUE(s.node(0).WaitForLog("[STATUS]", 10));
  std::string r;
  for (int i = 0; i < 50; ++i) {
    r = HttpGet(port, "/healthz");
    if (Contains(r, "\"dht_connected_nodes\":1")) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(Contains(r, "HTTP/1.1 200 OK")) << r;
  EXPECT_TRUE(Contains(r, "\"status\":\"ok\"")) << r;
  EXPECT_TRUE(Contains(r, "\"dht_connected_nodes\":1")) << r;
  EXPECT_TRUE(Contains(HttpGet(port, "/nope"), "404")) << HttpGet(port, "/nope");
}

// An authorized peer that sends garbage gets error replies or a closed
// connection; the node keeps serving.
TEST(Swarm, NodeSurvivesGarbageFromAnAuthorizedPeer) {
  Swarm s;
  s.StartBootstrap();
  s.StartNode(0);
  ASSERT_TRUE(s.node(0).WaitForLog("[STATUS]", 10));
  auto id = dht::EphemeralIdentity("garbage");
  ASSERT_TRUE(id.ok());
  dht::DiscoveryOptions o;
  o.bootstrap = {s.bootstrap()};
  auto disc = dht::Discovery::Start(*id, o);
  ASSERT_TRUE(disc.ok());
  std::smatch m;
  std::string log = s.node(0).Log();
  ASSERT_TRUE(std::regex_search(log, m, std::regex("RPC listening on 127.0.0.1:(\\d+)")));
  net::RpcClientOptions co;
  co.port = static_cast<uint16_t>(std::stoi(m[1]));
  co.identity = {id->cert_pem, id->key_pem};
  co.expected_public_key_id = PeerId(s.node(0));
  dht::ClientRecord me{id->peer_id, "it", "test", id->cert_fingerprint, 1};
  auto connect = [&]() -> std::unique_ptr<net::RpcClient> {
    for (int i = 0; i < 50; ++i) {
      (*disc)->Announce(dht::ClientsKey("it"), me.ToJson());
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      auto c = net::RpcClient::Connect(co);
      if (c.ok() && (*c)->Call({{"type", "GET_CAPABILITIES"}}, std::chrono::seconds(5)).ok())
        return std::move(*c);
    }
    return nullptr;
  };
  auto c = connect();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->SendText("this is not json").ok());
  auto reply = c->ReadText(std::chrono::seconds(5));
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  EXPECT_TRUE(Contains(*reply, "\"status\":\"error\"")) << *reply;
  ASSERT_TRUE(c->SendText(R"([1,2,3])").ok());
  EXPECT_TRUE(Contains(*c->ReadText(std::chrono::seconds(5)), "error"));
  ASSERT_TRUE(c->SendBinary({0x53, 0x53, 0x41, 0x46, 1, 0, 9}).ok());  // a truncated activation frame
  EXPECT_TRUE(Contains(*c->ReadText(std::chrono::seconds(5)), "error"));
  // Oversized: the connection is closed, not the node.
  c->SendText(std::string(3 << 20, 'x'));
  EXPECT_FALSE(c->Call({{"type", "GET_STATUS"}}, std::chrono::seconds(5)).ok());
  auto again = connect();
  ASSERT_TRUE(again);
  auto status = again->Call({{"type", "GET_STATUS"}}, std::chrono::seconds(5));
  ASSERT_TRUE(status.ok());
  EXPECT_EQ((*status)["status"], "ok");
  EXPECT_TRUE(s.node(0).Running());
}

// Every socket our processes open is bound to loopback, and a swarm inside a
// network namespace with only `lo` up (nothing else to reach) becomes ready.
TEST(Swarm, NothingLeavesLoopback) {
  Swarm s;
  s.StartBootstrap();
  for (int k = 0; k < 4; ++k) s.StartNode(k);
  ASSERT_TRUE(s.AllReady(10));
  std::vector<int> pids = {s.boot().pid()};
  for (int k = 0; k < 4; ++k) pids.push_back(s.node(k).pid());
  for (int pid : pids) {
    auto r = ss::testing::RunCommand("ss -H -tuanp | grep 'pid=" + std::to_string(pid) + ",'");
    ASSERT_FALSE(r.output.empty());
    std::istringstream lines(r.output);
    std::string line;
    while (std::getline(lines, line)) {
      std::istringstream f(line);
      std::string proto, state, recv, send, local;
      f >> proto >> state >> recv >> send >> local;
      // libtorrent also binds its sockets to the interface: "127.0.0.1%lo:PORT".
      EXPECT_TRUE(local.rfind("127.0.0.1:", 0) == 0 || local.rfind("127.0.0.1%lo:", 0) == 0 ||
                  local.rfind("[::1]:", 0) == 0)
          << line;
    }
  }
  // Inside the namespace: only lo exists. Background processes write to files
  // so the pipe closes; their pids are collected to stop them.
  std::string bin = SHARDSWARM_BINARY, ns = s.dir("ns");
  std::string script =
      "ip link set lo up; mkdir -p " + ns + "; " + bin + " bootstrap --port 52999 >" + ns +
      "/boot.log 2>&1 & pids=$!; sleep 0.3; for k in 0 1 2 3; do " + bin +
      " node --bootstrap 127.0.0.1:52999 --cluster ns --shard-id $k --total-shards 4 --shards-dir " +
      s.shards() + " --data-dir " + ns + "/n$k --refresh-interval 1 -t 1 >" + ns +
      "/n$k.log 2>&1 & pids=\"$pids $!\"; done; sleep 2; " + bin +
      " status --bootstrap 127.0.0.1:52999 --cluster ns; rc=$?; kill -9 $pids; exit $rc";
  auto r = ss::testing::RunCommand("unshare -n sh -c '" + script + "' 2>/dev/null");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "swarm_ready=true")) << r.output;
}

}  // namespace
}  // namespace ss
