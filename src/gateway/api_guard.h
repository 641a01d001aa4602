#pragma once
// What stands between a client and the gateway's endpoints, in order:
//  1. CORS preflights (OPTIONS) are answered by the CorsPolicy, without a key.
//  2. /healthz is always open; POST /api/login trades a key for the
//     console's cookie (204 + Set-Cookie; 401 for a wrong key).
//  3. With API keys configured every other path needs one (ApiKeys), else
//     401 in OpenAI's error JSON with `WWW-Authenticate: Bearer`; a browser
//     asking for the console page gets the key prompt (web/login.html) as
//     that 401's body instead.
//  4. Requests in progress per client are capped (ClientLimits; the console's
//     event feed /api/events is not counted): beyond, 429 with Retry-After.
// Size, header and timeout limits are the HTTP server's (net/http_server.h).
// Thread-safe; the guard must outlive the HTTP server that calls it.

#include <functional>
#include <string>
#include <vector>

#include "gateway/api_auth.h"
#include "gateway/client_limits.h"
#include "gateway/cors.h"
#include "net/http_server.h"

namespace ss::gateway {

struct ApiGuardOptions {
  std::vector<std::string> api_keys;      // empty: no key needed
  std::vector<std::string> cors_origins;  // empty: cross-origin closed
  size_t max_requests_per_client = 16;
  bool secure_cookie = false;  // the gateway serves HTTPS: the cookie says Secure
};

class ApiGuard {
 public:
  using Handler = std::function<net::HttpResponse(const net::HttpRequest&)>;
  explicit ApiGuard(ApiGuardOptions options);

  // Answers `request` itself when refused (or a login/preflight), else
  // through `next`, holding the client's slot until the response (or its
  // stream) is done.
  net::HttpResponse Handle(const net::HttpRequest& request, const Handler& next);
  bool keys_enabled() const { return keys_.enabled(); }

 private:
  net::HttpResponse Login(const net::HttpRequest& request) const;
  net::HttpResponse Unauthorized(const net::HttpRequest& request) const;

  ApiGuardOptions options_;
  ApiKeys keys_;
  CorsPolicy cors_;
  ClientLimits limits_;
};

}  // namespace ss::gateway
