// A private swarm (--swarm-key, util/swarm_key.h) with real processes on
// loopback: the keyed swarm becomes ready and serves; a node and a gateway
// with another key, or none, cannot join, read or call anything in it.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "dht/discovery.h"
#include "net/http_client.h"
#include "testing.h"

namespace ss {
namespace {

using nlohmann::json;
using ss::testing::ChildProcess;
using ss::testing::NowSeconds;
using ss::testing::RunShardswarm;

class PrivateSwarm {
 public:
  PrivateSwarm() {
    key_ = dir_ / "a.key";
    EXPECT_EQ(RunShardswarm("keygen --out " + key_).exit_code, 0);
    auto r = RunShardswarm("shard split " + ss::testing::ModelPath("tiny-spm-q8_0.gguf") + " -n 4 -o " +
                           (dir_ / "shards"));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    boot_port_ = ss::testing::FreePort(/*udp=*/true);
    http_port_ = ss::testing::FreePort(/*udp=*/false);
    Start("bootstrap", {"bootstrap", "--port", std::to_string(boot_port_), "--health-port", "0"}, key_);
    for (int k = 0; k < 4; ++k) StartNode("node-" + std::to_string(k), k, key_);
    Start("gateway",
          {"gateway", "--bootstrap", bootstrap(), "--cluster", "pk", "--http-port",
           std::to_string(http_port_), "--refresh-interval", "1"},
          key_);
  }
  ChildProcess& StartNode(const std::string& name, int k, const std::string& key) {
    return Start(name,
                 {"node", "--bootstrap", bootstrap(), "--cluster", "pk", "--shard-id", std::to_string(k),
                  "--total-shards", "4", "--shards-dir", dir_ / "shards", "--data-dir", dir_ / name,
                  "--refresh-interval", "1", "--threads", "1"},
                 key);
  }
  ChildProcess& Start(const std::string& name, std::vector<std::string> args, const std::string& key) {
    args.insert(args.begin(), SHARDSWARM_BINARY);
    if (!key.empty()) args.insert(args.end(), {"--swarm-key", key});
    procs_[name] = std::make_unique<ChildProcess>(args, dir_ / (name + ".log"));
    return *procs_[name];
  }
  json Get(const std::string& target) {
    net::HttpClientRequest r;
    r.port = static_cast<uint16_t>(http_port_);
    r.target = target;
    auto res = net::HttpFetch(r);
    return res.ok() ? json::parse(res->body, nullptr, false) : json();
  }
  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(boot_port_); }
  std::string dir(const std::string& name) const { return dir_ / name; }
  const std::string& key() const { return key_; }
  int http_port() const { return http_port_; }
  ChildProcess& process(const std::string& name) { return *procs_.at(name); }

 private:
  ss::testing::TempDir dir_;
  std::string key_;
  int boot_port_ = 0, http_port_ = 0;
  std::map<std::string, std::unique_ptr<ChildProcess>> procs_;
};

TEST(PrivateSwarm, StrangersCannotJoinReadOrCallAndTheSwarmServes) {
  PrivateSwarm s;
  // keygen: mode 0600, never replaces a key.
  struct stat st {};
  ASSERT_EQ(stat(s.key().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = RunShardswarm("keygen --out " + s.key());
  EXPECT_NE(again.exit_code, 0);
  EXPECT_NE(again.output.find("cannot create swarm key"), std::string::npos) << again.output;
  const std::string other = s.dir("b.key");
  ASSERT_EQ(RunShardswarm("keygen --out " + other).exit_code, 0);

  // Intruders: a node with another key and one with none (both on shard 0),
  // a gateway with another key.
  ChildProcess& wrong_node = s.StartNode("intruder-b", 0, other);
  ChildProcess& keyless_node = s.StartNode("intruder-none", 0, "");
  ChildProcess& wrong_gateway = s.Start(
      "gateway-b", {"gateway", "--bootstrap", s.bootstrap(), "--cluster", "pk", "--http-port", "0"}, other);

  // The keyed swarm becomes ready and serves.
  json status;
  for (double deadline = NowSeconds() + 30; NowSeconds() < deadline;
       std::this_thread::sleep_for(std::chrono::milliseconds(200))) {
    status = s.Get("/api/status");
    if (status.is_object() && status.value("swarm_ready", false) && !status["model"].is_null()) break;
  }
  ASSERT_TRUE(status.value("swarm_ready", false)) << status.dump() << s.process("gateway").Log();
  net::HttpClientRequest r;
  r.method = "POST";
  r.port = static_cast<uint16_t>(s.http_port());
  r.target = "/v1/completions";
  r.body = R"({"prompt": "Once upon a time", "max_tokens": 8, "temperature": 0})";
  auto res = net::HttpFetch(r);
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->status, 200) << res->body;

  // Records ignored: the swarm lists exactly its own 4 nodes.
  size_t listed = 0;
  for (const json& shard : status["shards"]) listed += shard["nodes"].size();
  EXPECT_EQ(listed, 4u) << status.dump();
  // The intruders never reach the DHT, and say why.
  EXPECT_TRUE(wrong_gateway.WaitForLog("with the same --swarm-key", 20)) << wrong_gateway.Log();
  // It logs why, then exits: give the exit a moment after the line.
  EXPECT_TRUE(wrong_gateway.WaitForExit(10)) << wrong_gateway.Log();
  for (ChildProcess* p : {&wrong_node, &keyless_node}) {
    EXPECT_TRUE(p->WaitForLog("another --swarm-key, or none, does not answer", 10)) << p->Log();
    EXPECT_EQ(p->Log().find("swarm_ready=true"), std::string::npos) << p->Log();
  }
  // `status` without the key cannot read the swarm; with it, it can.
  auto keyless = RunShardswarm("status --bootstrap " + s.bootstrap() + " --cluster pk --timeout 2");
  EXPECT_NE(keyless.exit_code, 0);
  EXPECT_NE(keyless.output.find("same --swarm-key (this process: none)"), std::string::npos)
      << keyless.output;
  auto keyed = RunShardswarm("status --bootstrap " + s.bootstrap() + " --cluster pk --swarm-key " + s.key());
  EXPECT_EQ(keyed.exit_code, 0) << keyed.output;
  EXPECT_NE(keyed.output.find("swarm_ready=true"), std::string::npos) << keyed.output;
  // A stranger on the DHT (OpenDHT's own dhtnode, on the project's public
  // network id) finds no record under the swarm's shard key.
  const std::string log =
      ss::testing::DhtnodeGet(s.dir(""), dht::kNetworkId, s.bootstrap(), dht::ShardKey("pk", 1), 12);
  EXPECT_EQ(log.find("data:"), std::string::npos) << log;
}

}  // namespace
}  // namespace ss
