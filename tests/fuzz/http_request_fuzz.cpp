// The HTTP request parser the gateway runs on untrusted bytes, with the
// server's default limits. Whatever it accepts must satisfy what the handler
// relies on: the path is the target without its query, header names are
// lower-case, and the body is within the limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "net/http_server.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const ss::net::HttpServerOptions options;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto request = ss::net::ParseHttpRequest(bytes, options);
  if (!request.ok()) {
    if (request.status().code() != ss::StatusCode::kInvalidArgument || request.status().message().empty())
      abort();
    return 0;
  }
  if (request->target.compare(0, request->path.size(), request->path) != 0) abort();
  if (request->path.find('?') != std::string::npos) abort();
  if (request->method.empty()) abort();
  for (size_t i = 0; i < request->headers.size(); ++i) {
    const std::string& name = request->headers[i].first;
    if (name.empty()) abort();
    for (char c : name)
      if (c >= 'A' && c <= 'Z') abort();
    size_t first = 0;  // Header() answers with the first of a name
    while (request->headers[first].first != name) ++first;
    if (request->Header(name) != request->headers[first].second) abort();
  }
  if (request->body.size() > options.max_body_bytes) abort();
  return 0;
}
