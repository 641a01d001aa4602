// The forward path with real processes on loopback: a bootstrap node and four
// nodes holding a 4-way split of tiny-spm-q8_0, driven by an in-process
// "gateway" made of the real pieces (an ephemeral identity, JoinDht, a signed
// client record, RpcClient connections to every node). Tokens must be the
// reference's (greedy) and `generate`'s (seeded sampling).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "dht/discovery.h"
#include "dht/identity.h"
#include "dht/record.h"
#include "gguf/reader.h"
#include "model/tokenizer.h"
#include "net/forward_message.h"
#include "net/message.h"
#include "net/rpc_client.h"
#include "swarm/join.h"
#include "testing.h"
#include "util/base64.h"
#include "util/clock.h"

namespace ss {
namespace {

using nlohmann::json;
using ss::testing::ChildProcess;
using ss::testing::NowSeconds;
using ss::testing::RunShardswarm;
using ss::testing::TestdataDir;

constexpr int kShards = 4;
// Caps a hostile peer runs into (node/forward_worker.h), above what the
// other tests use.
const std::vector<std::string> kLimits = {"--max-sessions-per-peer", "16", "--max-sessions", "24",
                                          "--max-queued-per-peer",   "32"};
constexpr int kRssCapMiB = 256;  // each node's VmRSS after the hostile peer is done
const std::string kModel = "tiny-spm-q8_0";

bool Contains(const std::string& s, const std::string& f) { return s.find(f) != std::string::npos; }

json Reference() {
  std::ifstream f(TestdataDir() + "/reference/" + kModel + "/p3-once.kvf16.json");
  return json::parse(f);
}
std::string PromptFile() { return TestdataDir() + "/reference/prompts/p3-once.txt"; }

// A peer of the swarm that is not a node: an ephemeral identity on the DHT
// with a signed client record, connected (and authorized) to every node. The
// test's gateway is one; a hostile peer is another.
class Client {
 public:
  bool Join(const std::string& bootstrap, const std::string& name) {
    auto id = dht::EphemeralIdentity(name);
    if (!id.ok()) return false;
    id_ = *id;
    auto disc = swarm::JoinDht(id_, {bootstrap}, "127.0.0.1", 10, SwarmKey());
    EXPECT_TRUE(disc.ok()) << disc.status().message();
    if (!disc.ok()) return false;
    disc_ = std::move(disc.value());
    for (int k = 0; k < kShards; ++k)
      disc_->Listen(dht::ShardKey("fw", k), [this, k](const dht::SignedValue& v, bool expired) {
        auto r = dht::NodeRecord::FromJson(v.data);
        std::lock_guard lock(mu_);
        if (!expired && r.ok() && r->peer_id == v.owner && r->shard_loaded) records_[k] = *r;
      });
    dht::ClientRecord me{id_.peer_id, "fw", "gateway", id_.cert_fingerprint, UnixMillis()};
    disc_->Announce(dht::ClientsKey("fw"), me.ToJson());
    const double deadline = NowSeconds() + 20;
    for (int k = 0; k < kShards; ++k) {
      for (;;) {
        std::optional<dht::NodeRecord> r;
        {
          std::lock_guard lock(mu_);
          if (records_.count(k)) r = records_[k];
        }
        if (r && Connect(k, *r)) break;
        if (NowSeconds() > deadline) {
          ADD_FAILURE() << "cannot reach the node of shard " << k;
          return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        disc_->Announce(dht::ClientsKey("fw"), me.ToJson());  // the node may have missed it
      }
    }
    return true;
  }

  // Connected and authorized (a node refuses us until it has our record).
  bool Connect(int k, const dht::NodeRecord& r) {
    std::string host, port;
    if (!dht::SplitHostPort(r.rpc_endpoint, &host, &port)) return false;
    net::RpcClientOptions co;
    co.host = host;
    co.port = static_cast<uint16_t>(std::stoi(port));
    co.identity = {id_.cert_pem, id_.key_pem};
    co.expected_public_key_id = r.peer_id;
    auto client = net::RpcClient::Connect(co);
    if (!client.ok()) return false;
    auto reply = (*client)->Call({{"type", "GET_CAPABILITIES"}}, std::chrono::seconds(5));
    if (!reply.ok() || net::IsErrorReply(*reply)) return false;
    clients_[k] = std::move(client.value());
    route_.resize(kShards);
    route_[k] = {r.peer_id, r.rpc_endpoint};
    return true;
  }

  net::RpcClient& client(int k) { return *clients_.at(k); }
  const std::vector<net::RouteHop>& route() const { return route_; }
  const std::string& origin() const { return id_.peer_id; }

 private:
  // Declared before the DHT: its listeners write here until it is destroyed.
  std::mutex mu_;
  std::map<int, dht::NodeRecord> records_;
  dht::NodeIdentity id_;
  std::unique_ptr<dht::Discovery> disc_;
  std::map<int, std::unique_ptr<net::RpcClient>> clients_;
  std::vector<net::RouteHop> route_;
};

// The swarm and the gateway's side of it, started once for every test here.
class Env {
 public:
  bool Start(const std::vector<std::string>& extra_node_args = {}) {
    shards_ = dir_ / "shards";
    auto r = RunShardswarm("shard split " + ss::testing::ModelPath(kModel + ".gguf") + " -n 4 -o " + shards_);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    if (r.exit_code != 0) return false;
    const int boot_port = ss::testing::FreePort(/*udp=*/true);
    bootstrap_ = "127.0.0.1:" + std::to_string(boot_port);
    boot_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{SHARDSWARM_BINARY, "bootstrap", "--port", std::to_string(boot_port),
                                 "--health-port", "0"},
        dir_ / "bootstrap.log");
    for (int k = 0; k < kShards; ++k) {
      std::vector<std::string> argv{SHARDSWARM_BINARY,    "node",
                                    "--bootstrap",        bootstrap_,
                                    "--cluster",          "fw",
                                    "--shard-id",         std::to_string(k),
                                    "--total-shards",     "4",
                                    "--shards-dir",       shards_,
                                    "--data-dir",         dir_ / ("node-" + std::to_string(k)),
                                    "--refresh-interval", "2",
                                    "--threads",          "1"};
      argv.insert(argv.end(), extra_node_args.begin(), extra_node_args.end());
      nodes_.push_back(std::make_unique<ChildProcess>(argv, dir_ / ("node-" + std::to_string(k) + ".log")));
    }
    // Nodes authorize each other from their swarm views: wait until all see all.
    double deadline = NowSeconds() + 20;
    for (auto& n : nodes_)
      if (!n->WaitForLog("swarm_ready=true", deadline - NowSeconds())) {
        ADD_FAILURE() << "swarm not ready: " << n->Log();
        return false;
      }
    return gateway_.Join(bootstrap_, "shardswarm-forward-test");
  }

  net::RpcClient& client(int k) { return gateway_.client(k); }
  const std::vector<net::RouteHop>& route() const { return gateway_.route(); }
  const std::string& origin() const { return gateway_.origin(); }
  const std::string& bootstrap() const { return bootstrap_; }
  std::string ShortId(int k) const { return route()[k].peer_id.substr(0, 12) + "…"; }
  json Call(int k, json request) {
    auto r = client(k).Call(std::move(request), std::chrono::seconds(10));
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : json();
  }
  ChildProcess& node(int k) { return *nodes_[k]; }
  std::set<uint64_t> sessions_used;

 private:
  ss::testing::TempDir dir_;
  std::string shards_, bootstrap_;
  std::unique_ptr<ChildProcess> boot_;
  std::vector<std::unique_ptr<ChildProcess>> nodes_;
  Client gateway_;
};

class Forward : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = new Env();
    ok_ = env_->Start(kLimits);
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(ok_) << "the swarm did not start"; }

  Env& env() { return *(other_ ? other_ : env_); }

  // Sends rows of a session to `node` as stage `stage`.
  void Send(int node, uint64_t session, uint64_t step, const std::vector<net::ActivationRow>& rows,
            bool sample, const json& sampling, int stage = 0, uint32_t width = 0,
            const std::vector<net::RouteHop>* route = nullptr) {
    env().sessions_used.insert(session);
    net::ForwardHeader h;
    h.session = session;
    h.step = step;
    h.origin = env().origin();
    h.stage = stage;
    h.route = route ? *route : env().route();
    h.sample = sample;
    h.sampling = sampling;
    net::ActivationFrame f;
    f.kind = width == 0 ? net::ActivationKind::kTokens : net::ActivationKind::kHiddenStates;
    f.session = session;
    f.request_id = step;
    f.width = width;
    f.rows = rows;
    f.values.assign(rows.size() * width, 0.25f);
    auto bytes = net::EncodeForward(h, f);
    ASSERT_TRUE(bytes.ok()) << bytes.status().message();
    ASSERT_TRUE(env().client(node).SendBinary(std::move(bytes.value())).ok());
  }

  // The next FORWARD_RESULT pushed on the connection to `node`.
  json NextResult(int node) {
    for (;;) {
      auto m = env().client(node).ReadMessage(std::chrono::seconds(20));
      if (!m.ok()) {
        ADD_FAILURE() << "no FORWARD_RESULT from node " << node << ": " << m.status().message();
        return json();
      }
      json j = json::parse(m->data, nullptr, false);
      if (j.is_object() && j.value("type", "") == "FORWARD_RESULT") return j;
      ADD_FAILURE() << "unexpected message from node " << node << ": " << m->data;
    }
  }

  static std::vector<net::ActivationRow> Rows(const std::vector<int32_t>& tokens, int first_pos) {
    std::vector<net::ActivationRow> rows;
    for (size_t i = 0; i < tokens.size(); ++i) rows.push_back({first_pos + static_cast<int>(i), tokens[i]});
    return rows;
  }

  // Interleaved generation of several sessions through the whole route: each
  // step sends every session's next rows before reading any result.
  std::map<uint64_t, std::vector<int32_t>> Generate(const std::vector<uint64_t>& sessions,
                                                    const std::vector<int32_t>& prompt, int n,
                                                    const json& sampling) {
    std::map<uint64_t, std::vector<int32_t>> out;
    for (int step = 0; step < n; ++step) {
      for (uint64_t s : sessions) {
        if (step == 0)
          Send(0, s, step, Rows(prompt, 0), true, sampling);
        else
          Send(0, s, step, Rows({out[s].back()}, static_cast<int>(prompt.size()) + step - 1), true, sampling);
      }
      for (size_t i = 0; i < sessions.size(); ++i) {
        json r = NextResult(kShards - 1);
        EXPECT_EQ(r["status"], "ok") << r.dump();
        EXPECT_EQ(r["step"], step) << r.dump();
        if (r["status"] != "ok" || !r.contains("token")) return out;
        out[r["session"].get<uint64_t>()].push_back(r["token"].get<int32_t>());
      }
    }
    return out;
  }

  static std::vector<int32_t> PromptTokens() {
    return Reference()["prompt_tokens"].get<std::vector<int32_t>>();
  }

  static Env* env_;
  static bool ok_;
  Env* other_ = nullptr;  // a test's own swarm, when it needs other node flags
};

Env* Forward::env_ = nullptr;
bool Forward::ok_ = false;

std::vector<int32_t> GreedyReference(int n) {
  json ref = Reference();
  std::vector<int32_t> want;
  for (int i = 0; i < n; ++i) {
    EXPECT_GT(ref["greedy_margins"][i].get<double>(), 0.05) << "step " << i;
    want.push_back(ref["greedy_tokens"][i].get<int32_t>());
  }
  return want;
}

TEST_F(Forward, GreedyTokensAreTheReferences) {
  auto got = Generate({1}, PromptTokens(), 16, {{"temperature", 0}});
  EXPECT_EQ(got[1], GreedyReference(16));
}

TEST_F(Forward, PromptInChunksThenSampling) {
  // A prompt chunk without sampling gets an empty result; the rest samples.
  const std::vector<int32_t> prompt = PromptTokens();
  const std::vector<int32_t> head(prompt.begin(), prompt.begin() + 6), tail(prompt.begin() + 6, prompt.end());
  Send(0, 2, 0, Rows(head, 0), false, {{"temperature", 0}});
  json r = NextResult(kShards - 1);
  EXPECT_EQ(r["status"], "ok") << r.dump();
  EXPECT_FALSE(r.contains("token")) << r.dump();
  Send(0, 2, 1, Rows(tail, 6), true, {{"temperature", 0}});
  r = NextResult(kShards - 1);
  ASSERT_EQ(r["status"], "ok") << r.dump();
  EXPECT_EQ(r["token"], GreedyReference(1)[0]);
  // Every stage of the route reports its queue wait and compute time.
  const std::vector<net::StageTiming> timings = net::ResultTimings(r);
  ASSERT_EQ(timings.size(), static_cast<size_t>(kShards)) << r.dump();
  for (const net::StageTiming& t : timings) EXPECT_GT(t.compute_ms, 0) << r.dump();
}

TEST_F(Forward, InterleavedSessionsGiveWhatEachGivesAlone) {
  auto both = Generate({3, 4}, PromptTokens(), 16, {{"temperature", 0}});
  EXPECT_EQ(both[3], GreedyReference(16));
  EXPECT_EQ(both[4], GreedyReference(16));
  json sampled = {{"temperature", 0.8}, {"seed", 7}};
  auto alone = Generate({5}, PromptTokens(), 12, sampled);
  auto pair = Generate({6, 7}, PromptTokens(), 12, sampled);
  EXPECT_EQ(pair[6], alone[5]);
  EXPECT_EQ(pair[7], alone[5]);
}

TEST_F(Forward, SeededSamplingIsGenerates) {
  // stdout alone: RunCommand's output mixes in stderr.
  ss::testing::TempDir dir;
  const std::string out_path = dir / "generate.json";
  auto r =
      ss::testing::RunCommand("{ " + std::string(SHARDSWARM_BINARY) + " generate -m " +
                              ss::testing::ModelPath(kModel + ".gguf") + " -p \"$(cat " + PromptFile() +
                              ")\" --temp 0.8 --seed 7 --json -n 16 -t 1 --ignore-eos > " + out_path + "; }");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  json out = json::parse(ss::testing::ReadFile(out_path), nullptr, false);
  ASSERT_TRUE(out.is_object()) << ss::testing::ReadFile(out_path);
  ASSERT_EQ(out["prompt_tokens"], Reference()["prompt_tokens"]);
  std::vector<int32_t> want;
  for (const json& t : out["tokens"]) want.push_back(t["id"].get<int32_t>());
  ASSERT_EQ(want.size(), 16u);
  auto got = Generate({8}, PromptTokens(), 16, {{"temperature", 0.8}, {"seed", 7}});
  EXPECT_EQ(got[8], want);
  EXPECT_NE(want, GreedyReference(16)) << "the seeded run should differ from greedy";
}

TEST_F(Forward, RewindReplaysTheSameTokens) {
  const std::vector<int32_t> prompt = PromptTokens();
  auto first = Generate({9}, prompt, 4, {{"temperature", 0}});
  ASSERT_EQ(first[9].size(), 4u);
  // The same session from position 0 again, as a retry after failover sends it.
  Send(0, 9, 10, Rows(prompt, 0), true, {{"temperature", 0}});
  json r = NextResult(kShards - 1);
  ASSERT_EQ(r["status"], "ok") << r.dump();
  EXPECT_EQ(r["token"], first[9][0]);
  Send(0, 9, 11, Rows({first[9][0]}, static_cast<int>(prompt.size())), true, {{"temperature", 0}});
  r = NextResult(kShards - 1);
  ASSERT_EQ(r["status"], "ok") << r.dump();
  EXPECT_EQ(r["token"], first[9][1]);
  json st = env().Call(0, {{"type", "GET_STATUS"}});
  bool found = false;
  for (const json& s : st["sessions"])
    if (s["session"] == 9) {
      found = true;
      EXPECT_EQ(s["positions"], prompt.size() + 1);
      EXPECT_EQ(s["origin"], env().origin().substr(0, 12) + "…");
    }
  EXPECT_TRUE(found) << st.dump();
}

TEST_F(Forward, BadFramesGetErrorsNamingTheStage) {
  json meta = env().Call(1, {{"type", "GET_MODEL_META"}});
  const uint32_t n_embd = meta["n_embd"].get<uint32_t>();
  const std::string where1 = "stage 1 (shard 1, node " + env().ShortId(1) + "): ";
  for (uint32_t width : {n_embd - 1, n_embd + 1}) {
    Send(1, 20, 0, Rows({0}, 0), true, json::object(), /*stage=*/1, width);
    json r = NextResult(1);
    EXPECT_EQ(r["status"], "error");
    EXPECT_EQ(r["session"], 20);
    std::string e = r.value("error", "");
    EXPECT_TRUE(Contains(e, where1)) << e;
    EXPECT_TRUE(Contains(e, "width " + std::to_string(width) + ",") ||
                Contains(e, "width is " + std::to_string(width) + ","))
        << e;
  }
  const std::string where0 = "stage 0 (shard 0, node " + env().ShortId(0) + "): ";
  Send(0, 21, 0, Rows({1}, 512), true, json::object());
  json r = NextResult(0);
  EXPECT_EQ(r.value("error", ""), where0 + "position 512 is beyond the context of 512");
  Send(0, 21, 1, Rows({1, 2}, 5), true, json::object());
  r = NextResult(0);
  EXPECT_EQ(r.value("error", ""),
            where0 + "session 21 holds 0 positions here; rows must start at position 0 or earlier, not 5");
  Send(0, 21, 2, Rows({32000}, 0), true, json::object());
  r = NextResult(0);
  EXPECT_TRUE(
      Contains(r.value("error", ""), where0 + "token id 32000 at position 0 is outside the vocabulary"))
      << r.dump();
  // A stage other than its own: node 2 is not stage 1.
  Send(2, 21, 3, Rows({1}, 0), true, json::object(), /*stage=*/1, n_embd);
  r = NextResult(2);
  EXPECT_TRUE(
      Contains(r.value("error", ""), "route hop 1 names node " + env().ShortId(1) + ", not this node"))
      << r.dump();
  // Sampling parameters are checked by the last stage, after three stages ran.
  Send(0, 22, 0, Rows(PromptTokens(), 0), true, {{"temperature", -1}});
  r = NextResult(3);
  EXPECT_EQ(r["status"], "error");
  EXPECT_TRUE(Contains(r.value("error", ""), "stage 3 (shard 3, node " + env().ShortId(3) + "): "));
  EXPECT_TRUE(Contains(r.value("error", ""), "temperature must be a finite number >= 0")) << r.dump();
  // Not a FORWARD at all: an error reply on the connection.
  ASSERT_TRUE(env().client(0).SendBinary({1, 2, 3}).ok());
  auto m = env().client(0).ReadMessage(std::chrono::seconds(10));
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(Contains(m->data, "FORWARD: 3 bytes, too short")) << m->data;
}

TEST_F(Forward, ModelMetaCarriesTheTokenizer) {
  const std::vector<int32_t> prompt = PromptTokens();
  for (int k = 0; k < kShards; ++k) {
    json meta = env().Call(k, {{"type", "GET_MODEL_META"}});
    ASSERT_EQ(meta["status"], "ok") << meta.dump();
    EXPECT_EQ(meta["architecture"], "llama");
    EXPECT_EQ(meta["n_layer"], 8);
    EXPECT_EQ(meta["n_ctx"], 512);
    EXPECT_EQ(meta["shard_id"], k);
    EXPECT_EQ(meta["total_shards"], 4);
    EXPECT_EQ(meta["layer_start"], 2 * k);
    EXPECT_EQ(meta["layer_end"], 2 * k + 2);
    EXPECT_EQ(meta["model_id"].get<std::string>().size(), 64u);
    auto bytes = Base64Decode(meta["metadata_gguf"].get<std::string>());
    ASSERT_TRUE(bytes.ok()) << bytes.status().message();
    auto file = gguf::File::Parse(bytes->data(), bytes->size());
    ASSERT_TRUE(file.ok()) << file.status().message();
    EXPECT_TRUE((*file)->tensors().empty());
    EXPECT_EQ((*file)->Find("shardswarm.shard.id"), nullptr);
    EXPECT_NE((*file)->Find("shardswarm.model.id"), nullptr);
    auto tok = model::Tokenizer::Load(**file);
    ASSERT_TRUE(tok.ok()) << tok.status().message();
    auto ids =
        tok->Tokenize(ss::testing::ReadFile(PromptFile()), /*add_special=*/true, /*parse_special=*/false);
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, prompt);
  }
}

TEST_F(Forward, UnreachableNextHopIsAnErrorNamingIt) {
  std::vector<net::RouteHop> route = env().route();
  route[1].endpoint = "127.0.0.1:" + std::to_string(ss::testing::FreePort(/*udp=*/false));
  Send(0, 40, 0, Rows(PromptTokens(), 0), true, {{"temperature", 0}}, 0, 0, &route);
  json r = NextResult(0);
  EXPECT_EQ(r["status"], "error");
  EXPECT_TRUE(Contains(r.value("error", ""), "stage 0 (shard 0, node " + env().ShortId(0) +
                                                 "): cannot reach the next stage 1 (node " +
                                                 env().ShortId(1) + " at " + route[1].endpoint + "): "))
      << r.dump();
  // The right endpoint again: the session goes on from where stage 0 is.
  auto got = Generate({41}, PromptTokens(), 2, {{"temperature", 0}});
  EXPECT_EQ(got[41], GreedyReference(2));
}

TEST_F(Forward, IdleSessionsAreClosed) {
  Env idle;
  ASSERT_TRUE(idle.Start({"--session-idle-timeout", "1"}));
  other_ = &idle;
  auto got = Generate({50}, PromptTokens(), 1, {{"temperature", 0}});
  EXPECT_EQ(got[50], GreedyReference(1));
  for (int k = 0; k < kShards; ++k)
    ASSERT_TRUE(idle.node(k).WaitForLog("closed session 50 of " + idle.origin().substr(0, 12) + "…", 10))
        << idle.node(k).Log();
  EXPECT_TRUE(Contains(idle.node(3).Log(), "(15 positions): idle for more than 1 s")) << idle.node(3).Log();
  for (int k = 0; k < kShards; ++k) EXPECT_EQ(idle.Call(k, {{"type", "GET_STATUS"}})["sessions_open"], 0);
  other_ = nullptr;
}

TEST_F(Forward, SessionCloseLeavesNoSessionsAndMetricsCountBatches) {
  auto got = Generate({30}, PromptTokens(), 2, {{"temperature", 0}});
  ASSERT_EQ(got[30].size(), 2u);
  for (int k = 0; k < kShards; ++k) {
    json m = env().Call(k, {{"type", "GET_METRICS"}});
    const json& f = m["forward"];
    EXPECT_GE(f["batches"].get<int>(), 2) << m.dump();
    EXPECT_GE(f["rows"].get<int>(), static_cast<int>(PromptTokens().size()) + 1) << m.dump();
    EXPECT_GE(f["max_batch_sessions"].get<int>(), 1);
    EXPECT_GT(f["latency_ms"]["p95"].get<double>(), 0.0);
    std::printf("[forward] node %d: %s\n", k, f.dump().c_str());
    json st = env().Call(k, {{"type", "GET_STATUS"}});
    EXPECT_GE(st["sessions_open"].get<int>(), 1);
    json c = env().Call(k, {{"type", "SESSION_CLOSE"}, {"session", 30}});
    EXPECT_EQ(c["closed"], true) << c.dump();
    c = env().Call(k, {{"type", "SESSION_CLOSE"}, {"session", 30}});
    EXPECT_EQ(c["closed"], false) << c.dump();
  }
  for (int k = 0; k < kShards; ++k) {
    for (uint64_t s : env().sessions_used) env().Call(k, {{"type", "SESSION_CLOSE"}, {"session", s}});
    json st = env().Call(k, {{"type", "GET_STATUS"}});
    EXPECT_EQ(st["sessions_open"], 0) << st.dump();
    EXPECT_EQ(st["sessions"], json::array()) << st.dump();
  }
}

// Resident memory of a process in MiB (VmRSS in /proc/PID/status), -1 when unreadable.
int RssMiB(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoi(line.substr(6)) / 1024;
  return -1;
}

std::vector<uint8_t> ForwardBytes(const std::string& origin, const std::vector<net::RouteHop>& route,
                                  int stage, uint64_t session, const std::vector<net::ActivationRow>& rows,
                                  uint32_t width, bool sample = true) {
  net::ForwardHeader h;
  h.session = session;
  h.step = 1;
  h.origin = origin;
  h.stage = stage;
  h.route = route;
  h.sample = sample;
  h.sampling = {{"temperature", 0}};
  net::ActivationFrame f;
  f.kind = width == 0 ? net::ActivationKind::kTokens : net::ActivationKind::kHiddenStates;
  f.session = session;
  f.request_id = 1;
  f.width = width;
  f.rows = rows;
  f.values.assign(rows.size() * width, 0.5f);
  auto bytes = net::EncodeForward(h, f);
  EXPECT_TRUE(bytes.ok()) << bytes.status().message();
  return bytes.ok() ? *bytes : std::vector<uint8_t>();
}

// An authorised peer (a client record of its own, connected to every node)
// sends oversized, truncated and inconsistent FORWARDs and floods session
// opens: each is refused with an error naming what is wrong, it holds no more
// sessions than its cap, the nodes stay under kRssCapMiB, and the gateway's
// pipeline through them still gives the reference's tokens.
TEST_F(Forward, HostilePeerIsRefusedAndThePipelineStillServes) {
  Client bad;
  ASSERT_TRUE(bad.Join(env().bootstrap(), "shardswarm-hostile-peer"));
  const uint32_t n_embd = env().Call(1, {{"type", "GET_MODEL_META"}})["n_embd"].get<uint32_t>();
  const std::vector<net::RouteHop>& route = bad.route();
  // The next error node k sends `bad`: a FORWARD_RESULT or an error reply.
  auto next_error = [&](int k) -> std::string {
    auto m = bad.client(k).ReadMessage(std::chrono::seconds(20));
    if (!m.ok()) return "no message from node " + std::to_string(k) + ": " + m.status().message();
    json j = json::parse(m->data, nullptr, false);
    if (!j.is_object() || j.value("status", "") != "error") return "not an error: " + m->data;
    return j.value("error", "");
  };
  auto refused = [&](int k, std::vector<uint8_t> bytes, const std::string& why) {
    ASSERT_TRUE(bad.client(k).SendBinary(std::move(bytes)).ok());
    const std::string e = next_error(k);
    EXPECT_TRUE(Contains(e, why)) << "wanted \"" << why << "\", got: " << e;
  };
  const std::vector<int32_t> prompt = PromptTokens();

  // Oversized: too many rows, too wide, megabytes of nothing.
  std::vector<int32_t> many(4097, 1);
  refused(0, ForwardBytes(bad.origin(), route, 0, 100, Rows(many, 0), 0),
          "frame has 4097 rows, the limit is 4096");
  refused(1, ForwardBytes(bad.origin(), route, 1, 100, Rows({1}, 0), n_embd * 8),
          "frame width is " + std::to_string(n_embd * 8) + ", the limit is " + std::to_string(n_embd));
  refused(0, std::vector<uint8_t>(8 << 20, 0), "FORWARD: header length 0");
  // Truncated anywhere: in the length, the header, the frame's header, its values.
  const std::vector<uint8_t> whole = ForwardBytes(bad.origin(), route, 1, 101, Rows({1, 2}, 0), n_embd);
  uint32_t header_len = 0;
  for (int i = 0; i < 4; ++i) header_len |= static_cast<uint32_t>(whole[i]) << (8 * i);
  for (size_t cut : {size_t{3}, size_t{4} + header_len / 2, size_t{4} + header_len + 20, whole.size() - 1}) {
    std::vector<uint8_t> part(whole.begin(), whole.begin() + static_cast<long>(cut));
    refused(1, part, cut == 3 ? "FORWARD: 3 bytes, too short" : "FORWARD");
  }
  // Inconsistent: the frame's session is not the header's; positions that skip,
  // lie beyond the context or start past what the session holds; a token
  // outside the vocabulary; hidden states of the wrong width.
  std::vector<uint8_t> other = ForwardBytes(bad.origin(), route, 0, 102, Rows({1}, 0), 0);
  other[4 + header_len + 16] ^= 1;  // the frame's session, little-endian
  refused(0, other, "the frame's session or request id differs from the header's");
  refused(0, ForwardBytes(bad.origin(), route, 0, 103, {{0, 1}, {2, 1}}, 0), "positions must be consecutive");
  refused(0, ForwardBytes(bad.origin(), route, 0, 103, Rows({1}, 600), 0),
          "position 600 is beyond the context");
  refused(0, ForwardBytes(bad.origin(), route, 0, 103, Rows({1}, 3), 0),
          "session 103 holds 0 positions here");
  refused(0, ForwardBytes(bad.origin(), route, 0, 103, Rows({1 << 30}, 0), 0), "is outside the vocabulary");
  refused(1, ForwardBytes(bad.origin(), route, 1, 103, Rows({1}, 0), n_embd - 1),
          "but this model's n_embd is " + std::to_string(n_embd));
  // Sessions that are not its own: rows for the gateway's session as if it
  // were the stage before; closing the gateway's session closes nothing.
  auto gw = Generate({60}, prompt, 2, {{"temperature", 0}});
  ASSERT_EQ(gw[60], GreedyReference(2));
  std::vector<net::RouteHop> forged = route;
  forged[0] = {bad.origin(), "127.0.0.1:1"};
  refused(1, ForwardBytes(env().origin(), forged, 1, 60, Rows({1}, 0), n_embd),
          "a client sends only its own sessions");
  for (int k = 0; k < kShards; ++k) {
    auto c = bad.client(k).Call({{"type", "SESSION_CLOSE"}, {"session", 60}}, std::chrono::seconds(10));
    ASSERT_TRUE(c.ok());
    EXPECT_EQ((*c)["closed"], false) << c->dump();
  }

  // A flood of session opens, sent without waiting: no more than 16 open (its
  // cap per peer) and 32 queued (per peer); every other one is refused.
  constexpr int kFlood = 200;
  for (int i = 0; i < kFlood; ++i)
    ASSERT_TRUE(bad.client(0)
                    .SendBinary(ForwardBytes(bad.origin(), route, 0, 1000 + i, Rows({1, 2, 3}, 0), 0, false))
                    .ok());
  int refusals = 0, results = 0;
  for (;;) {  // refusals come from stage 0, results of what ran from the last stage
    auto m = bad.client(0).ReadMessage(std::chrono::seconds(5));
    if (!m.ok()) break;
    json j = json::parse(m->data, nullptr, false);
    ASSERT_EQ(j.value("status", ""), "error") << m->data;
    const std::string e = j.value("error", "");
    EXPECT_TRUE(Contains(e, "sessions open on this node (limit 16)") ||
                Contains(e, "FORWARDs waiting on this node (limit 32)") ||
                Contains(e, "too many pending requests on this connection"))
        << e;
    ++refusals;
  }
  for (;;) {
    auto m = bad.client(kShards - 1).ReadMessage(std::chrono::seconds(2));
    if (!m.ok()) break;
    ++results;
  }
  std::printf("[hostile] flood of %d session opens: %d refused, %d ran\n", kFlood, refusals, results);
  EXPECT_EQ(refusals + results, kFlood);
  EXPECT_LE(results, 16);
  EXPECT_GE(refusals, kFlood - 16);
  for (int k = 0; k < kShards; ++k) {
    json st = env().Call(k, {{"type", "GET_STATUS"}});
    int mine = 0;
    for (const json& s : st["sessions"]) mine += s["origin"] == bad.origin().substr(0, 12) + "…";
    EXPECT_LE(mine, 16) << st["sessions"].dump();
    EXPECT_LE(st["sessions_open"].get<int>(), 24);
    const int rss = RssMiB(env().node(k).pid());
    std::printf("[hostile] node %d: %d sessions of the hostile peer, VmRSS %d MiB\n", k, mine, rss);
    EXPECT_GT(rss, 0);
    EXPECT_LT(rss, kRssCapMiB);
  }

  // The gateway's pipeline through the same nodes still serves, and right.
  auto after = Generate({61}, prompt, 8, {{"temperature", 0}});
  EXPECT_EQ(after[61], GreedyReference(8));
}

}  // namespace
}  // namespace ss
