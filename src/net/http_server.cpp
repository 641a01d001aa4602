#include "net/http_server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <exception>
#include <future>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "util/thread_name.h"

namespace ss::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Parser = http::request_parser<http::string_body>;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

// What a streaming client may send (a pipelined next request) while we watch
// its socket for a disconnect; beyond this we stop reading and TCP holds the rest.
constexpr size_t kWatchBufferBytes = 64 * 1024;
// How long a connection refused for an error is drained before it is closed, so
// the client reads our answer instead of a reset.
constexpr std::chrono::milliseconds kLingerTime{1000};
// How long after a plain request's deadline the stream's own timeout closes
// it, should the 408 not go out (the timer's answer comes first).
constexpr std::chrono::milliseconds kTimeoutAnswerGrace{1000};

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string LowerCase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

void ConfigureParser(Parser& parser, const HttpServerOptions& options) {
  parser.header_limit(static_cast<std::uint32_t>(std::min<size_t>(options.max_header_bytes, UINT32_MAX)));
  parser.body_limit(options.max_body_bytes);
  parser.eager(true);
}

HttpRequest ToRequest(http::request<http::string_body>&& message, std::string remote) {
  HttpRequest r;
  r.method = std::string(message.method_string());
  r.target = std::string(message.target());
  r.path = r.target.substr(0, r.target.find('?'));
  for (const auto& field : message) {
    beast::string_view name = field.name_string(), value = field.value();
    r.headers.emplace_back(LowerCase({name.data(), name.size()}), std::string(value.data(), value.size()));
  }
  r.body = std::move(message.body());
  r.remote = std::move(remote);
  return r;
}

// An error answered before (or instead of) the handler, in OpenAI's error shape.
HttpResponse ErrorResponse(int status, const std::string& message, const std::string& code) {
  nlohmann::json j = {{"error",
                       {{"message", message},
                        {"type", status >= 500 ? "server_error" : "invalid_request_error"},
                        {"code", code}}}};
  HttpResponse r;
  r.status = status;
  r.body = j.dump() + "\n";
  return r;
}

// A request whose body has a transfer coding other than chunked: its length
// cannot be known, and read as no body the rest would pass for the next
// request. Answered 501 and closed (RFC 9112 §6.1).
std::optional<std::string> UnsupportedTransferCoding(const Parser& parser) {
  const beast::string_view te = parser.get()[http::field::transfer_encoding];
  if (te.empty() || beast::iequals(te, "chunked")) return std::nullopt;
  return "Transfer-Encoding '" + std::string(te) +
         "' is not supported; send the body as it is (Content-Length) or chunked";
}

// Beast's words for a malformed request, and the usual cause of its "bad
// version" and "bad line ending" when the bytes show it: lines ended by a bare
// LF (audit: "GET / HTTP/1.1\n" was answered only "bad version").
std::string MalformedMessage(beast::error_code ec, std::string_view seen) {
  std::string message = "malformed HTTP request: " + ec.message();
  for (size_t lf = seen.find('\n'); lf != std::string_view::npos; lf = seen.find('\n', lf + 1)) {
    if (lf == 0 || seen[lf - 1] != '\r')
      return message + " (lines must end with CRLF, \\r\\n; this request has a line ending in a bare LF)";
  }
  return message;
}

// The refusal for a failed read, or nullopt when the connection just ends
// (client closed, reset, timed out) and nothing can be answered. `seen`: the
// request's bytes not yet parsed.
std::optional<HttpResponse> ReadErrorResponse(beast::error_code ec, std::string_view seen,
                                              const HttpServerOptions& options) {
  if (ec == http::error::header_limit)
    return ErrorResponse(431,
                         "request header block over " + std::to_string(options.max_header_bytes) +
                             " bytes; send shorter headers",
                         "header_too_large");
  if (ec == http::error::body_limit)
    return ErrorResponse(
        413, "request body over " + std::to_string(options.max_body_bytes) + " bytes; send a smaller request",
        "body_too_large");
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) return std::nullopt;
  if (ec.category() == beast::http::make_error_code(http::error::bad_target).category())
    return ErrorResponse(400, MalformedMessage(ec, seen), "malformed_request");
  return std::nullopt;
}

// Why `ec` made ParseHttpRequest fail, as a user reads it.
std::string ParseErrorMessage(beast::error_code ec, std::string_view seen, const HttpServerOptions& options) {
  if (ec == http::error::header_limit)
    return "request header block over " + std::to_string(options.max_header_bytes) +
           " bytes (max_header_bytes)";
  if (ec == http::error::body_limit)
    return "request body over " + std::to_string(options.max_body_bytes) + " bytes (max_body_bytes)";
  return MalformedMessage(ec, seen);
}

// The server's TLS context from the options' PEM files (TLS 1.2 or newer).
Status LoadTls(asio::ssl::context& tls, const HttpServerOptions& options) {
  if (options.tls_cert_file.empty() || options.tls_key_file.empty())
    return Status::InvalidArgument("HTTPS needs both a certificate and its private key (PEM files)");
  beast::error_code ec;
  tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                  asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  tls.use_certificate_chain_file(options.tls_cert_file, ec);
  if (ec)
    return Status::InvalidArgument("cannot load the TLS certificate " + options.tls_cert_file + ": " +
                                   ec.message() + " (a PEM certificate chain is expected)");
  tls.use_private_key_file(options.tls_key_file, asio::ssl::context::pem, ec);
  if (ec)
    return Status::InvalidArgument("cannot load the TLS private key " + options.tls_key_file + ": " +
                                   ec.message() + " (a PEM private key is expected)");
  if (SSL_CTX_check_private_key(tls.native_handle()) != 1)
    return Status::InvalidArgument("the TLS private key " + options.tls_key_file +
                                   " does not belong to the certificate " + options.tls_cert_file);
  return Status::Ok();
}

}  // namespace

Status CheckTlsFiles(const HttpServerOptions& options) {
  asio::ssl::context tls(asio::ssl::context::tls_server);
  return LoadTls(tls, options);
}

std::string HttpRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < key.size() && same; ++i) same = Lower(name[i]) == key[i];
    if (same) return value;
  }
  return "";
}

std::string HttpRequest::MediaType() const {
  std::string type = LowerCase(Header("content-type"));
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  return type;
}

Result<HttpRequest> ParseHttpRequest(std::string_view bytes, const HttpServerOptions& options) {
  Parser parser;
  ConfigureParser(parser, options);
  // Bytes after the first complete request are left unread, as the server leaves
  // them for the connection's next request.
  while (!parser.is_done()) {
    beast::error_code ec;
    size_t used = parser.put(asio::buffer(bytes.data(), bytes.size()), ec);
    bytes.remove_prefix(used);
    if (ec == http::error::need_more) {
      if (used == 0 || bytes.empty())
        return Status::InvalidArgument("incomplete request: the bytes end inside the " +
                                       std::string(parser.is_header_done() ? "body" : "header block"));
      continue;
    }
    if (ec) return Status::InvalidArgument(ParseErrorMessage(ec, bytes, options));
    if (parser.is_header_done())
      if (auto refusal = UnsupportedTransferCoding(parser)) return Status::InvalidArgument(*refusal);
    if (used == 0 && !parser.is_done())
      return Status::InvalidArgument("incomplete request: the bytes end inside the body");
  }
  return ToRequest(parser.release(), "");
}

// What Stop sees of a connection, whichever its transport.
struct ConnectionBase {
  virtual ~ConnectionBase() = default;
  virtual void HardClose() = 0;  // on the I/O thread

  std::mutex mu;
  std::condition_variable cv;
  std::atomic<bool> gone{false};
  // Since when it waits for a request's bytes (steady-clock ticks), 0 while a
  // request is handled or answered: at the connection cap the longest waiting
  // gives way to a new client (I/O thread only).
  int64_t waiting_since = 0;

  void MarkGone() {
    std::lock_guard lock(mu);
    gone = true;
    cv.notify_all();
  }
};

struct HttpServer::Impl {
  HttpServerOptions options;
  Handler handler;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread io_thread;
  std::atomic<bool> stopping{false};
  std::atomic<size_t> in_flight{0};
  std::optional<asio::ssl::context> tls;  // set: every connection is HTTPS

  std::mutex conns_mu;  // connections are created on the I/O thread, marked gone by Stop
  std::vector<std::weak_ptr<ConnectionBase>> conns;

  std::mutex threads_mu;  // handler threads: started on the I/O thread, joined by Stop
  std::map<uint64_t, std::thread> threads;
  std::vector<uint64_t> finished;
  uint64_t next_thread = 0;

  void Accept();
  void OnAccept(tcp::socket socket);
  template <class Stream>
  void Open(tcp::socket socket, std::string remote);
  void Spawn(std::function<void()> fn);
  void StopAll();
};

// One client connection. Everything but the stream writer's waits runs on the
// I/O thread; handler threads post their writes here and wait on `cv`.
// Stream is PlainStream or TlsStream: TLS adds the handshake, and the watch
// for a disconnect then reads through TLS (records cannot be read raw).
template <class Stream>
struct Connection : ConnectionBase, std::enable_shared_from_this<Connection<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Connection(HttpServer::Impl* server, tcp::socket socket, std::string remote)
      : server(server),
        stream(MakeStream(server, std::move(socket))),
        remote(std::move(remote)),
        linger(stream.get_executor()),
        request_timer(stream.get_executor()) {}

  static Stream MakeStream(HttpServer::Impl* server, tcp::socket socket) {
    if constexpr (kTls)
      return Stream(std::move(socket), *server->tls);
    else
      return Stream(std::move(socket));
  }
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream); }

  HttpServer::Impl* server;
  Stream stream;
  std::string remote;
  beast::flat_buffer buffer;
  std::optional<Parser> parser;
  std::chrono::steady_clock::time_point deadline;  // of the request being read
  bool keep_alive = false;
  bool head = false;  // the request is a HEAD: its response has headers only
  bool closing = false;
  bool closed = false;

  // Streamed responses.
  std::optional<http::response<http::empty_body>> stream_header;
  std::optional<http::response_serializer<http::empty_body>> serializer;
  bool chunked = true;
  bool watching = false;       // a raw read is pending to notice a disconnect
  bool response_done = false;  // the stream ended; the watch hands over to the next read
  asio::steady_timer linger;
  asio::steady_timer request_timer;  // plain HTTP: the deadline's 408 (ArmRequestTimer)
  bool reading = false;              // a request is being read
  bool timed_out = false;            // ... and its deadline passed with some of it here

  // --- reading requests ---

  // The first thing on a new connection: TLS's handshake (within the read
  // timeout, so a silent client cannot hold it), then the first request.
  void Start() {
    waiting_since = std::chrono::steady_clock::now().time_since_epoch().count();
    if constexpr (kTls) {
      Lowest().expires_after(server->options.read_timeout);
      stream.async_handshake(asio::ssl::stream_base::server,
                             [self = this->shared_from_this()](beast::error_code ec) {
                               if (ec) return self->HardClose();
                               self->ReadRequest();
                             });
    } else {
      ReadRequest();
    }
  }

  void ReadRequest() {
    if (server->stopping) return HardClose();
    parser.emplace();
    ConfigureParser(*parser, server->options);
    head = false;
    waiting_since = std::chrono::steady_clock::now().time_since_epoch().count();
    deadline = std::chrono::steady_clock::now() + server->options.read_timeout;
    Lowest().expires_at(StreamDeadline());
    reading = true;
    ArmRequestTimer();
    http::async_read_header(
        stream, buffer, *parser,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    if (auto refusal = UnsupportedTransferCoding(*parser)) {
      keep_alive = false;
      return WriteWhole(ErrorResponse(501, *refusal, "unsupported_transfer_encoding"), 11);
    }
    if (!parser->is_done() && beast::iequals(parser->get()[http::field::expect], "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      Lowest().expires_after(server->options.write_timeout);
      asio::async_write(stream, asio::buffer(kContinue),
                        [self = this->shared_from_this()](beast::error_code ec, size_t) {
                          if (ec) return self->HardClose();
                          self->ReadBody();
                        });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    Lowest().expires_at(StreamDeadline());
    http::async_read(stream, buffer, *parser,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->OnReadError(ec);
                       self->Dispatch();
                     });
  }

  // Plain HTTP: at the deadline a request begun but not finished is answered
  // 408 before the close (RFC 9110 15.5.9; audit: it was closed without a
  // word), an idle keep-alive connection just closed. The stream's own timeout
  // stays as the backstop, a little later. With TLS that timeout alone acts: a
  // read cancelled inside TLS leaves no stream to answer on.
  void ArmRequestTimer() {
    if constexpr (!kTls) {
      request_timer.expires_at(deadline);
      request_timer.async_wait([self = this->shared_from_this()](beast::error_code ec) {
        if (ec || !self->reading || self->closed) return;
        if (self->buffer.size() == 0 && !self->parser->got_some()) return self->HardClose();
        self->timed_out = true;
        beast::error_code ignored;
        self->Lowest().socket().cancel(ignored);  // the read ends, OnReadError answers
      });
    }
  }
  std::chrono::steady_clock::time_point StreamDeadline() const {
    return kTls ? deadline : deadline + kTimeoutAnswerGrace;
  }

  void OnReadError(beast::error_code ec) {
    reading = false;
    request_timer.cancel();
    if (timed_out) {
      keep_alive = false;
      return WriteWhole(ErrorResponse(408,
                                      "the request did not arrive whole within " +
                                          std::to_string(server->options.read_timeout.count()) +
                                          " ms (read_timeout); the connection is closed",
                                      "request_timeout"),
                        11);
    }
    const auto unparsed = buffer.data();
    std::optional<HttpResponse> refusal = ReadErrorResponse(
        ec, std::string_view(static_cast<const char*>(unparsed.data()), unparsed.size()), server->options);
    if (!refusal) return HardClose();
    keep_alive = false;
    WriteWhole(std::move(*refusal), 11);
  }

  void Dispatch() {
    reading = false;
    request_timer.cancel();
    if (server->stopping) return HardClose();
    http::request<http::string_body> message = parser->release();
    waiting_since = 0;
    keep_alive = message.keep_alive();
    head = message.method() == http::verb::head;
    unsigned version = message.version();
    if (server->in_flight >= server->options.max_in_flight) {
      return WriteWhole(ErrorResponse(503,
                                      "server busy: " + std::to_string(server->options.max_in_flight) +
                                          " requests in flight; retry later",
                                      "server_busy"),
                        version);
    }
    ++server->in_flight;
    auto request = std::make_shared<HttpRequest>(ToRequest(std::move(message), remote));
    server->Spawn(
        [self = this->shared_from_this(), request, version] { self->RunHandler(*request, version); });
  }

  // --- the handler's thread ---

  void RunHandler(const HttpRequest& request, unsigned version) {
    HttpResponse response;
    try {
      response = server->handler(request);
    } catch (const std::exception& e) {  // a handler bug must not take the server down
      response = ErrorResponse(500, std::string("internal error: ") + e.what(), "internal_error");
    }
    if (head) response.stream = nullptr;  // headers only, not an endless event stream
    if (!response.stream) {
      asio::post(stream.get_executor(), [self = this->shared_from_this(), r = std::move(response),
                                         version]() mutable { self->WriteWhole(std::move(r), version); });
    } else {
      RunStream(response, version);
    }
    --server->in_flight;
  }

  void RunStream(HttpResponse& response, unsigned version);

  // Runs `op` on the I/O thread and waits for it to report; false when it
  // failed or the client went away meanwhile.
  bool PostAndWait(std::function<void(std::function<void(bool)>)> op) {
    struct Wait {
      bool done = false;
      bool ok = false;
    };
    auto wait = std::make_shared<Wait>();
    auto self = this->shared_from_this();
    asio::post(stream.get_executor(), [self, wait, op = std::move(op)] {
      op([self, wait](bool ok) {
        std::lock_guard lock(self->mu);
        wait->done = true;
        wait->ok = ok;
        self->cv.notify_all();
      });
    });
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return wait->done || gone; });
    return wait->done && wait->ok && !gone;
  }

  // --- writing responses (I/O thread) ---

  void WriteWhole(HttpResponse r, unsigned version) {
    if (closed) return;
    auto res =
        std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), version);
    res->set(http::field::server, "shardswarm");
    res->set(http::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) res->insert(name, value);
    res->keep_alive(keep_alive);
    res->body() = std::move(r.body);
    res->prepare_payload();
    if (head) res->body().clear();  // the length stays that of the GET's body
    Lowest().expires_after(server->options.write_timeout);
    http::async_write(stream, *res, [self = this->shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec) return self->HardClose();
      self->AfterResponse();
    });
  }

  void WriteStreamHeader(const HttpResponse& r, unsigned version, std::function<void(bool)> done) {
    if (closed || gone) return done(false);
    chunked = version >= 11;  // HTTP/1.0 has no chunks: the body ends with the connection
    if (!chunked) keep_alive = false;
    stream_header.emplace(static_cast<http::status>(r.status), version);
    stream_header->set(http::field::server, "shardswarm");
    stream_header->set(http::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) stream_header->insert(name, value);
    stream_header->keep_alive(keep_alive);
    if (chunked) stream_header->chunked(true);
    serializer.emplace(*stream_header);
    response_done = false;
    Lowest().expires_after(server->options.write_timeout);
    http::async_write_header(
        stream, *serializer,
        [self = this->shared_from_this(), done = std::move(done)](beast::error_code ec, size_t) {
          if (ec) {
            self->HardClose();
            return done(false);
          }
          self->Watch();
          done(true);
        });
  }

  void WriteChunk(std::shared_ptr<std::string> data, std::function<void(bool)> done) {
    if (closed || gone) return done(false);
    auto on_written = [self = this->shared_from_this(), data, done = std::move(done)](beast::error_code ec,
                                                                                      size_t) {
      if (ec) self->HardClose();  // not reading within write_timeout, or reset
      done(!ec);
    };
    Lowest().expires_after(server->options.write_timeout);
    if (chunked)
      asio::async_write(stream, http::make_chunk(asio::buffer(*data)), std::move(on_written));
    else
      asio::async_write(stream, asio::buffer(*data), std::move(on_written));
  }

  // The serializer stays until the next stream: a write abandoned by a gone
  // client may still be using it.
  void FinishStream() {
    if (closed) return;
    if (gone || !chunked) {
      keep_alive = false;
      return AfterResponse();
    }
    Lowest().expires_after(server->options.write_timeout);
    asio::async_write(stream, http::make_chunk_last(),
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->HardClose();
                        self->AfterResponse();
                      });
  }

  // The response is out: next request, or an orderly close.
  void AfterResponse() {
    if (!keep_alive || server->stopping) return Linger();
    if (watching) {  // the watch's completion starts the next read
      response_done = true;
      beast::error_code ignored;
      Lowest().socket().cancel(ignored);
      return;
    }
    ReadRequest();
  }

  // A raw read beside the stream's writes (not through tcp_stream, whose
  // timers serve the writes): a pipelined request is kept in `buffer` for
  // later, end of file or an error means the client is gone.
  void Watch() {
    if (watching || closed || (!closing && buffer.size() >= kWatchBufferBytes)) return;
    watching = true;
    auto on_read = [self = this->shared_from_this()](beast::error_code ec, size_t n) {
      self->OnWatch(ec, n);
    };
    if constexpr (kTls) {
      Lowest().expires_never();  // leaves a pending write's timer alone
      stream.async_read_some(buffer.prepare(4096), std::move(on_read));
    } else {
      Lowest().socket().async_read_some(buffer.prepare(4096), std::move(on_read));
    }
  }

  void OnWatch(beast::error_code ec, size_t n) {
    watching = false;
    buffer.commit(n);
    if (closing) {
      buffer.consume(buffer.size());
      return ec ? HardClose() : Watch();
    }
    if (ec && ec != asio::error::operation_aborted) MarkGone();
    if (ec && ec == asio::error::operation_aborted && !response_done) MarkGone();  // closed under us
    if (response_done) {
      response_done = false;
      return gone ? HardClose() : ReadRequest();
    }
    if (!ec) Watch();
  }

  // Stops writing and drains what the client still sends for a moment, so
  // it reads our last response (an error, often) rather than a reset.
  void Linger() {
    if (closed) return;
    closing = true;
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    linger.expires_after(std::min<std::chrono::milliseconds>(kLingerTime, server->options.read_timeout));
    linger.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec) self->HardClose();
    });
    if (!watching) Watch();
  }

  void HardClose() override {
    if (!closed) {
      closed = true;
      beast::error_code ignored;
      linger.cancel();
      request_timer.cancel();
      Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      Lowest().close();
    }
    MarkGone();
  }
};

template <class Stream>
class StreamWriter : public HttpStreamWriter {
 public:
  explicit StreamWriter(std::shared_ptr<Connection<Stream>> c) : c_(std::move(c)) {}
  bool Write(std::string_view data) override {
    if (failed_ || c_->gone) return false;
    if (data.empty()) return true;  // an empty chunk would end the response
    auto copy = std::make_shared<std::string>(data);
    failed_ = !c_->PostAndWait(
        [c = c_, copy](std::function<void(bool)> done) { c->WriteChunk(copy, std::move(done)); });
    return !failed_;
  }
  bool ClientGone() const override { return c_->gone; }

 private:
  std::shared_ptr<Connection<Stream>> c_;
  bool failed_ = false;
};

template <class Stream>
void Connection<Stream>::RunStream(HttpResponse& response, unsigned version) {
  auto self = this->shared_from_this();
  // The header's fields, copied: the wait ends early when the client goes,
  // and the write may run after this thread has moved on.
  auto head = std::make_shared<HttpResponse>();
  head->status = response.status;
  head->content_type = response.content_type;
  head->headers = response.headers;
  bool started = PostAndWait([self, head, version](std::function<void(bool)> done) {
    self->WriteStreamHeader(*head, version, std::move(done));
  });
  if (started) {
    StreamWriter<Stream> writer(self);
    try {
      response.stream(writer);
    } catch (const std::exception&) {  // a half-sent stream cannot turn into an error response
      MarkGone();
    }
  }
  asio::post(stream.get_executor(), [self] { self->FinishStream(); });
}

void HttpServer::Impl::Accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (stopping || ec == asio::error::operation_aborted) return;
    if (!ec) OnAccept(std::move(socket));
    Accept();  // a failed accept (e.g. out of descriptors) must not end the service
  });
}

void HttpServer::Impl::OnAccept(tcp::socket socket) {
  beast::error_code ec;
  tcp::endpoint peer = socket.remote_endpoint(ec);
  if (ec) return;
  std::string remote = peer.address().to_string() + ":" + std::to_string(peer.port());
  socket.set_option(tcp::no_delay(true), ec);  // stream pieces go out as written
  if (tls)
    Open<TlsStream>(std::move(socket), std::move(remote));
  else
    Open<PlainStream>(std::move(socket), std::move(remote));
}

template <class Stream>
void HttpServer::Impl::Open(tcp::socket socket, std::string remote) {
  std::shared_ptr<Connection<Stream>> conn;
  {
    std::lock_guard lock(conns_mu);
    std::erase_if(conns, [](const std::weak_ptr<ConnectionBase>& c) { return c.expired(); });
    // At the cap, the connection waiting longest for a request's bytes (an idle
    // keep-alive, or a client sending its headers a byte at a time) gives way,
    // so holding many connections open cannot lock other clients out; with
    // every connection busy answering, the new one is refused.
    if (conns.size() >= options.max_connections) {
      std::shared_ptr<ConnectionBase> oldest;
      for (auto& weak : conns)
        if (auto c = weak.lock();
            c && c->waiting_since != 0 && (!oldest || c->waiting_since < oldest->waiting_since))
          oldest = std::move(c);
      if (!oldest) return;  // `socket` closes here
      oldest->waiting_since = 0;
      oldest->HardClose();
    }
    conn = std::make_shared<Connection<Stream>>(this, std::move(socket), std::move(remote));
    conns.push_back(conn);
  }
  conn->Start();
}

void HttpServer::Impl::Spawn(std::function<void()> fn) {
  std::lock_guard lock(threads_mu);
  for (uint64_t id : finished) {
    auto it = threads.find(id);
    if (it == threads.end()) continue;
    it->second.join();  // it has returned: this only reaps it
    threads.erase(it);
  }
  finished.clear();
  uint64_t id = next_thread++;
  threads[id] = std::thread([this, id, fn = std::move(fn)] {
    NameThisThread("http-request");
    fn();
    std::lock_guard lock(threads_mu);
    finished.push_back(id);
  });
}

void HttpServer::Impl::StopAll() {
  beast::error_code ignored;
  acceptor.close(ignored);
  std::vector<std::shared_ptr<ConnectionBase>> live;
  {
    std::lock_guard lock(conns_mu);
    for (auto& weak : conns)
      if (auto c = weak.lock()) live.push_back(std::move(c));
  }
  for (auto& c : live) c->HardClose();
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options, Handler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  beast::error_code ec;
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    impl->tls.emplace(asio::ssl::context::tls_server);
    SS_RETURN_IF_ERROR(LoadTls(*impl->tls, options));
  }
  auto address = asio::ip::make_address(options.bind_address, ec);
  if (ec)
    return Status::InvalidArgument("invalid HTTP bind address '" + options.bind_address +
                                   "': " + ec.message());
  tcp::endpoint endpoint(address, options.port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return Status::Error("cannot listen for HTTP on " + options.bind_address + ":" +
                         std::to_string(options.port) + ": " + ec.message());
  impl->Accept();
  Impl* p = impl.get();
  impl->io_thread = std::thread([p] {
    NameThisThread("http-io");
    p->io.run();
  });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& bind_address, uint16_t port,
    std::function<HttpResponse(const std::string& method, const std::string& target)> handler) {
  HttpServerOptions options;
  options.bind_address = bind_address;
  options.port = port;
  return Start(options,
               [handler = std::move(handler)](const HttpRequest& r) { return handler(r.method, r.target); });
}

HttpServer::~HttpServer() { Stop(); }

uint16_t HttpServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void HttpServer::Stop() {
  Impl& s = *impl_;
  if (s.stopping.exchange(true)) return;
  {  // wake every writer at once; the sockets close on the I/O thread
    std::lock_guard lock(s.conns_mu);
    for (auto& weak : s.conns)
      if (auto c = weak.lock()) c->MarkGone();
  }
  std::promise<void> closed;
  asio::post(s.io, [&] {
    s.StopAll();
    closed.set_value();
  });
  closed.get_future().wait();
  std::map<uint64_t, std::thread> threads;
  {
    std::lock_guard lock(s.threads_mu);
    threads.swap(s.threads);
  }
  for (auto& [id, t] : threads) t.join();
  s.io.stop();
  if (s.io_thread.joinable()) s.io_thread.join();
}

}  // namespace ss::net
