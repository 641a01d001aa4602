#include "gateway/api_guard.h"

#include <memory>
#include <nlohmann/json.hpp>

#include "gateway/console_assets.h"
#include "gateway/openai_response.h"
#include "util/json_parse.h"

namespace ss::gateway {
namespace {

net::HttpResponse JsonError(int status, const nlohmann::json& body) {
  net::HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return r;
}

// Paths a client without a key may reach: the health check and the key
// prompt's script (the prompt page itself comes as the body of a 401).
bool IsOpenPath(const std::string& path) { return path == "/healthz" || path == "/login.js"; }

}  // namespace

ApiGuard::ApiGuard(ApiGuardOptions options)
    : options_(std::move(options)),
      keys_(options_.api_keys),
      cors_(options_.cors_origins),
      limits_(options_.max_requests_per_client) {}

net::HttpResponse ApiGuard::Handle(const net::HttpRequest& r, const Handler& next) {
  if (r.method == "OPTIONS") return cors_.Preflight(r);
  net::HttpResponse response;
  std::optional<size_t> key = keys_.Authenticate(r);
  if (r.path == "/api/login") {
    response = Login(r);
  } else if (keys_.enabled() && !key && !IsOpenPath(r.path)) {
    response = Unauthorized(r);
  } else if (r.path == "/healthz" || r.path == "/api/events") {
    response = next(r);
  } else {
    const std::string client = key ? "key " + std::to_string(*key) : "address " + AddressOf(r.remote);
    std::unique_ptr<ClientLimits::Slot> slot = limits_.Acquire(client);
    if (!slot) {
      response =
          JsonError(429, ApiErrorBody("too many requests in progress from this client (" +
                                          std::to_string(limits_.per_client()) +
                                          ", --max-requests-per-client); wait for one to finish and retry",
                                      "rate_limit_error", "", "rate_limit_exceeded"));
      response.headers.push_back({"retry-after", "1"});
    } else {
      response = next(r);
      if (response.stream) {  // the slot is held until the stream is done
        response.stream = [slot = std::shared_ptr<ClientLimits::Slot>(std::move(slot)),
                           inner = std::move(response.stream)](net::HttpStreamWriter& w) { inner(w); };
      }
    }
  }
  cors_.Decorate(r, response);
  return response;
}

net::HttpResponse ApiGuard::Login(const net::HttpRequest& r) const {
  if (r.method != "POST")
    return JsonError(400, ApiErrorBody("/api/login takes POST with {\"key\": \"...\"}, not " + r.method,
                                       "invalid_request_error", "", "method_not_allowed"));
  nlohmann::json body = ParseUntrustedJsonOrDiscarded(r.body);
  if (!body.is_object() || !body.contains("key") || !body["key"].is_string())
    return JsonError(400, ApiErrorBody("/api/login takes a JSON body {\"key\": \"...\"}",
                                       "invalid_request_error", "key", "invalid_body"));
  net::HttpResponse ok;
  ok.status = 204;
  ok.content_type = "text/plain";
  if (!keys_.enabled()) return ok;  // nothing to prove
  std::optional<size_t> key = keys_.Match(body["key"].get<std::string>());
  if (!key) {
    net::HttpResponse refused =
        JsonError(401, ApiErrorBody("incorrect API key", "authentication_error", "", "invalid_api_key"));
    refused.headers.push_back({"www-authenticate", "Bearer"});
    return refused;
  }
  ok.headers.push_back({"set-cookie", std::string(kConsoleCookie) + "=" + keys_.CookieValue(*key) +
                                          "; Path=/; HttpOnly; SameSite=Strict" +
                                          (options_.secure_cookie ? "; Secure" : "")});
  ok.headers.push_back({"cache-control", "no-store"});
  return ok;
}

net::HttpResponse ApiGuard::Unauthorized(const net::HttpRequest& r) const {
  const bool presented = !r.Header("authorization").empty() || !r.Header("x-api-key").empty();
  net::HttpResponse response;
  const ConsoleAsset* prompt = FindConsoleAsset("/login.html");
  if ((r.path == "/" || r.path == "/index.html") && prompt &&
      r.Header("accept").find("text/html") != std::string::npos) {
    response.status = 401;
    response.content_type = std::string(ContentTypeOf("/login.html"));
    response.body = std::string(prompt->bytes);
    response.headers = {{"cache-control", "no-store"},
                        {"content-security-policy", "default-src 'self'; style-src 'self' 'unsafe-inline'"},
                        {"x-content-type-options", "nosniff"}};
  } else {
    response = JsonError(
        401, ApiErrorBody(presented ? "incorrect API key provided"
                                    : "this gateway needs an API key: send 'Authorization: Bearer KEY' or "
                                      "'X-Api-Key: KEY'",
                          "authentication_error", "", "invalid_api_key"));
  }
  response.headers.push_back({"www-authenticate", "Bearer"});
  return response;
}

}  // namespace ss::gateway
