// Distributed inference with real processes on loopback: a bootstrap, one
// node per shard of a 4-way split and a gateway, driven over HTTP as an
// OpenAI client would, checked token for token against `shardswarm generate`
// on the unsplit model.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "net/http_client.h"
#include "testing.h"

namespace ss {
namespace {

using nlohmann::json;
using ss::testing::ChildProcess;
using ss::testing::NowSeconds;
using ss::testing::RunShardswarm;

std::string PromptPath(const std::string& name) {
  return ss::testing::TestdataDir() + "/reference/prompts/" + name + ".txt";
}

const char* const kPrompts[] = {"p1-hello", "p2-capital", "p3-once", "p4-long", "p5-unicode"};

// A swarm of real processes: bootstrap, nodes 0..3 (unless told otherwise), gateway.
class LocalSwarm {
 public:
  explicit LocalSwarm(const std::string& model = "tiny-spm-q8_0.gguf", std::set<int> nodes = {0, 1, 2, 3},
                      int replicas = 1, int failover_timeout_s = 3) {
    model_ = ss::testing::ModelPath(model);
    shards_ = dir_ / "shards";
    auto r = RunShardswarm("shard split " + model_ + " -n 4 -o " + shards_);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    boot_port_ = ss::testing::FreePort(/*udp=*/true);
    http_port_ = ss::testing::FreePort(/*udp=*/false);
    boot_ = Start({"bootstrap", "--port", std::to_string(boot_port_), "--health-port", "0"}, "bootstrap");
    for (int k : nodes) StartNode(k);
    for (int r = 1; r < replicas; ++r)
      for (int k : nodes) StartNode(k, "node-" + std::to_string(k) + "-" + std::to_string(r));
    gateway_ = Start(
        {"gateway", "--bootstrap", bootstrap(), "--cluster", "gw", "--http-port", std::to_string(http_port_),
         "--refresh-interval", "1", "--failover-timeout", std::to_string(failover_timeout_s)},
        "gateway");
  }
  void StartNode(int k, const std::string& name = "") {
    const std::string n = name.empty() ? "node-" + std::to_string(k) : name;
    by_name_[n] = Start({"node", "--bootstrap", bootstrap(), "--cluster", "gw", "--shard-id",
                         std::to_string(k), "--total-shards", "4", "--shards-dir", shards_, "--data-dir",
                         dir_ / n, "--refresh-interval", "1", "--threads", "1"},
                        n);
    if (n == "node-" + std::to_string(k)) nodes_[k] = by_name_[n].get();
  }
  ChildProcess* Process(const std::string& name) { return by_name_.at(name).get(); }
  // A node's entry in the gateway's /api/status (null if not listed).
  json NodeStatus(const std::string& peer_id) {
    json st = json::parse(Request("GET", "/api/status").body, nullptr, false);
    if (st.is_object())
      for (const json& shard : st["shards"])
        for (const json& n : shard["nodes"])
          if (n["peer_id"] == peer_id) return n;
    return nullptr;
  }
  // Every node's log lines holding `fragment`, named by node, for failure messages.
  std::string NodeLogLines(const std::string& fragment) {
    std::string out;
    for (auto& [name, p] : by_name_) {
      std::istringstream lines(p->Log());
      for (std::string line; std::getline(lines, line);)
        if (line.find(fragment) != std::string::npos) out += name + ": " + line + "\n";
    }
    return out;
  }
  // The node process whose log names `peer_id` as its own.
  ChildProcess* NodeOf(const std::string& peer_id) {
    for (auto& [name, p] : by_name_)
      if (p->Log().find("peer id " + peer_id) != std::string::npos) return p.get();
    return nullptr;
  }
  // The peer at `stage` of the one generation running now, as /api/status
  // lists it ("" when not exactly one runs).
  std::string RunningRoutePeer(int stage) {
    json st = json::parse(Request("GET", "/api/status").body, nullptr, false);
    EXPECT_TRUE(st.is_object() && st["sessions"].size() == 1u) << st.dump();
    if (!st.is_object() || st["sessions"].size() != 1u) return "";
    return st["sessions"][0]["route"][stage]["peer_id"];
  }
  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(boot_port_); }
  int http_port() const { return http_port_; }
  const std::string& model() const { return model_; }
  ChildProcess& node(int k) { return *nodes_.at(k); }
  ChildProcess& gateway() { return *gateway_; }

  net::HttpClientResponse Request(const std::string& method, const std::string& target,
                                  const std::string& body = "",
                                  std::function<bool(std::string_view)> on_body = {}) {
    net::HttpClientRequest r;
    r.method = method;
    r.port = static_cast<uint16_t>(http_port_);
    r.target = target;
    r.body = body;
    r.on_body = std::move(on_body);
    auto res = net::HttpFetch(r);
    EXPECT_TRUE(res.ok()) << res.status().message();
    return res.ok() ? *res : net::HttpClientResponse{};
  }
  json Post(const std::string& target, const json& body) {
    auto res = Request("POST", target, body.dump());
    auto j = json::parse(res.body, nullptr, false);
    EXPECT_TRUE(j.is_object()) << res.status << " " << res.body;
    j["http_status"] = res.status;
    j["route_header"] = res.Header("x-shardswarm-route");
    return j;
  }
  // Until the gateway says the swarm is ready, knows the model and sees at
  // least `replicas` nodes serving each shard.
  bool WaitReady(double timeout_s, int replicas = 1) {
    double deadline = NowSeconds() + timeout_s;
    while (NowSeconds() < deadline) {
      net::HttpClientRequest r;
      r.port = static_cast<uint16_t>(http_port_);
      r.target = "/api/status";
      r.timeout = std::chrono::seconds(2);
      auto res = net::HttpFetch(r);
      if (res.ok() && res->status == 200) {
        auto j = json::parse(res->body, nullptr, false);
        bool ready = j.is_object() && j.value("swarm_ready", false) && !j["model"].is_null();
        if (ready)
          for (const json& shard : j["shards"])
            ready = ready && shard.value("replicas_serving", 0) >= replicas;
        if (ready) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  json Rpc(int shard, const std::string& command) {
    auto r = RunShardswarm("rpc " + command + " --bootstrap " + bootstrap() + " --cluster gw --shard " +
                           std::to_string(shard));
    auto j = json::parse(r.output, nullptr, false);
    EXPECT_TRUE(j.is_object()) << r.output;
    return j;
  }

 private:
  std::unique_ptr<ChildProcess> Start(std::vector<std::string> args, const std::string& name) {
    args.insert(args.begin(), SHARDSWARM_BINARY);
    return std::make_unique<ChildProcess>(args, dir_ / (name + ".log"));
  }
  ss::testing::TempDir dir_;
  std::string model_, shards_;
  int boot_port_ = 0, http_port_ = 0;
  std::unique_ptr<ChildProcess> boot_, gateway_;
  std::map<std::string, std::unique_ptr<ChildProcess>> by_name_;
  std::map<int, ChildProcess*> nodes_;
};

// `generate --json` on the unsplit model: the generated token ids.
std::vector<int> GenerateTokens(const std::string& model, const std::string& prompt_file,
                                const std::string& flags) {
  // stderr (the speed line) would interleave with the JSON: keep it out.
  auto r = ss::testing::RunCommand("{ " + std::string(SHARDSWARM_BINARY) + " generate -m " + model +
                                   " -p \"$(cat " + prompt_file + ")\" --json " + flags + " 2>/dev/null; }");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  // stdout and stderr come together: the JSON is the line that starts with '{'.
  json j;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line[0] == '{') j = json::parse(line, nullptr, false);
  std::vector<int> ids;
  if (j.is_object())
    for (const auto& t : j["tokens"]) ids.push_back(t["id"].get<int>());
  return ids;
}

std::vector<int> Tokens(const json& response) {
  std::vector<int> ids;
  if (response.contains("shardswarm") && response["shardswarm"].contains("completion_tokens"))
    for (const auto& t : response["shardswarm"]["completion_tokens"]) ids.push_back(t.get<int>());
  return ids;
}

// The data payloads of a server-sent event stream, in order.
std::vector<std::string> SseData(const std::string& body) {
  std::vector<std::string> out;
  std::regex re("data: ([^\n]*)\n\n");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), re); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1].str());
  return out;
}

// The text a stream carried (completions or chat), and its last chunk.
std::string StreamText(const std::vector<std::string>& events, json* last_chunk = nullptr) {
  std::string text;
  for (const std::string& e : events) {
    if (e == "[DONE]") continue;
    auto j = json::parse(e, nullptr, false);
    if (!j.is_object() || !j.contains("choices") || j["choices"].empty()) continue;
    const json& c = j["choices"][0];
    if (c.contains("text")) text += c["text"].get<std::string>();
    if (c.contains("delta") && c["delta"].contains("content"))
      text += c["delta"]["content"].get<std::string>();
    if (last_chunk && !c["finish_reason"].is_null()) *last_chunk = j;
  }
  return text;
}

TEST(Gateway, GreedyCompletionsEqualGenerateOnEveryModelAndPrompt) {
  for (const char* model : ss::testing::kModels) {
    SCOPED_TRACE(model);
    LocalSwarm s(model);
    ASSERT_TRUE(s.WaitReady(30)) << s.gateway().Log();
    for (const char* p : kPrompts) {
      SCOPED_TRACE(p);
      const std::string prompt = ss::testing::ReadFile(PromptPath(p));
      std::vector<int> expected = GenerateTokens(s.model(), PromptPath(p), "-n 24 --temp 0");
      ASSERT_FALSE(expected.empty());
      json body = {{"prompt", prompt}, {"max_tokens", 24}, {"temperature", 0}};
      json r = s.Post("/v1/completions", body);
      ASSERT_EQ(r["http_status"], 200) << r.dump();
      EXPECT_EQ(Tokens(r), expected);
      EXPECT_EQ(r["usage"]["completion_tokens"], expected.size());
      EXPECT_EQ(r["choices"][0]["finish_reason"], expected.size() == 24 ? "length" : "stop");
      // Streamed: the same text, ending in [DONE].
      body["stream"] = true;
      auto res = s.Request("POST", "/v1/completions", body.dump());
      ASSERT_EQ(res.status, 200) << res.body;
      EXPECT_EQ(res.Header("content-type"), "text/event-stream");
      auto events = SseData(res.body);
      ASSERT_FALSE(events.empty());
      EXPECT_EQ(events.back(), "[DONE]");
      json last;
      EXPECT_EQ(StreamText(events, &last), r["choices"][0]["text"].get<std::string>());
      EXPECT_EQ(Tokens(last), expected);
    }
  }
}

TEST(Gateway, SeededSamplingEqualsGenerateWithTheSameSeed) {
  LocalSwarm s;
  ASSERT_TRUE(s.WaitReady(30)) << s.gateway().Log();
  for (int seed : {7, 12345}) {
    std::vector<int> expected =
        GenerateTokens(s.model(), PromptPath("p3-once"),
                       "-n 32 --temp 0.9 --top-k 20 --top-p 0.9 --min-p 0.02 --repeat-penalty 1.1 --seed " +
                           std::to_string(seed));
    json r = s.Post("/v1/completions", {{"prompt", ss::testing::ReadFile(PromptPath("p3-once"))},
                                        {"max_tokens", 32},
                                        {"temperature", 0.9},
                                        {"top_k", 20},
                                        {"top_p", 0.9},
                                        {"min_p", 0.02},
                                        {"repeat_penalty", 1.1},
                                        {"seed", seed}});
    ASSERT_EQ(r["http_status"], 200) << r.dump();
    EXPECT_EQ(Tokens(r), expected) << "seed " << seed;
  }
}

TEST(Gateway, ChatStreamsRoleFirstAndUsageLast) {
  LocalSwarm s;
  ASSERT_TRUE(s.WaitReady(30)) << s.gateway().Log();
  const std::string user = "Tell me a story.";
  std::vector<int> expected = GenerateTokens(s.model(), PromptPath("p2-capital"), "-n 12 --temp 0 --chat");
  json body = {
      {"messages", {{{"role", "user"}, {"content", ss::testing::ReadFile(PromptPath("p2-capital"))}}}},
      {"max_tokens", 12},
      {"temperature", 0},
      {"stream", true},
      {"stream_options", {{"include_usage", true}}},
      {"some_field_nobody_knows", {1, 2, 3}}};
  auto res = s.Request("POST", "/v1/chat/completions", body.dump());
  ASSERT_EQ(res.status, 200) << res.body;
  auto events = SseData(res.body);
  ASSERT_GE(events.size(), 4u) << res.body;
  json first = json::parse(events.front());
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  json usage = json::parse(events[events.size() - 2]);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["completion_tokens"], expected.size());
  EXPECT_EQ(events.back(), "[DONE]");
  json last;
  StreamText(events, &last);
  EXPECT_EQ(Tokens(last), expected);
  // Non-streamed chat: the same tokens, and the route in header and body.
  body.erase("stream");
  body.erase("stream_options");
  json r = s.Post("/v1/chat/completions", body);
  ASSERT_EQ(r["http_status"], 200) << r.dump();
  EXPECT_EQ(r["object"], "chat.completion");
  EXPECT_EQ(r["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(Tokens(r), expected);
  ASSERT_EQ(r["shardswarm"]["route"].size(), 4u);
  std::string header;
  for (const auto& hop : r["shardswarm"]["route"])
    header += (header.empty() ? "" : ",") + hop["peer_id"].get<std::string>();
  EXPECT_EQ(r["route_header"], header);
  for (int k = 0; k < 4; ++k)
    EXPECT_NE(s.node(k).Log().find(r["shardswarm"]["route"][k]["peer_id"].get<std::string>()),
              std::string::npos);
}

TEST(Gateway, EightConcurrentStreamsEachEqualTheirSoloResult) {
  LocalSwarm s;
  ASSERT_TRUE(s.WaitReady(30)) << s.gateway().Log();
  auto body = [](int i) {
    return json{{"prompt", "Stream number " + std::to_string(i) + " says"},
                {"max_tokens", 24},
                {"temperature", 0.8},
                {"seed", 100 + i},
                {"ignore_eos", true},
                {"stream", true}};
  };
  std::vector<std::string> solo(8), together(8);
  for (int i = 0; i < 8; ++i)
    solo[i] = StreamText(SseData(s.Request("POST", "/v1/completions", body(i).dump()).body));
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      together[i] = StreamText(SseData(s.Request("POST", "/v1/completions", body(i).dump()).body));
    });
  for (auto& t : threads) t.join();
  for (int i = 0; i < 8; ++i) {
    EXPECT_FALSE(solo[i].empty()) << i;
    EXPECT_EQ(together[i], solo[i]) << "stream " << i;
  }
  int multi = 0;
  for (int k = 0; k < 4; ++k) {
    json m = s.Rpc(k, "GET_METRICS");
    ASSERT_TRUE(m.contains("forward")) << m.dump();
    EXPECT_GT(m["forward"]["max_batch_sessions"].get<int>(), 1) << "shard " << k << ": " << m.dump();
    multi += m["forward"]["multi_session_batches"].get<int>();
  }
  std::printf("[gateway] batches holding rows of more than one session, over 4 stages: %d\n", multi);
}

TEST(Gateway, BadRequestsGetOpenAIErrors) {
  LocalSwarm s;
  ASSERT_TRUE(s.WaitReady(30)) << s.gateway().Log();
  auto expect_400 = [&](const std::string& body, const std::string& fragment) {
    auto res = s.Request("POST", "/v1/completions", body);
    EXPECT_EQ(res.status, 400) << body << " -> " << res.body;
    auto j = json::parse(res.body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("error")) << res.body;
    EXPECT_EQ(j["error"]["type"], "invalid_request_error");
    EXPECT_NE(j["error"]["message"].get<std::string>().find(fragment), std::string::npos) << res.body;
  };
  expect_400("{\"prompt\": \"hi\",", "not valid JSON");
  expect_400("[1, 2]", "JSON object");
  expect_400(R"({"prompt": "hi", "max_tokens": "ten"})", "'max_tokens' must be an integer");
  expect_400(R"({"prompt": "hi", "temperature": 7})", "'temperature' must be between");
  expect_400(R"({"prompt": "hi", "max_tokens": 100000})", "exceed the model's context of 512");
  expect_400(R"({"prompt": "hi", "n": 2})", "'n' must be 1");
  expect_400(R"({"prompt": "hi", "logprobs": 3})", "'logprobs' is not supported");
  expect_400(R"({"prompt": "hi", "stop": ["a", 3]})", "'stop'");
  expect_400(R"({"max_tokens": 3})", "'prompt' is required");
  auto chat =
      s.Request("POST", "/v1/chat/completions", R"({"messages": [{"role": "wizard", "content": "x"}]})");
  EXPECT_EQ(chat.status, 400) << chat.body;
  // Unknown fields are ignored; stop strings end the text before them.
  json r = s.Post("/v1/completions",
                  {{"prompt", "Hello"}, {"max_tokens", 3}, {"temperature", 0}, {"frobnicate", true}});
  EXPECT_EQ(r["http_status"], 200) << r.dump();
  // A path that does not exist is 404 whatever the method, never a 405 that
  // says another method would work.
  for (const char* method : {"GET", "POST", "DELETE"}) {
    auto missing = s.Request(method, "/v1/embeddings", "{}");
    EXPECT_EQ(missing.status, 404) << method << ": " << missing.body;
    EXPECT_EQ(json::parse(missing.body, nullptr, false)["error"]["code"], 404) << missing.body;
    EXPECT_NE(missing.body.find("no such endpoint /v1/embeddings"), std::string::npos) << missing.body;
  }
  // The wrong method is 405 with the methods that work; a body not sent as
  // JSON is 415 (a browser page can send text/plain or a form to any site
  // without a CORS preflight, JSON it cannot).
  auto get = s.Request("GET", "/v1/completions");
  EXPECT_EQ(get.status, 405) << get.body;
  EXPECT_EQ(get.Header("allow"), "POST");
  auto post = s.Request("POST", "/v1/models", "{}");
  EXPECT_EQ(post.status, 405) << post.body;
  EXPECT_EQ(post.Header("allow"), "GET, HEAD");
  for (const char* type : {"text/plain", "application/x-www-form-urlencoded", ""}) {
    net::HttpClientRequest plain;
    plain.method = "POST";
    plain.port = static_cast<uint16_t>(s.http_port());
    plain.target = "/v1/completions";
    plain.content_type = type;
    plain.body = R"({"prompt": "hi", "max_tokens": 1})";
    auto res = net::HttpFetch(plain);
    ASSERT_TRUE(res.ok()) << res.status().message();
    EXPECT_EQ(res->status, 415) << type << ": " << res->body;
    EXPECT_NE(res->body.find("Content-Type: application/json"), std::string::npos) << res->body;
  }
  auto models = json::parse(s.Request("GET", "/v1/models").body);
  ASSERT_EQ(models["data"].size(), 1u) << models.dump();
  EXPECT_EQ(models["data"][0]["object"], "model");
  std::string metrics = s.Request("GET", "/metrics").body;
  EXPECT_NE(metrics.find("shardswarm_requests_total{endpoint=\"completions\",status=\"400\"}"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("shardswarm_nodes_per_shard{shard=\"3\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("shardswarm_time_to_first_token_seconds_count 1"), std::string::npos) << metrics;
  // The one generation: 3 steps (the prompt, then 2 tokens fed back), timed at every stage.
  for (int k = 0; k < 4; ++k) {
    const std::string shard = "{shard=\"" + std::to_string(k) + "\"} 3";
    EXPECT_NE(metrics.find("shardswarm_stage_compute_seconds_count" + shard), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("shardswarm_stage_wait_seconds_count" + shard), std::string::npos) << metrics;
  }
  EXPECT_NE(metrics.find("shardswarm_sessions_limit 64"), std::string::npos) << metrics;
  auto status = json::parse(s.Request("GET", "/api/status").body);
  EXPECT_EQ(status["gateway"]["stage_ms_per_node"].size(), 4u) << status.dump();
}

TEST(Gateway, MissingShardGives503NamingIt) {
  LocalSwarm s("tiny-spm-q8_0.gguf", {0, 1, 3});
  // The gateway learns the shard count from the others' records.
  double deadline = NowSeconds() + 20;
  json err;
  int status = 0;
  while (NowSeconds() < deadline) {
    net::HttpClientRequest req;
    req.method = "POST";
    req.port = static_cast<uint16_t>(s.http_port());
    req.target = "/v1/completions";
    req.body = R"({"prompt": "hi", "max_tokens": 2})";
    auto res = net::HttpFetch(req);  // refused until the gateway has joined the DHT
    if (!res.ok()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    status = res->status;
    err = json::parse(res->body, nullptr, false);
    if (status == 503 && err.dump().find("shard 2") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(status, 503) << err.dump();
  EXPECT_NE(err["error"]["message"].get<std::string>().find("shard 2"), std::string::npos) << err.dump();
  s.StartNode(2);
  ASSERT_TRUE(s.WaitReady(30));
  json r = s.Post("/v1/completions", {{"prompt", "hi"}, {"max_tokens", 2}});
  EXPECT_EQ(r["http_status"], 200) << r.dump();
}

int SessionsOpen(LocalSwarm& s, int shard) {
  json st = s.Rpc(shard, "GET_STATUS");
  return st.value("sessions_open", -1);
}

TEST(Gateway, ClientThatHangsUpFreesTheSessionOnEveryStage) {
  LocalSwarm s;
  ASSERT_TRUE(s.WaitReady(30)) << s.gateway().Log();
  int chunks = 0;
  json body = {{"prompt", "Once"}, {"max_tokens", 400}, {"ignore_eos", true}, {"stream", true}};
  s.Request("POST", "/v1/completions", body.dump(), [&](std::string_view piece) {
    chunks += std::count(piece.begin(), piece.end(), '\n') > 0;
    return chunks < 3;  // hang up after a few events
  });
  double deadline = NowSeconds() + 10;
  bool freed = false;
  while (!freed && NowSeconds() < deadline) {
    freed = true;
    for (int k = 0; k < 4; ++k) freed = freed && SessionsOpen(s, k) == 0;
    if (!freed) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(freed) << "a stage still holds the hung-up client's session";
}

TEST(Gateway, NodeKilledMidStreamEndsTheStreamWithAnErrorEvent) {
  LocalSwarm s;
  ASSERT_TRUE(s.WaitReady(30)) << s.gateway().Log();
  json body = {{"prompt", "Once"}, {"max_tokens", 480}, {"ignore_eos", true}, {"stream", true}};
  std::atomic<double> killed_at{0}, offline_after{-1};
  json st;
  // Kills node 2 mid-stream, then watches the gateway's view (it probes every
  // node) until it shows the node offline.
  std::thread killer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    s.node(2).Kill(SIGKILL);
    killed_at = NowSeconds();
    while (offline_after < 0 && NowSeconds() - killed_at.load() < 10) {
      st = json::parse(s.Request("GET", "/api/status").body, nullptr, false);
      bool offline = st.is_object() && st["swarm_ready"] == false;
      if (offline)
        for (const auto& n : st["shards"][2]["nodes"]) offline = offline && n["online"] == false;
      if (offline) offline_after = NowSeconds() - killed_at.load();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  auto res = s.Request("POST", "/v1/completions", body.dump());
  double ended = NowSeconds();
  killer.join();
  ASSERT_EQ(res.status, 200) << res.body;
  auto events = SseData(res.body);
  ASSERT_FALSE(events.empty());
  auto last = json::parse(events.back(), nullptr, false);
  ASSERT_TRUE(last.is_object() && last.contains("error")) << events.back();
  EXPECT_NE(last["error"]["message"].get<std::string>().find("closed"), std::string::npos) << events.back();
  // Shard 2 has no other node: the failover finds no route within --failover-timeout.
  EXPECT_NE(last["error"]["message"].get<std::string>().find("no other route took over within 3 s"),
            std::string::npos)
      << events.back();
  std::printf("[gateway] stream ended with an error event %.3f s after the node was killed (bound 10 s)\n",
              ended - killed_at.load());
  EXPECT_LT(ended - killed_at.load(), 10.0);
  std::printf("[gateway] /api/status showed the killed node offline after %.2f s (target <= 3 s)\n",
              offline_after.load());
  EXPECT_GE(offline_after.load(), 0) << st.dump();
  EXPECT_LE(offline_after.load(), 3.0);
}

// One streamed completion; `on_token(n, chunk)` runs after the n-th text chunk.
struct Streamed {
  std::string text;
  json last;  // the chunk with finish_reason
  json error;
  double max_token_gap_s = 0;  // the longest wait between two token chunks
};
// A streamed greedy completion of `max_tokens` that ignores end-of-text.
json GreedyStream(int max_tokens) {
  return {{"prompt", "Once upon a time"},
          {"max_tokens", max_tokens},
          {"ignore_eos", true},
          {"stream", true},
          {"temperature", 0}};
}

Streamed StreamCompletion(LocalSwarm& s, const json& body,
                          const std::function<void(int, const json&)>& on_token) {
  Streamed out;
  std::string pending;
  int n = 0;
  double last_token_at = 0;
  s.Request("POST", "/v1/completions", body.dump(), [&](std::string_view piece) {
    pending.append(piece);
    for (size_t end; (end = pending.find("\n\n")) != std::string::npos; pending.erase(0, end + 2)) {
      const std::string event = pending.substr(0, end);
      if (event.rfind("data: {", 0) != 0) continue;
      json j = json::parse(event.substr(6), nullptr, false);
      if (j.contains("error")) out.error = j["error"];
      if (!j.contains("choices") || j["choices"].empty()) continue;
      out.text += j["choices"][0].value("text", "");
      if (!j["choices"][0]["finish_reason"].is_null()) out.last = j;
      const double now = NowSeconds();
      if (n > 0) out.max_token_gap_s = std::max(out.max_token_gap_s, now - last_token_at);
      last_token_at = now;
      if (on_token) on_token(++n, j);
    }
    return true;
  });
  return out;
}

// Mid-generation failover: with two replicas per shard, the node serving
// stage 2 of a stream is SIGKILLed after token 20; the stream completes with
// exactly the tokens of an undisturbed run (greedy, and seeded sampling:
// the new last stage continues the random sequence).
TEST(Gateway, ANodeKilledMidStreamIsReplacedAndTheTokensAreUnchanged) {
  LocalSwarm s("tiny-spm-q8_0.gguf", {0, 1, 2, 3}, /*replicas=*/2);
  ASSERT_TRUE(s.WaitReady(30, /*replicas=*/2)) << s.gateway().Log();
  for (double temperature : {0.0, 0.9}) {
    json body = {{"prompt", "Once upon a time"}, {"max_tokens", 64}, {"ignore_eos", true}, {"stream", true},
                 {"temperature", temperature},   {"seed", 42}};
    Streamed reference = StreamCompletion(s, body, {});
    ASSERT_TRUE(reference.error.is_null()) << reference.error.dump();
    ASSERT_FALSE(reference.last.is_null()) << reference.text << "\n" << s.gateway().Log();
    std::string victim;
    Streamed disturbed = StreamCompletion(s, body, [&](int n, const json&) {
      if (n != 20) return;
      // The running request's route, as /api/status lists it.
      victim = s.RunningRoutePeer(2);
      ChildProcess* node = s.NodeOf(victim);
      ASSERT_NE(node, nullptr) << victim;
      node->Kill(SIGKILL);
    });
    // A stream that stalls before token 20 has lost a FORWARD somewhere: the
    // nodes' refusals and next-hop links say where.
    ASSERT_FALSE(victim.empty()) << disturbed.text << "\n"
                                 << s.gateway().Log() << s.NodeLogLines("refused")
                                 << s.NodeLogLines("next hop");
    ASSERT_TRUE(disturbed.error.is_null()) << disturbed.error.dump() << "\n" << s.gateway().Log();
    ASSERT_FALSE(disturbed.last.is_null()) << disturbed.text << "\n" << s.gateway().Log();
    EXPECT_EQ(disturbed.text, reference.text) << "temperature " << temperature;
    EXPECT_EQ(disturbed.last["shardswarm"]["completion_tokens"],
              reference.last["shardswarm"]["completion_tokens"]);
    EXPECT_EQ(disturbed.last["choices"][0]["finish_reason"], "length");
    const json& failovers = disturbed.last["shardswarm"]["failovers"];
    // One failover leaves the victim; the request may also have started on a
    // route through the node killed in the previous round, if the gateway had
    // not yet seen it go, and failed over from that one first.
    ASSERT_GE(failovers.size(), 1u) << disturbed.last.dump();
    const json& away = failovers.back();
    EXPECT_EQ(away["from"][2]["peer_id"], victim) << disturbed.last.dump();
    EXPECT_NE(disturbed.last["shardswarm"]["route"][2]["peer_id"], victim);
    std::printf(
        "[gateway] temperature %.1f: node %s killed after token 20; the stream paused %.0f ms, replayed "
        "%d positions on another route, and gave the undisturbed tokens (%zu failovers)\n",
        temperature, victim.substr(0, 12).c_str(), away["pause_ms"].get<double>(),
        away["replayed_positions"].get<int>(), failovers.size());
    // The victim seen gone first, so that the wait below counts the new node.
    for (double until = NowSeconds() + 10; NowSeconds() < until;) {
      const json victim_status = s.NodeStatus(victim);
      if (!victim_status.is_object() || victim_status["online"] == false) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    s.StartNode(2, "node-2-again-" + std::to_string(temperature > 0));  // two replicas again
    ASSERT_TRUE(s.WaitReady(30, /*replicas=*/2)) << s.gateway().Log();
  }
  auto metrics = s.Request("GET", "/metrics").body;
  // The two kills, and maybe a reference run that picked a killed node before
  // the gateway saw it go.
  const size_t at = metrics.find("\nshardswarm_failovers_total ");
  ASSERT_NE(at, std::string::npos) << metrics;
  EXPECT_GE(std::stoi(metrics.substr(at + 28)), 2) << metrics;
}

// A node that hangs (SIGSTOP: its sockets stay open, so no link closes) is
// seen offline by the gateway's liveness probes within seconds, and the
// stream through it fails over then, not at the 60 s step timeout, with the
// undisturbed tokens.
TEST(Gateway, AHungNodeIsLeftWhenItGoesOfflineNotAtTheStepTimeout) {
  LocalSwarm s("tiny-spm-q8_0.gguf", {0, 1, 2, 3}, /*replicas=*/2);
  ASSERT_TRUE(s.WaitReady(30, /*replicas=*/2)) << s.gateway().Log();
  const json body = GreedyStream(64);
  Streamed reference = StreamCompletion(s, body, {});
  ASSERT_FALSE(reference.last.is_null()) << reference.text << "\n" << s.gateway().Log();
  ChildProcess* hung = nullptr;
  std::string victim;
  Streamed disturbed = StreamCompletion(s, body, [&](int n, const json&) {
    if (n != 20) return;
    victim = s.RunningRoutePeer(2);
    hung = s.NodeOf(victim);
    ASSERT_NE(hung, nullptr) << victim;
    hung->Kill(SIGSTOP);
  });
  ASSERT_NE(hung, nullptr);
  hung->Kill(SIGKILL);
  ASSERT_TRUE(disturbed.error.is_null()) << disturbed.error.dump() << "\n" << s.gateway().Log();
  ASSERT_FALSE(disturbed.last.is_null()) << disturbed.text << "\n" << s.gateway().Log();
  EXPECT_EQ(disturbed.text, reference.text);
  const json& failovers = disturbed.last["shardswarm"]["failovers"];
  ASSERT_GE(failovers.size(), 1u) << disturbed.last.dump();
  EXPECT_EQ(failovers.back()["from"][2]["peer_id"], victim) << disturbed.last.dump();
  EXPECT_NE(failovers.back()["why"].get<std::string>().find("went offline"), std::string::npos)
      << disturbed.last.dump();
  // The stream waited for the probes (about 3 s), far less than a step's 60 s.
  const double waited_s = disturbed.max_token_gap_s;
  EXPECT_LT(waited_s, 30) << disturbed.last.dump();
  std::printf("[gateway] node %s hung after token 20; the stream went on after %.1f s on another route\n",
              victim.substr(0, 12).c_str(), waited_s);
}

// A gateway told to stop (SIGTERM) ends a running stream with an error
// event saying so, not by cutting the connection mid-stream.
TEST(Gateway, AStoppingGatewayEndsItsStreamsWithAnErrorEvent) {
  LocalSwarm s;
  ASSERT_TRUE(s.WaitReady(30)) << s.gateway().Log();
  json body = {{"prompt", "Once upon a time"}, {"max_tokens", 400}, {"ignore_eos", true}, {"stream", true}};
  Streamed cut = StreamCompletion(s, body, [&](int n, const json&) {
    if (n == 10) s.gateway().Kill(SIGTERM);
  });
  ASSERT_TRUE(cut.error.is_object()) << cut.text;
  EXPECT_NE(cut.error["message"].get<std::string>().find("the gateway is shutting down"), std::string::npos)
      << cut.error.dump();
  EXPECT_TRUE(cut.last.is_null());  // no finish_reason: it did not finish
}

// The only node of a shard is SIGKILLed mid-stream and a new one is started
// on the same shard at that moment: the stream waits for it (within the
// failover deadline, 15 s here so a loaded machine's slow start fits), then
// completes with exactly the undisturbed tokens through the new node.
TEST(Gateway, ANodeStartedWhenTheOnlyOneOfItsShardDiedTakesOverTheStream) {
  LocalSwarm s("tiny-spm-q8_0.gguf", {0, 1, 2, 3}, /*replicas=*/1, /*failover_timeout_s=*/15);
  ASSERT_TRUE(s.WaitReady(30)) << s.gateway().Log();
  json body = {{"prompt", "Once upon a time"}, {"max_tokens", 48}, {"ignore_eos", true}, {"stream", true},
               {"temperature", 0.9},           {"seed", 7}};
  Streamed reference = StreamCompletion(s, body, {});
  ASSERT_TRUE(reference.error.is_null()) << reference.error.dump();
  std::string victim;
  Streamed disturbed = StreamCompletion(s, body, [&](int n, const json&) {
    if (n != 16) return;
    victim = s.RunningRoutePeer(2);
    s.node(2).Kill(SIGKILL);
    s.StartNode(2, "node-2-replacement");
  });
  ASSERT_FALSE(victim.empty());
  ASSERT_TRUE(disturbed.error.is_null()) << disturbed.error.dump() << "\n" << s.gateway().Log();
  ASSERT_FALSE(disturbed.last.is_null()) << disturbed.text;
  EXPECT_EQ(disturbed.text, reference.text);
  const json& info = disturbed.last["shardswarm"];
  ASSERT_GE(info["failovers"].size(), 1u) << info.dump();
  EXPECT_EQ(info["failovers"].back()["from"][2]["peer_id"], victim) << info.dump();
  const std::string replacement = info["route"][2]["peer_id"];
  EXPECT_EQ(s.NodeOf(replacement), s.Process("node-2-replacement")) << info.dump();
  std::printf(
      "[gateway] the only shard-2 node killed after token 16; its replacement took over after %.0f ms\n",
      info["failovers"].back()["pause_ms"].get<double>());
}

// A failover onto a node that takes connections and never answers (the other
// replica of the killed node's shard, stopped): the gateway gives up at its
// failover deadline (3 s here) and ends the stream with an error event,
// instead of waiting out the connection timeout (10 s) or the step timeout
// (60 s) on the stopped node.
TEST(Gateway, AFailoverOntoAStoppedNodeEndsTheStreamAtTheDeadline) {
  LocalSwarm s("tiny-spm-q8_0.gguf", {0, 1, 2, 3}, /*replicas=*/2);
  ASSERT_TRUE(s.WaitReady(30, /*replicas=*/2)) << s.gateway().Log();
  const json body = GreedyStream(64);
  struct Resume {  // a stopped node is let go again whatever happens, so the swarm can stop
    ChildProcess* node = nullptr;
    ~Resume() {
      if (node != nullptr) node->Kill(SIGCONT);
    }
  } stopped;
  std::chrono::steady_clock::time_point killed;
  Streamed out = StreamCompletion(s, body, [&](int n, const json&) {
    if (n != 20) return;
    const std::string victim = s.RunningRoutePeer(2);
    json st = json::parse(s.Request("GET", "/api/status").body, nullptr, false);
    std::string other;
    for (const json& shard : st["shards"]) {
      bool has_victim = false;
      for (const json& node : shard["nodes"]) has_victim |= node["peer_id"] == victim;
      if (!has_victim) continue;
      for (const json& node : shard["nodes"])
        if (node["peer_id"] != victim) other = node["peer_id"];
    }
    ASSERT_FALSE(other.empty()) << st.dump();
    stopped.node = s.NodeOf(other);
    ASSERT_NE(stopped.node, nullptr) << other;
    stopped.node->Kill(SIGSTOP);
    s.NodeOf(victim)->Kill(SIGKILL);
    killed = std::chrono::steady_clock::now();
  });
  const double after = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  ASSERT_NE(stopped.node, nullptr);
  EXPECT_FALSE(out.error.is_null()) << "the stream ended without an error: " << out.text;
  EXPECT_TRUE(out.last.is_null()) << out.last.dump();
  // 3 s and the pauses between tries; waiting out a connection (10 s) or a step (60 s) would be far more.
  EXPECT_LT(after, 8.0) << s.gateway().Log();
  std::printf("[gateway] failover onto a stopped node: the stream ended %.1f s after the kill: %s\n", after,
              out.error.dump().c_str());
}

// A route picked before the swarm notices its nodes died: the request is
// moved to the other replicas before its first token and answers exactly
// what the dead route would have.
TEST(Gateway, ARouteThroughJustKilledNodesIsReplacedBeforeTheFirstToken) {
  LocalSwarm s("tiny-spm-q8_0.gguf", {0, 1, 2, 3}, /*replicas=*/2);
  ASSERT_TRUE(s.WaitReady(30, /*replicas=*/2)) << s.gateway().Log();
  json body = {{"prompt", "Once upon a time"}, {"max_tokens", 16}, {"temperature", 0}};
  json reference = s.Post("/v1/completions", body);
  ASSERT_EQ(reference["http_status"], 200) << reference.dump();
  std::set<std::string> killed;
  for (const json& hop : reference["shardswarm"]["route"]) {
    ChildProcess* node = s.NodeOf(hop["peer_id"]);
    ASSERT_NE(node, nullptr) << hop.dump();
    node->Kill(SIGKILL);
    killed.insert(hop["peer_id"]);
  }
  json moved = s.Post("/v1/completions", body);
  ASSERT_EQ(moved["http_status"], 200) << moved.dump() << "\n" << s.gateway().Log();
  EXPECT_EQ(moved["choices"][0]["text"], reference["choices"][0]["text"]);
  for (const json& hop : moved["shardswarm"]["route"]) EXPECT_FALSE(killed.count(hop["peer_id"])) << hop;
  // One failover when the gateway still believed in the killed nodes; none
  // when its view had already seen them go.
  const size_t failovers = moved["shardswarm"].value("failovers", json::array()).size();
  EXPECT_LE(failovers, 1u) << moved.dump();
  std::printf(
      "[gateway] 4 nodes of the last route SIGKILLed; the next request answered alike after %zu "
      "failover(s)\n",
      failovers);
}

// The peer id a node's log gives as its own.
std::string PeerIdOf(const ChildProcess& node) {
  std::smatch m;
  const std::string log = node.Log();
  return std::regex_search(log, m, std::regex("peer id ([0-9a-f]{64})")) ? m[1].str() : "";
}

// Chaos: at least 100 generations, 8 at a time, while the test kills a random
// node (SIGKILL) and restarts it on its data dir, one node at a time so every
// shard keeps a replica; the clients go on until the chaos has made at least
// 3 kills (a fast engine finished 100 before the third). No request fails, every output equals its
// undisturbed reference, and each killed node is seen offline, then serving
// again under its own peer id.
TEST(Gateway, HundredGenerationsSurviveNodesKilledAndRestarted) {
  LocalSwarm s("tiny-spm-q8_0.gguf", {0, 1, 2, 3}, /*replicas=*/2);
  ASSERT_TRUE(s.WaitReady(30, /*replicas=*/2)) << s.gateway().Log();
  const char* const prompts[] = {"Once upon a time", "The capital of France", "In the beginning",
                                 "My favourite food is", "The little dog"};
  std::vector<json> bodies;
  for (int i = 0; i < 10; ++i)
    bodies.push_back({{"prompt", prompts[i % 5]},
                      {"max_tokens", 40},
                      {"ignore_eos", true},
                      {"temperature", i < 5 ? 0.0 : 0.8},
                      {"seed", i},
                      {"stream", i % 2 == 1}});
  // One request, streamed or not: its text, or the error.
  auto run = [&](const json& body) -> std::pair<std::string, std::string> {
    if (body["stream"]) {
      Streamed r = StreamCompletion(s, body, {});
      if (!r.error.is_null() || r.last.is_null()) return {"", "stream: " + r.error.dump()};
      return {r.text, ""};
    }
    json r = s.Post("/v1/completions", body);
    if (r["http_status"] != 200) return {"", r.dump()};
    return {r["choices"][0]["text"].get<std::string>(), ""};
  };
  std::vector<std::string> reference;
  for (const json& body : bodies) {
    auto [text, error] = run(body);
    ASSERT_TRUE(error.empty()) << error;
    reference.push_back(text);
  }

  constexpr int kGenerations = 100, kConcurrent = 8, kKills = 3;
  std::atomic<int> next{0}, done{0}, running{kConcurrent};
  std::atomic<bool> chaos_done{false};
  std::mutex mu;
  std::vector<std::string> failures;
  std::vector<std::thread> clients;
  for (int c = 0; c < kConcurrent; ++c)
    clients.emplace_back([&] {
      for (int n; (n = next++) < kGenerations || !chaos_done; ++done) {
        auto [text, error] = run(bodies[n % 10]);
        if (error.empty() && text == reference[n % 10]) continue;
        std::lock_guard lock(mu);
        failures.push_back("generation " + std::to_string(n) + ": " +
                           (error.empty() ? "text differs: " + text : error));
      }
      --running;
    });

  // The chaos, on this thread (the processes it starts belong to it).
  std::mt19937 rng(2026);
  int kills = 0;
  std::vector<double> back_after;
  while (running > 0) {
    const int k = static_cast<int>(rng() % 4);
    const std::string name = rng() % 2 ? "node-" + std::to_string(k) : "node-" + std::to_string(k) + "-1";
    ChildProcess* victim = s.Process(name);
    const std::string peer = PeerIdOf(*victim);
    ASSERT_FALSE(peer.empty()) << victim->Log();
    victim->Kill(SIGKILL);
    ++kills;
    const double killed_at = NowSeconds();
    bool offline = false;
    while (!offline && NowSeconds() - killed_at < 10) {
      offline = s.NodeStatus(peer).value("state", "") == "offline";
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(offline) << name << " " << s.NodeStatus(peer).dump();
    s.StartNode(k, name);
    const double restarted_at = NowSeconds();
    bool serving = false;
    while (!serving && NowSeconds() - restarted_at < 20) {
      json n = s.NodeStatus(peer);
      serving = n.value("online", false) && n.value("state", "") == "loaded";
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(serving) << name << " did not serve again within 20 s:\n" << s.Process(name)->Log();
    EXPECT_EQ(PeerIdOf(*s.Process(name)), peer);
    back_after.push_back(NowSeconds() - restarted_at);
    if (kills >= kKills) chaos_done = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 500));
  }
  for (auto& t : clients) t.join();
  std::sort(back_after.begin(), back_after.end());
  std::printf(
      "[gateway] chaos: %d generations, %d kills; a restarted node served again after %.1f s "
      "(median), %.1f s (max)\n",
      done.load(), kills, back_after[back_after.size() / 2], back_after.back());
  EXPECT_GE(kills, kKills);
  EXPECT_GE(done, kGenerations);
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front() << "\n"
                                << s.gateway().Log();
  auto metrics = s.Request("GET", "/metrics").body;
  std::printf("[gateway] chaos: %s\n",
              metrics.substr(metrics.find("\nshardswarm_failovers_total ") + 1, 40).c_str());
}

// Reads the gateway's /api/events stream on a thread of its own.
class EventReader {
 public:
  EventReader(int port, const std::string& target = "/api/events") {
    thread_ = std::thread([this, port, target] {
      net::HttpClientRequest r;
      r.port = static_cast<uint16_t>(port);
      r.target = target;
      r.timeout = std::chrono::seconds(300);
      r.on_body = [this](std::string_view piece) {
        std::lock_guard<std::mutex> lock(mu_);
        text_.append(piece);
        return !stop_;
      };
      // Until the gateway listens; once connected, the stream is read to its end.
      for (bool connected = false; !connected && !stop_;) {
        auto res = net::HttpFetch(r);
        connected = res.ok();
        if (!connected) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  ~EventReader() {
    stop_ = true;
    thread_.join();
  }
  std::vector<json> Events() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<json> out;
    for (const std::string& d : SseData(text_)) out.push_back(json::parse(d, nullptr, false));
    return out;
  }
  // Waits until an event satisfies `match`; returns it (or null at the timeout).
  json WaitFor(const std::function<bool(const json&)>& match, double timeout_s) {
    for (double deadline = NowSeconds() + timeout_s; NowSeconds() < deadline;) {
      for (const json& e : Events())
        if (e.is_object() && match(e)) return e;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return nullptr;
  }

 private:
  std::mutex mu_;
  std::string text_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The console's feeds follow the real swarm: nodes joining and loading,
// readiness, a request with its route, a node killed seen offline; the
// journal replays on reconnect; the status and chart samples carry figures.
TEST(Gateway, ConsoleFeedsFollowTheSwarm) {
  LocalSwarm s("tiny-spm-q8_0.gguf", {0, 1, 2});
  EventReader live(s.http_port());
  json blocked = live.WaitFor(
      [](const json& e) {
        return e["kind"] == "status" && e["ready"] == false &&
               e["message"].get<std::string>().find("shard 3") != std::string::npos;
      },
      30);
  EXPECT_FALSE(blocked.is_null()) << "no event said shard 3 blocked readiness";
  s.StartNode(3);
  ASSERT_TRUE(s.WaitReady(30)) << s.gateway().Log();
  json ready = live.WaitFor([](const json& e) { return e["kind"] == "status" && e["ready"] == true; }, 10);
  ASSERT_FALSE(ready.is_null()) << "no 'the swarm is ready' event";
  int joined = 0;
  for (const json& e : live.Events()) joined += e["kind"] == "node" && e.value("state", "") == "joined";
  EXPECT_EQ(joined, 4);

  json answer =
      s.Post("/v1/completions", {{"prompt", "Once upon a time"}, {"max_tokens", 8}, {"temperature", 0}});
  ASSERT_EQ(answer["http_status"], 200) << answer.dump();
  json finished = live.WaitFor(
      [](const json& e) { return e["kind"] == "request" && e.value("state", "") == "finished"; }, 10);
  ASSERT_FALSE(finished.is_null());
  EXPECT_EQ(finished["completion_tokens"], 8);
  EXPECT_EQ(finished["finish_reason"], "length");
  std::string route;
  for (const json& peer : finished["route"]) route += (route.empty() ? "" : ",") + peer.get<std::string>();
  EXPECT_EQ(route, answer["route_header"]);
  EXPECT_FALSE(
      live.WaitFor([](const json& e) { return e["kind"] == "request" && e["state"] == "started"; }, 1)
          .is_null());

  json st = json::parse(s.Request("GET", "/api/status").body, nullptr, false);
  ASSERT_TRUE(st.is_object());
  const std::string victim = st["shards"][1]["nodes"][0]["peer_id"];
  for (const json& shard : st["shards"])
    for (const json& n : shard["nodes"]) EXPECT_EQ(n["state"], "loaded") << n.dump();
  EXPECT_TRUE(st["stats"].contains("tokens_per_s"));
  EXPECT_GE(st["stats"]["requests_total"].get<int>(), 1);

  s.node(1).Kill(SIGKILL);
  const double killed = NowSeconds();
  json offline = live.WaitFor(
      [&](const json& e) { return e["kind"] == "node" && e["state"] == "offline" && e["peer_id"] == victim; },
      10);
  ASSERT_FALSE(offline.is_null()) << "the killed node was not reported offline within 10 s";
  std::printf("[gateway] the event stream reported the killed node offline after %.2f s (bound 10 s)\n",
              NowSeconds() - killed);
  st = json::parse(s.Request("GET", "/api/status").body, nullptr, false);
  EXPECT_EQ(st["shards"][1]["nodes"][0]["state"], "offline");

  // A page that reloads gets the journal again, or what follows an id.
  EventReader replay(s.http_port());
  json replayed_ready = replay.WaitFor(
      [&](const json& e) { return e["id"] == ready["id"] && e["message"] == ready["message"]; }, 5);
  EXPECT_FALSE(replayed_ready.is_null());
  EventReader after(s.http_port(), "/api/events?since=" + std::to_string(offline["id"].get<int>()));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  for (const json& e : after.Events()) EXPECT_GT(e["id"].get<int>(), offline["id"].get<int>()) << e.dump();

  json series = json::parse(s.Request("GET", "/api/series").body, nullptr, false);
  ASSERT_TRUE(series.is_object());
  EXPECT_EQ(series["interval_ms"], 1000);
  double most = 0;
  for (const json& sample : series["samples"]) most = std::max(most, sample["tokens_per_s"].get<double>());
  EXPECT_GT(most, 0) << series.dump();
  s.gateway().Kill(SIGTERM);  // ends the event streams
}

}  // namespace
}  // namespace ss
