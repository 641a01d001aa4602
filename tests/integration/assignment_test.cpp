// Shard assignment without --shard-id (node/shard_choice.h) with real
// processes on loopback: nodes started at nearly the same moment on a
// 4-shard model end one per shard (8 nodes: two per shard), however their
// starts interleave.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <regex>
#include <thread>

#include "testing.h"

namespace ss {
namespace {

using ss::testing::ChildProcess;
using ss::testing::NowSeconds;

class AutoSwarm {
 public:
  AutoSwarm() {
    setenv("SHARDSWARM_CACHE_DIR", (dir_ / "cache").c_str(), 1);
    shards_ = dir_ / "shards";
    auto r = ss::testing::RunShardswarm("shard split " + ss::testing::ModelPath("tiny-spm-q8_0.gguf") +
                                        " -n 4 -o " + shards_);
    EXPECT_EQ(r.exit_code, 0) << r.output;
  }
  // On a new bootstrap (a new swarm: the DHT of the last round still holds
  // its dead peers for a while), starts `n` nodes without a shard id, each
  // after a random delay of up to `spread_s`; returns the shard each chose
  // (-1: it did not say).
  // `extra`: more flags for every node.
  std::vector<int> StartAndWait(const std::string& cluster, int n, double spread_s, std::mt19937& rng,
                                const std::vector<std::string>& extra = {}) {
    port_ = ss::testing::FreePort(/*udp=*/true);
    boot_ =
        std::make_unique<ChildProcess>(std::vector<std::string>{SHARDSWARM_BINARY, "bootstrap", "--port",
                                                                std::to_string(port_), "--health-port", "0"},
                                       dir_ / (cluster + "-bootstrap.log"));
    std::vector<std::unique_ptr<ChildProcess>> nodes;
    std::uniform_real_distribution<double> delay(0, spread_s);
    std::vector<double> at;
    for (int i = 0; i < n; ++i) at.push_back(delay(rng));
    std::sort(at.begin(), at.end());
    const double t0 = NowSeconds();
    for (int i = 0; i < n; ++i) {
      while (NowSeconds() - t0 < at[i]) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      const std::string name = cluster + "-n" + std::to_string(i);
      std::vector<std::string> args = {
          SHARDSWARM_BINARY,    "node",  "--bootstrap",    "127.0.0.1:" + std::to_string(port_),
          "--cluster",          cluster, "--total-shards", "4",
          "--shards-dir",       shards_, "--data-dir",     dir_ / name,
          "--refresh-interval", "1",     "--threads",      "1"};
      args.insert(args.end(), extra.begin(), extra.end());
      nodes.push_back(std::make_unique<ChildProcess>(args, dir_ / (name + ".log")));
    }
    std::vector<int> chosen;
    logs_.clear();
    const std::regex re(R"(chose shard (\d+) of 4)");
    for (auto& node : nodes) {
      EXPECT_TRUE(node->WaitForLog("chose shard", 30)) << node->Log();
      std::smatch m;
      const std::string log = node->Log();
      chosen.push_back(std::regex_search(log, m, re) ? std::stoi(m[1].str()) : -1);
      logs_.push_back(log);
    }
    return chosen;
  }
  const std::string& shards_dir() const { return shards_; }
  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> logs_;  // of the last round's nodes

 private:
  ss::testing::TempDir dir_;
  std::string shards_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> boot_;
};

std::string Show(const std::vector<int>& v) {
  std::string s;
  for (int x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
  return s;
}

TEST(ShardAssignment, FourNodesStartedTogetherTakeOneShardEach20Times) {
  AutoSwarm swarm;
  std::mt19937 rng(20261205);
  for (int round = 0; round < 20; ++round) {
    std::vector<int> chosen = swarm.StartAndWait("auto" + std::to_string(round), 4, 1.5, rng);
    std::vector<int> per_shard(4, 0);
    for (int k : chosen)
      if (k >= 0 && k < 4) per_shard[k]++;
    EXPECT_EQ(per_shard, (std::vector<int>{1, 1, 1, 1})) << "round " << round << ": chosen " << Show(chosen);
  }
}

TEST(ShardAssignment, EightNodesEndTwoPerShard) {
  AutoSwarm swarm;
  std::mt19937 rng(8);
  for (int round = 0; round < 3; ++round) {
    std::vector<int> chosen = swarm.StartAndWait("eight" + std::to_string(round), 8, 1.5, rng);
    std::vector<int> per_shard(4, 0);
    for (int k : chosen)
      if (k >= 0 && k < 4) per_shard[k]++;
    EXPECT_EQ(per_shard, (std::vector<int>{2, 2, 2, 2})) << "round " << round << ": chosen " << Show(chosen);
  }
}

// Shards 0 and 3 of the tiny split are 11 MB (embeddings, output), 1 and 2
// 2.4 MB: nodes that may use 5 MB skip the big ones; 1 MB fits none.
TEST(ShardAssignment, NodesSkipShardsTheyHaveNoMemoryFor) {
  AutoSwarm swarm;
  std::mt19937 rng(5);
  std::vector<int> chosen = swarm.StartAndWait("small", 2, 0.5, rng, {"--memory", "5"});
  std::sort(chosen.begin(), chosen.end());
  EXPECT_EQ(chosen, (std::vector<int>{1, 2}));
  for (const std::string& log : swarm.logs_)
    EXPECT_NE(log.find("too big for its memory: shard 0, 3"), std::string::npos) << log;

  const std::string shards = swarm.shards_dir();
  ss::testing::TempDir dir;
  auto r = ss::testing::RunShardswarm("node --bootstrap " + swarm.bootstrap() +
                                      " --cluster small --total-shards 4 --shards-dir " + shards +
                                      " --data-dir " + (dir / "n") + " --memory 1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("no shard fits in this node's memory (1 MB, --memory): the smallest needs 2 MB"),
            std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace ss
