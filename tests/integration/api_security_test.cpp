// The gateway's API security with real processes on loopback: API keys
// (both headers, the console's cookie, /healthz open), body and header size
// limits, prompt and max_tokens limits, the per-client cap on requests in
// progress, slow clients dropped while others are served, CORS, and HTTPS
// checked with curl against a certificate made by the openssl tool.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "net/http_client.h"
#include "testing.h"

namespace ss {
namespace {

using nlohmann::json;
using ss::testing::ChildProcess;
using ss::testing::NowSeconds;
using Headers = std::vector<std::pair<std::string, std::string>>;

// A bootstrap, the nodes of a 4-way split of the tiny model (unless
// `with_nodes` is false) and a gateway started with `gateway_args`.
class SecuredSwarm {
 public:
  SecuredSwarm(std::vector<std::string> gateway_args, bool with_nodes) {
    boot_port_ = ss::testing::FreePort(/*udp=*/true);
    http_port_ = ss::testing::FreePort(/*udp=*/false);
    boot_ = Start({"bootstrap", "--port", std::to_string(boot_port_), "--health-port", "0"}, "bootstrap");
    if (with_nodes) {
      const std::string shards = dir_ / "shards";
      auto r = ss::testing::RunShardswarm("shard split " + ss::testing::ModelPath("tiny-spm-q8_0.gguf") +
                                          " -n 4 -o " + shards);
      EXPECT_EQ(r.exit_code, 0) << r.output;
      for (int k = 0; k < 4; ++k)
        nodes_.push_back(
            Start({"node", "--bootstrap", bootstrap(), "--cluster", "sec", "--shard-id", std::to_string(k),
                   "--total-shards", "4", "--shards-dir", shards, "--data-dir",
                   dir_ / ("node-" + std::to_string(k)), "--refresh-interval", "1", "--threads", "1"},
                  "node-" + std::to_string(k)));
    }
    std::vector<std::string> args = {"gateway",
                                     "--bootstrap",
                                     bootstrap(),
                                     "--cluster",
                                     "sec",
                                     "--http-port",
                                     std::to_string(http_port_),
                                     "--refresh-interval",
                                     "1"};
    args.insert(args.end(), gateway_args.begin(), gateway_args.end());
    gateway_ = Start(args, "gateway");
    EXPECT_TRUE(gateway_->WaitForLog("OpenAI-compatible API on", 20)) << gateway_->Log();
  }

  net::HttpClientResponse Fetch(const std::string& method, const std::string& target, Headers headers = {},
                                const std::string& body = "") {
    net::HttpClientRequest r;
    r.method = method;
    r.port = static_cast<uint16_t>(http_port_);
    r.target = target;
    r.headers = std::move(headers);
    r.body = body;
    r.timeout = std::chrono::seconds(30);
    auto res = net::HttpFetch(r);
    EXPECT_TRUE(res.ok()) << method << " " << target << ": " << res.status().message();
    return res.ok() ? *res : net::HttpClientResponse{};
  }

  // Until /healthz says the swarm is ready and the model known.
  bool WaitReady(double timeout_s) {
    for (double deadline = NowSeconds() + timeout_s; NowSeconds() < deadline;) {
      net::HttpClientRequest r;
      r.port = static_cast<uint16_t>(http_port_);
      r.target = "/healthz";
      r.timeout = std::chrono::seconds(2);
      auto res = net::HttpFetch(r);
      if (res.ok() && json::parse(res->body, nullptr, false).value("swarm_ready", false)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(boot_port_); }
  int http_port() const { return http_port_; }
  ChildProcess& gateway() { return *gateway_; }
  ChildProcess& node(int k) { return *nodes_.at(k); }
  const ss::testing::TempDir& dir() const { return dir_; }

 private:
  std::unique_ptr<ChildProcess> Start(std::vector<std::string> args, const std::string& name) {
    args.insert(args.begin(), SHARDSWARM_BINARY);
    return std::make_unique<ChildProcess>(args, dir_ / (name + ".log"));
  }
  ss::testing::TempDir dir_;
  int boot_port_ = 0, http_port_ = 0;
  std::unique_ptr<ChildProcess> boot_, gateway_;
  std::vector<std::unique_ptr<ChildProcess>> nodes_;
};

// A raw TCP client; Closed() waits up to `wait_ms` for the server.
class RawClient {
 public:
  explicit RawClient(int port, int wait_ms = 1000) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{wait_ms / 1000, (wait_ms % 1000) * 1000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) close(fd_);
  }
  bool connected() const { return connected_; }
  bool Send(const std::string& bytes) { return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) > 0; }
  // True once the server closed the connection (end of file or reset);
  // false while it is open (the receive timed out).
  bool Closed() {
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n == 0) return true;
    if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK;
    return false;  // bytes: an answer, the connection may still be open
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

json Body(const net::HttpClientResponse& r) { return json::parse(r.body, nullptr, false); }

void ExpectOpenAIError(const net::HttpClientResponse& r, int status, const std::string& type,
                       const std::string& code, const json& param = nullptr) {
  EXPECT_EQ(r.status, status) << r.body;
  json j = Body(r);
  ASSERT_TRUE(j.is_object() && j.contains("error")) << r.body;
  EXPECT_EQ(j["error"]["type"], type) << r.body;
  EXPECT_EQ(j["error"]["code"], code) << r.body;
  EXPECT_EQ(j["error"]["param"], param) << r.body;
  EXPECT_TRUE(j["error"]["message"].is_string() && !j["error"]["message"].get<std::string>().empty());
}

const std::string kKey = "sk-test-4b1d9c0e7f";

TEST(GatewaySecurity, ApiKeysGuardTheApiAndConsoleAndHealthzStaysOpen) {
  ss::testing::TempDir keys_dir;
  {
    std::ofstream f(keys_dir / "keys");
    f << "# keys of the test\n\nsk-second-key\n";
  }
  SecuredSwarm s({"--api-key", kKey, "--api-keys-file", keys_dir / "keys"}, /*with_nodes=*/true);
  ASSERT_TRUE(s.WaitReady(30)) << s.gateway().Log();
  EXPECT_EQ(s.gateway().Log().find(kKey), std::string::npos) << "a key was logged";
  const std::string completion =
      json{{"prompt", "Once upon a time"}, {"max_tokens", 8}, {"temperature", 0}}.dump();

  // No key, a wrong key in either header: 401 in OpenAI's shape.
  for (const Headers& h : {Headers{}, Headers{{"Authorization", "Bearer sk-wrong"}},
                           Headers{{"X-Api-Key", "sk-wrong"}}, Headers{{"Authorization", kKey}}}) {
    auto r = s.Fetch("POST", "/v1/completions", h, completion);
    ExpectOpenAIError(r, 401, "authentication_error", "invalid_api_key");
    EXPECT_EQ(r.Header("www-authenticate"), "Bearer");
  }
  for (const char* path : {"/v1/models", "/api/status", "/api/series", "/metrics", "/", "/app.js"})
    EXPECT_EQ(s.Fetch("GET", path).status, 401) << path;
  auto health = s.Fetch("GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_TRUE(Body(health).value("swarm_ready", false));

  // The right key, in either header (and the file's key): a real completion.
  for (const Headers& h : {Headers{{"Authorization", "Bearer " + kKey}}, Headers{{"X-Api-Key", kKey}},
                           Headers{{"Authorization", "Bearer sk-second-key"}}}) {
    auto r = s.Fetch("POST", "/v1/completions", h, completion);
    ASSERT_EQ(r.status, 200) << r.body;
    json j = Body(r);
    EXPECT_EQ(j["choices"][0]["finish_reason"], "length") << r.body;
    EXPECT_EQ(j["shardswarm"]["completion_tokens"].size(), 8u) << r.body;
  }
  EXPECT_EQ(s.Fetch("GET", "/metrics", {{"X-Api-Key", kKey}}).status, 200);

  // A browser without the cookie gets the key prompt as the 401's page; its
  // script is open. Login trades the key for a cookie that opens the rest.
  auto page = s.Fetch("GET", "/", {{"Accept", "text/html"}});
  EXPECT_EQ(page.status, 401);
  EXPECT_NE(page.body.find("login-form"), std::string::npos) << page.body;
  EXPECT_EQ(s.Fetch("GET", "/login.js").status, 200);
  ExpectOpenAIError(s.Fetch("POST", "/api/login", {}, R"({"key": "sk-wrong"})"), 401, "authentication_error",
                    "invalid_api_key");
  auto login = s.Fetch("POST", "/api/login", {}, json{{"key", kKey}}.dump());
  ASSERT_EQ(login.status, 204) << login.body;
  const std::string set_cookie = login.Header("set-cookie");
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("SameSite=Strict"), std::string::npos) << set_cookie;
  EXPECT_EQ(set_cookie.find(kKey), std::string::npos) << set_cookie;
  const Headers cookie = {{"Cookie", set_cookie.substr(0, set_cookie.find(';'))}};
  EXPECT_EQ(s.Fetch("GET", "/api/status", cookie).status, 200);
  auto index = s.Fetch("GET", "/", cookie);
  EXPECT_EQ(index.status, 200);
  EXPECT_NE(index.body.find("app.js"), std::string::npos);
}

TEST(GatewaySecurity, PromptAndMaxTokensOverTheLimitsAre400NamingTheParameter) {
  SecuredSwarm s({"--max-prompt-tokens", "64", "--max-tokens-limit", "32"}, /*with_nodes=*/true);
  ASSERT_TRUE(s.WaitReady(30)) << s.gateway().Log();
  auto over_max =
      s.Fetch("POST", "/v1/completions", {}, json{{"prompt", "Hello"}, {"max_tokens", 33}}.dump());
  ExpectOpenAIError(over_max, 400, "invalid_request_error", "max_tokens_too_large", "max_tokens");
  EXPECT_NE(Body(over_max)["error"]["message"].get<std::string>().find("32"), std::string::npos)
      << over_max.body;
  std::string long_prompt;
  for (int i = 0; i < 100; ++i) long_prompt += "word ";
  auto over_prompt =
      s.Fetch("POST", "/v1/completions", {}, json{{"prompt", long_prompt}, {"max_tokens", 4}}.dump());
  ExpectOpenAIError(over_prompt, 400, "invalid_request_error", "prompt_too_long", "prompt");
  EXPECT_NE(Body(over_prompt)["error"]["message"].get<std::string>().find("64"), std::string::npos);
  auto chat = s.Fetch("POST", "/v1/chat/completions", {},
                      json{{"messages", {{{"role", "user"}, {"content", long_prompt}}}}}.dump());
  ExpectOpenAIError(chat, 400, "invalid_request_error", "prompt_too_long", "messages");

  // Within the limits: served; an absent max_tokens is capped at the limit.
  auto ok = s.Fetch("POST", "/v1/completions", {},
                    json{{"prompt", "Hello"}, {"max_tokens", 32}, {"ignore_eos", true}}.dump());
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Body(ok)["shardswarm"]["completion_tokens"].size(), 32u);
  auto capped =
      s.Fetch("POST", "/v1/chat/completions", {},
              json{{"messages", {{{"role", "user"}, {"content", "Hi"}}}}, {"ignore_eos", true}}.dump());
  ASSERT_EQ(capped.status, 200) << capped.body;
  EXPECT_EQ(Body(capped)["usage"]["completion_tokens"], 32) << capped.body;
}

// Two keys: key A may have 2 requests in progress. Node 0 is paused
// (SIGSTOP) so A's two generations stay in progress; A's third is refused
// with 429 while key B is served, and A's two finish once the node resumes.
TEST(GatewaySecurity, TooManyRequestsInProgressFromOneClientAre429) {
  SecuredSwarm s({"--api-key", "key-a", "--api-key", "key-b", "--max-requests-per-client", "2"},
                 /*with_nodes=*/true);
  ASSERT_TRUE(s.WaitReady(30)) << s.gateway().Log();
  const Headers a = {{"Authorization", "Bearer key-a"}}, b = {{"Authorization", "Bearer key-b"}};
  const std::string body = json{{"prompt", "Once upon a time"}, {"max_tokens", 8}, {"temperature", 0}}.dump();
  ASSERT_EQ(s.Fetch("POST", "/v1/completions", a, body).status, 200);

  kill(s.node(0).pid(), SIGSTOP);
  std::vector<net::HttpClientResponse> held(2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i)
    threads.emplace_back([&, i] { held[i] = s.Fetch("POST", "/v1/completions", a, body); });
  bool both_in_progress = false;
  for (double deadline = NowSeconds() + 10; NowSeconds() < deadline && !both_in_progress;) {
    auto st = s.Fetch("GET", "/api/status", b);  // key B: its own budget
    both_in_progress = st.status == 200 && Body(st)["stats"]["sessions_in_flight"] == 2;
    if (!both_in_progress) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(both_in_progress);
  auto refused = s.Fetch("POST", "/v1/completions", a, body);
  ExpectOpenAIError(refused, 429, "rate_limit_error", "rate_limit_exceeded");
  EXPECT_EQ(refused.Header("retry-after"), "1");
  EXPECT_EQ(s.Fetch("GET", "/v1/models", a).status, 429) << "every path counts for key A";
  EXPECT_EQ(s.Fetch("GET", "/v1/models", b).status, 200) << "key B is under its limit";
  kill(s.node(0).pid(), SIGCONT);
  for (auto& t : threads) t.join();
  for (const auto& r : held) {
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(Body(r)["shardswarm"]["completion_tokens"].size(), 8u) << r.body;
  }
  EXPECT_EQ(s.Fetch("POST", "/v1/completions", a, body).status, 200) << "the slots were given back";
}

TEST(GatewaySecurity, OversizedBodyIs413AndOversizedHeadersAre431) {
  SecuredSwarm s({"--max-body-bytes", "4096"}, /*with_nodes=*/false);
  auto big = s.Fetch("POST", "/v1/completions", {}, json{{"prompt", std::string(5000, 'a')}}.dump());
  EXPECT_EQ(big.status, 413) << big.body;
  EXPECT_EQ(Body(big)["error"]["code"], "body_too_large") << big.body;
  auto headers = s.Fetch("GET", "/v1/models", {{"X-Padding", std::string(20 * 1024, 'x')}});
  EXPECT_EQ(headers.status, 431) << headers.body;
  EXPECT_EQ(s.Fetch("GET", "/healthz").status, 200) << "the gateway serves on";
}

// --read-timeout 2: a client that sends its headers a byte at a time and
// never finishes is dropped within about 2 s, while another is served.
TEST(GatewaySecurity, SlowClientIsDroppedWithinTheReadTimeoutWhileOthersAreServed) {
  SecuredSwarm s({"--read-timeout", "2"}, /*with_nodes=*/false);
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < 8; ++i) {
    slow.push_back(std::make_unique<RawClient>(s.http_port(), /*wait_ms=*/50));
    ASSERT_TRUE(slow.back()->connected());
    slow.back()->Send("GET /v1/models HTTP/1.1\r\nHost: x\r\n");
  }
  const double start = NowSeconds();
  int served = 0;
  std::vector<double> dropped_after(slow.size(), -1);
  size_t open = slow.size();
  while (open > 0 && NowSeconds() - start < 10) {
    EXPECT_EQ(s.Fetch("GET", "/healthz").status, 200);
    ++served;
    for (size_t i = 0; i < slow.size(); ++i) {
      if (dropped_after[i] >= 0) continue;
      slow[i]->Send("X");  // one more byte of a header that never ends
      if (slow[i]->Closed()) {
        dropped_after[i] = NowSeconds() - start;
        --open;
      }
    }
  }
  for (double t : dropped_after) {
    EXPECT_GE(t, 1.5);  // not before its time
    EXPECT_LT(t, 4.0);  // 2 s, and the test's own waits
  }
  EXPECT_GE(served, 2) << "the other client was served meanwhile";
  EXPECT_EQ(s.Fetch("GET", "/healthz").status, 200);
}

TEST(GatewaySecurity, CorsIsClosedByDefaultAndOpenForTheConfiguredOriginOnly) {
  {
    SecuredSwarm s({}, /*with_nodes=*/false);
    auto pre = s.Fetch("OPTIONS", "/v1/chat/completions",
                       {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "POST"}});
    ExpectOpenAIError(pre, 403, "permission_error", "cors_origin_not_allowed");
    EXPECT_EQ(pre.Header("access-control-allow-origin"), "");
    auto get = s.Fetch("GET", "/v1/models", {{"Origin", "https://app.example"}});
    EXPECT_EQ(get.status, 200);
    for (const auto& [name, value] : get.headers) EXPECT_NE(name.rfind("access-control-", 0), 0u) << name;
  }
  SecuredSwarm s({"--cors-origin", "https://app.example", "--api-key", kKey}, /*with_nodes=*/false);
  auto pre = s.Fetch("OPTIONS", "/v1/chat/completions",
                     {{"Origin", "https://app.example"},
                      {"Access-Control-Request-Method", "POST"},
                      {"Access-Control-Request-Headers", "authorization, content-type"}});
  EXPECT_EQ(pre.status, 204) << pre.body;
  EXPECT_EQ(pre.Header("access-control-allow-origin"), "https://app.example");
  EXPECT_NE(pre.Header("access-control-allow-headers").find("Authorization"), std::string::npos);
  auto evil = s.Fetch("OPTIONS", "/v1/chat/completions", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(evil.status, 403);
  EXPECT_EQ(evil.Header("access-control-allow-origin"), "");
  auto get = s.Fetch("GET", "/v1/models", {{"Origin", "https://app.example"}, {"X-Api-Key", kKey}});
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.Header("access-control-allow-origin"), "https://app.example");
  auto other = s.Fetch("GET", "/v1/models", {{"Origin", "https://evil.example"}, {"X-Api-Key", kKey}});
  EXPECT_EQ(other.Header("access-control-allow-origin"), "");
}

TEST(GatewaySecurity, HttpsWithTheCertificateWorks) {
  ss::testing::TempDir tls;
  auto gen = ss::testing::RunCommand(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout " +
      (tls / "key.pem") + " -out " + (tls / "cert.pem") + " 2>&1");
  ASSERT_EQ(gen.exit_code, 0) << gen.output;
  SecuredSwarm s({"--tls-cert", tls / "cert.pem", "--tls-key", tls / "key.pem", "--api-key", kKey,
                  "--read-timeout", "2"},
                 /*with_nodes=*/false);
  EXPECT_TRUE(s.gateway().WaitForLog("API on https://", 1)) << s.gateway().Log();
  const std::string url = "https://127.0.0.1:" + std::to_string(s.http_port());
  const std::string curl = "curl -sS --max-time 10 --cacert " + (tls / "cert.pem") + " -w '\\n%{http_code}' ";
  auto health = ss::testing::RunCommand(curl + url + "/healthz");
  EXPECT_EQ(health.exit_code, 0) << health.output;
  EXPECT_NE(health.output.find("\"role\":\"gateway\""), std::string::npos) << health.output;
  EXPECT_EQ(health.output.substr(health.output.rfind('\n') + 1), "200") << health.output;
  auto models =
      ss::testing::RunCommand(curl + "-H 'Authorization: Bearer " + kKey + "' " + url + "/v1/models");
  EXPECT_EQ(models.output.substr(models.output.rfind('\n') + 1), "200") << models.output;
  EXPECT_NE(models.output.find("\"object\":\"list\""), std::string::npos) << models.output;
  // Two requests on one kept-alive TLS connection, then a streamed response
  // (the event feed, cut by curl after 2 s) through TLS.
  auto twice = ss::testing::RunCommand(curl + "-H 'X-Api-Key: " + kKey + "' " + url + "/v1/models " + url +
                                       "/api/status");
  EXPECT_EQ(twice.exit_code, 0) << twice.output;
  EXPECT_NE(twice.output.find("\"swarm_ready\""), std::string::npos) << twice.output;
  auto events = ss::testing::RunCommand("curl -sN --max-time 2 --cacert " + (tls / "cert.pem") +
                                        " -H 'X-Api-Key: " + kKey + "' " + url + "/api/events");
  EXPECT_NE(events.output.find("retry: 2000"), std::string::npos) << events.output;
  EXPECT_NE(events.output.find("data: {"), std::string::npos) << events.output;
  auto nokey = ss::testing::RunCommand(curl + url + "/v1/models");
  EXPECT_EQ(nokey.output.substr(nokey.output.rfind('\n') + 1), "401") << nokey.output;
  auto untrusted = ss::testing::RunCommand("curl -sS --max-time 10 -o /dev/null " + url + "/healthz 2>&1");
  EXPECT_NE(untrusted.exit_code, 0) << "a client that does not trust the certificate must fail";
  // Plain HTTP on the HTTPS port gets no answer; a client that never starts
  // the handshake is dropped within the read timeout.
  net::HttpClientRequest plain;
  plain.port = static_cast<uint16_t>(s.http_port());
  plain.target = "/healthz";
  plain.timeout = std::chrono::seconds(5);
  auto p = net::HttpFetch(plain);
  EXPECT_FALSE(p.ok() && p->status == 200);
  RawClient silent(s.http_port());
  ASSERT_TRUE(silent.connected());
  const double start = NowSeconds();
  bool closed = false;
  while (!closed && NowSeconds() - start < 6) closed = silent.Closed();
  EXPECT_TRUE(closed);
  EXPECT_LT(NowSeconds() - start, 4.0);
  auto again = ss::testing::RunCommand(curl + url + "/healthz");
  EXPECT_EQ(again.output.substr(again.output.rfind('\n') + 1), "200") << again.output;
}

// Mistakes in the API's keys file or certificate stop the gateway at once,
// naming the file, before it waits for any bootstrap.
TEST(GatewaySecurity, ABadKeysFileOrCertificateFailsAtOnceNamingIt) {
  ss::testing::TempDir dir;
  {
    std::ofstream(dir / "keys") << "good-key\nbad key\n";
    std::ofstream(dir / "empty") << "# nothing\n";
    std::ofstream(dir / "cert.pem") << "not a certificate\n";
  }
  const std::string gateway = "gateway --bootstrap 127.0.0.1:1 --http-port 0 ";
  struct Case {
    std::string flags, expect;
  };
  for (const Case& c :
       {Case{"--api-keys-file " + (dir / "keys"), "line 2"},
        Case{"--api-keys-file " + (dir / "empty"), "holds no API key"},
        Case{"--api-keys-file " + (dir / "missing"), "missing"},
        Case{"--tls-cert " + (dir / "cert.pem") + " --tls-key " + (dir / "cert.pem"), "cert.pem"},
        Case{"--tls-cert " + (dir / "cert.pem"), "--tls-key"}}) {
    const double start = NowSeconds();
    auto r = ss::testing::RunShardswarm(gateway + c.flags);
    EXPECT_NE(r.exit_code, 0) << c.flags << "\n" << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.flags << "\n" << r.output;
    EXPECT_LT(NowSeconds() - start, 5.0) << c.flags;
  }
}

}  // namespace
}  // namespace ss
