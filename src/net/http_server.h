#pragma once
// A small HTTP/1.1 server (Boost.Beast) for health and status endpoints: one
// request per connection, answered by a handler on the server's own thread,
// with a read deadline so a slow or silent client cannot hold it. Beast stays
// inside http_server.cpp.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "util/status.h"

namespace ss::net {

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

class HttpServer {
 public:
  // method ("GET"), target ("/healthz") -> response.
  using Handler = std::function<HttpResponse(const std::string& method, const std::string& target)>;

  static Result<std::unique_ptr<HttpServer>> Start(const std::string& bind_address, uint16_t port,
                                                   Handler handler);
  ~HttpServer();  // stops and joins
  uint16_t port() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ss::net
