// The gateway's API guard without a network: keys files, constant-time
// comparison, which requests a key lets in (both headers, the console's
// cookie), the per-client counter, CORS, and the guard's order of checks
// with a stand-in for the gateway's endpoints.
#include "gateway/api_guard.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ss::gateway {
namespace {

using nlohmann::json;

net::HttpRequest Get(const std::string& path, std::vector<std::pair<std::string, std::string>> headers = {},
                     const std::string& remote = "10.0.0.1:5000") {
  net::HttpRequest r;
  r.method = "GET";
  r.target = r.path = path;
  r.headers = std::move(headers);
  r.remote = remote;
  return r;
}

std::string HeaderOf(const net::HttpResponse& r, const std::string& name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return "";
}

TEST(ApiKeysTest, ParsesAKeysFile) {
  auto keys = ParseApiKeys("# gateway keys\n\nalpha-1\n  beta-2  \r\n# old: gamma\n\tdelta-3\n");
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  EXPECT_EQ(*keys, (std::vector<std::string>{"alpha-1", "beta-2", "delta-3"}));
  EXPECT_TRUE(ParseApiKeys("").ok());
  auto bad = ParseApiKeys("good\nbad key\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 2"), std::string::npos) << bad.status().message();
  EXPECT_FALSE(ReadApiKeysFile("/nonexistent/keys").ok());
}

TEST(ApiKeysTest, BearerXApiKeyAndCookieAreAccepted) {
  ApiKeys keys({"k1", "k2"});
  ASSERT_TRUE(keys.enabled());
  EXPECT_EQ(keys.Authenticate(Get("/v1/models", {{"authorization", "Bearer k2"}})), 1u);
  EXPECT_EQ(keys.Authenticate(Get("/v1/models", {{"authorization", "bearer  k1"}})), 0u);
  EXPECT_EQ(keys.Authenticate(Get("/v1/models", {{"x-api-key", "k1"}})), 0u);
  EXPECT_EQ(keys.Authenticate(Get("/v1/models", {{"authorization", "Bearer k3"}})), std::nullopt);
  EXPECT_EQ(keys.Authenticate(Get("/v1/models", {{"authorization", "Basic k1"}})), std::nullopt);
  EXPECT_EQ(keys.Authenticate(Get("/v1/models", {{"x-api-key", "k"}})), std::nullopt);
  EXPECT_EQ(keys.Authenticate(Get("/v1/models")), std::nullopt);
  const std::string cookie = keys.CookieValue(1);
  EXPECT_EQ(cookie.find("k2"), std::string::npos) << "the cookie must not carry the key";
  EXPECT_EQ(keys.Authenticate(Get("/", {{"cookie", "theme=dark; shardswarm_console=" + cookie}})), 1u);
  EXPECT_EQ(keys.Authenticate(Get("/", {{"cookie", "shardswarm_console=k2"}})), std::nullopt);
  EXPECT_NE(ApiKeys({"k2"}).CookieValue(0), cookie) << "each start draws a new cookie secret";
  EXPECT_FALSE(ApiKeys({}).enabled());
  EXPECT_EQ(ApiKeys({}).Authenticate(Get("/", {{"authorization", "Bearer x"}})), std::nullopt);
}

TEST(ClientLimitsTest, CountsPerClientAndGivesSlotsBack) {
  ClientLimits limits(2);
  auto a1 = limits.Acquire("a"), a2 = limits.Acquire("a");
  ASSERT_TRUE(a1 && a2);
  EXPECT_EQ(limits.Acquire("a"), nullptr);
  auto b1 = limits.Acquire("b");
  EXPECT_NE(b1, nullptr) << "another client has its own budget";
  EXPECT_EQ(limits.InProgress("a"), 2u);
  a1.reset();
  EXPECT_EQ(limits.InProgress("a"), 1u);
  EXPECT_NE(limits.Acquire("a"), nullptr);  // taken and given back at once
  a2.reset();
  b1.reset();
  EXPECT_EQ(limits.clients(), 0u) << "no entry is kept for an idle client";
  EXPECT_EQ(AddressOf("127.0.0.1:5555"), "127.0.0.1");
  EXPECT_EQ(AddressOf("::1:5555"), "::1");
}

TEST(CorsPolicyTest, ClosedByDefaultOpenForTheConfiguredOriginOnly) {
  net::HttpRequest preflight = Get(
      "/v1/chat/completions", {{"origin", "https://app.example"}, {"access-control-request-method", "POST"}});
  preflight.method = "OPTIONS";
  net::HttpResponse closed = CorsPolicy({}).Preflight(preflight);
  EXPECT_EQ(closed.status, 403);
  EXPECT_EQ(json::parse(closed.body)["error"]["type"], "permission_error");
  EXPECT_TRUE(closed.headers.empty());

  CorsPolicy open({"https://app.example"});
  net::HttpResponse ok = open.Preflight(preflight);
  EXPECT_EQ(ok.status, 204);
  EXPECT_EQ(HeaderOf(ok, "access-control-allow-origin"), "https://app.example");
  EXPECT_NE(HeaderOf(ok, "access-control-allow-headers").find("Authorization"), std::string::npos);

  net::HttpRequest other = preflight;
  other.headers[0].second = "https://app.example.evil";
  EXPECT_EQ(open.Preflight(other).status, 403);
  net::HttpResponse plain;
  open.Decorate(Get("/v1/models", {{"origin", "https://evil.example"}}), plain);
  EXPECT_TRUE(plain.headers.empty());
  open.Decorate(Get("/v1/models", {{"origin", "https://app.example"}}), plain);
  EXPECT_EQ(HeaderOf(plain, "access-control-allow-origin"), "https://app.example");
}

// A stand-in for the gateway's endpoints: counts calls, answers 200.
struct Endpoints {
  int calls = 0;
  net::HttpResponse operator()(const net::HttpRequest&) {
    ++calls;
    net::HttpResponse r;
    r.body = "{}";
    return r;
  }
};

TEST(ApiGuardTest, KeysRefuseWith401ButHealthzStaysOpen) {
  ApiGuardOptions o;
  o.api_keys = {"sesame"};
  ApiGuard guard(o);
  Endpoints e;
  auto next = [&](const net::HttpRequest& r) { return e(r); };
  for (const char* path : {"/v1/models", "/api/status", "/metrics", "/", "/app.js"}) {
    net::HttpResponse r = guard.Handle(Get(path), next);
    EXPECT_EQ(r.status, 401) << path;
    EXPECT_EQ(HeaderOf(r, "www-authenticate"), "Bearer") << path;
    json j = json::parse(r.body);
    EXPECT_EQ(j["error"]["type"], "authentication_error") << path;
    EXPECT_EQ(j["error"]["code"], "invalid_api_key") << path;
    EXPECT_TRUE(j["error"].contains("param") && j["error"]["param"].is_null()) << path;
  }
  EXPECT_EQ(e.calls, 0);
  EXPECT_EQ(guard.Handle(Get("/healthz"), next).status, 200);
  EXPECT_EQ(guard.Handle(Get("/v1/models", {{"authorization", "Bearer sesame"}}), next).status, 200);
  EXPECT_EQ(guard.Handle(Get("/v1/models", {{"x-api-key", "sesame"}}), next).status, 200);
  EXPECT_EQ(e.calls, 3);
}

TEST(ApiGuardTest, LoginTradesTheKeyForACookie) {
  ApiGuardOptions o;
  o.api_keys = {"sesame"};
  ApiGuard guard(o);
  Endpoints e;
  auto next = [&](const net::HttpRequest& r) { return e(r); };
  net::HttpRequest login = Get("/api/login");
  login.method = "POST";
  login.body = R"({"key": "wrong"})";
  EXPECT_EQ(guard.Handle(login, next).status, 401);
  login.body = R"({"key": "sesame"})";
  net::HttpResponse ok = guard.Handle(login, next);
  ASSERT_EQ(ok.status, 204);
  const std::string cookie = HeaderOf(ok, "set-cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("sesame"), std::string::npos) << cookie;
  const std::string pair = cookie.substr(0, cookie.find(';'));
  EXPECT_EQ(guard.Handle(Get("/api/status", {{"cookie", pair}}), next).status, 200);
  login.body = "not json";
  EXPECT_EQ(guard.Handle(login, next).status, 400);
}

TEST(ApiGuardTest, PerClientLimitAnswers429WithRetryAfterAndStreamsHoldTheirSlot) {
  ApiGuardOptions o;
  o.max_requests_per_client = 1;
  ApiGuard guard(o);
  auto streaming = [](const net::HttpRequest&) {
    net::HttpResponse r;
    r.stream = [](net::HttpStreamWriter&) {};
    return r;
  };
  net::HttpResponse held = guard.Handle(Get("/v1/completions", {}, "10.0.0.1:1"), streaming);
  ASSERT_TRUE(held.stream);
  // The stream has not run: 10.0.0.1 still has its one request in progress.
  net::HttpResponse refused = guard.Handle(Get("/v1/models", {}, "10.0.0.1:2"), streaming);
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(HeaderOf(refused, "retry-after"), "1");
  json j = json::parse(refused.body);
  EXPECT_EQ(j["error"]["type"], "rate_limit_error");
  EXPECT_EQ(j["error"]["code"], "rate_limit_exceeded");
  EXPECT_TRUE(guard.Handle(Get("/v1/models", {}, "10.0.0.2:1"), streaming).stream) << "another address";
  EXPECT_EQ(guard.Handle(Get("/healthz", {}, "10.0.0.1:3"), streaming).status, 200) << "not counted";
  held = net::HttpResponse();  // the stream is done and destroyed
  EXPECT_EQ(guard.Handle(Get("/v1/models", {}, "10.0.0.1:4"), streaming).status, 200);
}

TEST(ApiGuardTest, WithKeysTheBudgetIsPerKey) {
  ApiGuardOptions o;
  o.api_keys = {"a", "b"};
  o.max_requests_per_client = 1;
  ApiGuard guard(o);
  auto streaming = [](const net::HttpRequest&) {
    net::HttpResponse r;
    r.stream = [](net::HttpStreamWriter&) {};
    return r;
  };
  net::HttpResponse held =
      guard.Handle(Get("/v1/completions", {{"x-api-key", "a"}}, "10.0.0.1:1"), streaming);
  EXPECT_EQ(guard.Handle(Get("/v1/models", {{"x-api-key", "a"}}, "10.0.0.9:1"), streaming).status, 429)
      << "the same key from another address";
  EXPECT_EQ(guard.Handle(Get("/v1/models", {{"x-api-key", "b"}}, "10.0.0.1:2"), streaming).status, 200)
      << "another key from the same address";
}

}  // namespace
}  // namespace ss::gateway
