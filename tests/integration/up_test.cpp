// `shardswarm up` as a new user runs it: a whole local swarm on the built-in
// demo model, serving the API, stopped by Ctrl-C or by a child's death.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "net/http_client.h"
#include "testing.h"

namespace ss {
namespace {

using ss::testing::ChildProcess;
using ss::testing::NowSeconds;

// The API port `up` printed, or 0 once `timeout_s` passed.
int ApiPort(const ChildProcess& up, double timeout_s) {
  double deadline = NowSeconds() + timeout_s;
  std::regex re(R"(API: +http://127\.0\.0\.1:(\d+)/v1)");
  while (NowSeconds() < deadline) {
    std::smatch m;
    std::string log = up.Log();
    if (std::regex_search(log, m, re)) return std::stoi(m[1].str());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return 0;
}

std::vector<int> Children(int pid) {
  auto r = ss::testing::RunCommand("pgrep -P " + std::to_string(pid));
  std::vector<int> out;
  std::istringstream in(r.output);
  for (int p; in >> p;) out.push_back(p);
  return out;
}

TEST(Up, ServesTheDemoModelAndStopsEverythingOnCtrlC) {
  ss::testing::TempDir dir;
  ChildProcess up({SHARDSWARM_BINARY, "up", "--http-port", "0", "--work-dir", dir / "up"}, dir / "up.log");
  int port = ApiPort(up, 90);
  ASSERT_NE(port, 0) << up.Log();
  EXPECT_NE(up.Log().find("curl -s http://127.0.0.1:" + std::to_string(port) + "/v1/completions"),
            std::string::npos);
  EXPECT_EQ(Children(up.pid()).size(), 6u) << "bootstrap, 4 nodes and a gateway";
  net::HttpClientRequest r;
  r.method = "POST";
  r.port = static_cast<uint16_t>(port);
  r.target = "/v1/completions";
  r.body = R"({"prompt": "Once upon a time", "max_tokens": 8, "temperature": 0})";
  auto res = net::HttpFetch(r);
  ASSERT_TRUE(res.ok()) << res.status().message();
  ASSERT_EQ(res->status, 200) << res->body;
  auto j = nlohmann::json::parse(res->body);
  EXPECT_EQ(j["shardswarm"]["route"].size(), 4u);
  EXPECT_EQ(j["usage"]["completion_tokens"], 8);
  std::vector<int> children = Children(up.pid());
  up.Kill(SIGINT);
  double deadline = NowSeconds() + 20;
  while (up.Running() && NowSeconds() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(up.Running()) << "up did not stop within 20 s of Ctrl-C";
  for (int c : children) EXPECT_NE(kill(c, 0), 0) << "child " << c << " outlived up";
}

// A node that dies is started again (same data dir, so the same peer id and
// shard) and the swarm serves again; the gateway dying stops the swarm,
// saying which child it was.
TEST(Up, RestartsADeadNodeAndStopsWhenTheGatewayDies) {
  ss::testing::TempDir dir;
  ChildProcess up({SHARDSWARM_BINARY, "up", "--http-port", "0", "--nodes", "2", "--work-dir", dir / "up"},
                  dir / "up.log");
  const int port = ApiPort(up, 90);
  ASSERT_NE(port, 0) << up.Log();
  std::vector<int> children = Children(up.pid());
  ASSERT_EQ(children.size(), 4u);
  // Children start in order: bootstrap, node-0, node-1, gateway.
  std::sort(children.begin(), children.end());
  kill(children[2], SIGKILL);
  const std::string restarted = "node-1 (pid " + std::to_string(children[2]) + ") was killed by signal 9";
  for (double until = NowSeconds() + 20;
       NowSeconds() < until && up.Log().find(restarted) == std::string::npos;)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_NE(up.Log().find(restarted), std::string::npos) << up.Log();
  EXPECT_NE(up.Log().find("started it again"), std::string::npos) << up.Log();
  EXPECT_TRUE(up.Running()) << up.Log();
  // Served again, through the restarted node.
  bool served = false;
  for (double until = NowSeconds() + 60; NowSeconds() < until && !served;) {
    net::HttpClientRequest r;
    r.method = "POST";
    r.port = static_cast<uint16_t>(port);
    r.target = "/v1/completions";
    r.body = R"({"prompt": "Once upon a time", "max_tokens": 4})";
    auto res = net::HttpFetch(r);
    served = res.ok() && res->status == 200;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(served) << up.Log();

  std::vector<int> now = Children(up.pid());
  kill(children[3], SIGKILL);
  ASSERT_TRUE(up.WaitForExit(20)) << up.Log();
  EXPECT_NE(up.Log().find("gateway (pid " + std::to_string(children[3]) + ") was killed by signal 9"),
            std::string::npos)
      << up.Log();
  for (int c : now) EXPECT_NE(kill(c, 0), 0) << "child " << c << " outlived up";
}

// More nodes than shards: the nodes choose their shards, two per shard.
TEST(Up, EightNodesOnFourShardsServeWithTwoReplicasEach) {
  ss::testing::TempDir dir;
  ChildProcess up({SHARDSWARM_BINARY, "up", "--http-port", "0", "--nodes", "8", "--shards", "4", "--work-dir",
                   dir / "up"},
                  dir / "up.log");
  int port = ApiPort(up, 120);
  ASSERT_NE(port, 0) << up.Log();
  EXPECT_NE(up.Log().find("8 nodes serve shardswarm-demo.gguf in 4 shards"), std::string::npos) << up.Log();
  net::HttpClientRequest status;
  status.port = static_cast<uint16_t>(port);
  status.target = "/api/status";
  nlohmann::json st;
  bool two_each = false;
  for (double deadline = NowSeconds() + 30; !two_each && NowSeconds() < deadline;) {
    auto res = net::HttpFetch(status);
    st = res.ok() ? nlohmann::json::parse(res->body, nullptr, false) : nlohmann::json();
    two_each = st.is_object() && st["shards"].size() == 4;
    for (size_t k = 0; two_each && k < 4; ++k) two_each = st["shards"][k]["replicas_serving"] == 2;
    if (!two_each) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(two_each) << st.dump();
  std::smatch m;
  const std::string log = up.Log();
  ASSERT_TRUE(std::regex_search(log, m, std::regex(R"(bootstrap: (127\.0\.0\.1:\d+))"))) << log;
  const std::string boot = m[1].str();
  // up's swarm is private: status needs its key.
  ASSERT_TRUE(std::regex_search(log, m, std::regex(R"(swarm key: (\S+))"))) << log;
  auto text =
      ss::testing::RunShardswarm("status --bootstrap " + boot + " --cluster local --swarm-key " + m[1].str());
  EXPECT_NE(text.output.find("serving_per_shard=2,2,2,2"), std::string::npos) << text.output;
  auto keyless = ss::testing::RunShardswarm("status --bootstrap " + boot + " --cluster local --timeout 2");
  EXPECT_NE(keyless.exit_code, 0);
  EXPECT_NE(keyless.output.find("with the same --swarm-key (this process: none)"), std::string::npos)
      << keyless.output;
  net::HttpClientRequest r;
  r.method = "POST";
  r.port = static_cast<uint16_t>(port);
  r.target = "/v1/completions";
  r.body = R"({"prompt": "Once upon a time", "max_tokens": 8, "temperature": 0})";
  auto res = net::HttpFetch(r);
  ASSERT_TRUE(res.ok()) << res.status().message();
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_NE(
      ss::testing::RunCommand("! " + std::string(SHARDSWARM_BINARY) +
                              " up --nodes 2 --shards 3 --http-port 0 --work-dir " + (dir / "bad") + " 2>&1")
          .output.find("--shards must be 1 to --nodes (2)"),
      std::string::npos);
  up.Kill(SIGINT);
}

}  // namespace
}  // namespace ss
