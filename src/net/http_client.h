#pragma once
// A small HTTP/1.1 client (Boost.Beast, inside http_client.cpp) for the
// processes and tools that talk to a gateway: `up` waiting for readiness,
// tests and benchmarks. One request per call on a fresh connection; the body
// is handed over piece by piece as it arrives (so a reader of server-sent
// events sees each event when it comes), and collected whole too.

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace ss::net {

struct HttpClientResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  std::string Header(std::string_view name) const;
};

struct HttpClientRequest {
  std::string method = "GET";
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string target = "/";
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{60'000};  // the whole exchange
  // Called with every piece of the body as it arrives; return false to hang up.
  std::function<bool(std::string_view)> on_body;
};

// Errors: connection refused, timeout, malformed response (kUnavailable).
Result<HttpClientResponse> HttpFetch(const HttpClientRequest& request);

}  // namespace ss::net
