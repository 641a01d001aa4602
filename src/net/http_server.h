#pragma once
// The HTTP/1.1 server of the gateway and the bootstrap's health endpoint
// (Boost.Beast, kept inside http_server.cpp: each Beast unit costs ~30 s to
// compile). Keep-alive connections, request bodies, and streamed responses
// (chunked transfer encoding, for server-sent events); plain HTTP, or HTTPS
// when given a certificate and key.
//
// Threads: one I/O thread reads requests and writes responses for every
// connection; each complete request is answered by the Handler on a thread of
// its own (a generation holds it for seconds), at most max_in_flight at once:
// beyond that a request is answered 503 without calling the handler.
//
// Refused before the handler sees them, with a JSON error body naming the
// limit: a header block over max_header_bytes (431), a body over
// max_body_bytes (413), malformed HTTP (400, then close). A client that sends
// nothing for read_timeout is disconnected; one that takes longer than that
// to send one request's headers and body (slowloris) is answered 408 and
// disconnected (with HTTPS, or when the TLS handshake is what takes too long,
// just disconnected); so is one that does not read what we write for
// write_timeout.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace ss::net {

struct HttpRequest {
  std::string method;                                        // "GET"
  std::string target;                                        // "/v1/models?x=1", as sent
  std::string path;                                          // "/v1/models": the target without its query
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case, in order
  std::string body;
  std::string remote;  // "127.0.0.1:5555"

  // The first header of that (lower-case) name, or "" when absent.
  std::string Header(std::string_view name) const;
  // Content-Type without its parameters, lower-case: "application/json".
  std::string MediaType() const;
};

// Writes the body of a streamed response, piece by piece.
class HttpStreamWriter {
 public:
  virtual ~HttpStreamWriter() = default;
  // Sends one piece (a chunk) and waits until it is written. False once the
  // client is gone (disconnected, or not reading within write_timeout): stop
  // producing then.
  virtual bool Write(std::string_view data) = 0;
  // True once the client has disconnected, even if nothing was written since.
  virtual bool ClientGone() const = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // When set, the status and headers go out at once with chunked transfer
  // encoding and this function produces the body on the handler's thread;
  // `body` is ignored. The response ends when it returns.
  std::function<void(HttpStreamWriter&)> stream;
};

struct HttpServerOptions {
  std::string bind_address = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port, see HttpServer::port()
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 8 * 1024 * 1024;
  size_t max_in_flight = 256;                       // requests being handled at once
  size_t max_connections = 1024;                    // beyond: the one waiting longest for a request gives way
  std::chrono::milliseconds read_timeout{30'000};   // idle keep-alive, or one request's arrival
  std::chrono::milliseconds write_timeout{30'000};  // one piece of a response
  // Both set: HTTPS only (TLS 1.2 or newer), with this certificate chain and
  // private key (PEM files, loaded at Start: an error names the bad file).
  std::string tls_cert_file;
  std::string tls_key_file;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest& request)>;

  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options, Handler handler);
  // The health endpoints' form: method and target only.
  static Result<std::unique_ptr<HttpServer>> Start(
      const std::string& bind_address, uint16_t port,
      std::function<HttpResponse(const std::string& method, const std::string& target)> handler);
  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;
  // Stops accepting, closes every connection (streams see ClientGone), waits
  // for running handlers to return and joins the threads. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Loads the options' TLS certificate and key as Start would: ok, or what is
// wrong with which file (for a process to check before its slow start-up).
Status CheckTlsFiles(const HttpServerOptions& options);

// Parses one complete HTTP/1.1 request from `bytes` with the same parser and
// limits the server uses (for the fuzz target and tests): the request, or an
// error naming what is wrong (code kInvalidArgument; kBusy never).
Result<HttpRequest> ParseHttpRequest(std::string_view bytes, const HttpServerOptions& options);

}  // namespace ss::net
