#pragma once
// Cross-origin access to the gateway's HTTP API. Closed by default: no
// Access-Control-* header is ever sent, so browsers keep other sites' pages
// from reading any answer, and a preflight (OPTIONS) is refused with 403.
// Each --cors-origin opens the API to that exact origin ("https://app.example"):
// its preflights are answered and its requests' answers carry
// Access-Control-Allow-Origin for it alone (never "*", never credentials).
// Immutable after construction.

#include <string>
#include <vector>

#include "net/http_server.h"

namespace ss::gateway {

class CorsPolicy {
 public:
  explicit CorsPolicy(std::vector<std::string> origins) : origins_(std::move(origins)) {}

  bool Allows(const std::string& origin) const;
  // The answer to an OPTIONS request: 204 with the allowed methods and
  // headers for an allowed origin, else 403 in OpenAI's error JSON.
  net::HttpResponse Preflight(const net::HttpRequest& request) const;
  // Adds the CORS headers to `response` when the request's Origin is allowed.
  void Decorate(const net::HttpRequest& request, net::HttpResponse& response) const;

 private:
  std::vector<std::string> origins_;
};

}  // namespace ss::gateway
