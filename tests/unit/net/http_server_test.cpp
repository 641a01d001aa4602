// The HTTP server over real sockets on 127.0.0.1: requests reaching the
// handler, keep-alive and pipelining, streamed (chunked) responses, limits,
// timeouts, the in-flight cap and Stop. The client side is plain POSIX
// sockets, so the bytes on the wire are what is checked.
#include "net/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ss::net {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A client connection with a receive timeout, so a broken server fails the
// test instead of hanging it.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{3, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() { Close(); }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  bool connected() const { return connected_; }

  void Send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<size_t>(n);
    }
  }

  // Reads more bytes into the buffer; false on end of file, error or timeout.
  bool Fill() {
    char chunk[4096];
    ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  // True when the server closes the connection (rather than timing out).
  bool ClosedByServer() {
    buffer_.clear();
    while (true) {
      char chunk[4096];
      ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

  struct Response {
    int status = 0;
    std::map<std::string, std::string> headers;  // names lower-case
    std::string body;                            // decoded
    std::vector<std::string> chunks;             // for chunked responses
  };

  // One response (Content-Length or chunked), or nullopt if it did not arrive;
  // `head`: the answer to a HEAD, headers only whatever its Content-Length.
  std::optional<Response> Read(bool head_only = false) {
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
      if (!Fill()) return std::nullopt;
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    Response r;
    r.status = std::stoi(head.substr(9, 3));
    size_t pos = head.find("\r\n");
    while (pos != std::string::npos) {
      size_t next = head.find("\r\n", pos + 2);
      std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t value = line.find_first_not_of(' ', colon + 1);
      r.headers[name] = value == std::string::npos ? "" : line.substr(value);
      pos = next;
    }
    if (r.headers["transfer-encoding"] == "chunked") {
      while (true) {
        size_t eol;
        while ((eol = buffer_.find("\r\n")) == std::string::npos)
          if (!Fill()) return std::nullopt;
        size_t size = std::stoul(buffer_.substr(0, eol), nullptr, 16);
        while (buffer_.size() < eol + 2 + size + 2)
          if (!Fill()) return std::nullopt;
        std::string data = buffer_.substr(eol + 2, size);
        buffer_.erase(0, eol + 2 + size + 2);
        if (size == 0) return r;
        r.chunks.push_back(data);
        r.body += data;
      }
    }
    size_t length =
        !head_only && r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    while (buffer_.size() < length)
      if (!Fill()) return std::nullopt;
    r.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return r;
  }

  // Reads the response header and the first chunk of a stream.
  bool ReadStreamStart() {
    while (buffer_.find("\r\n\r\n") == std::string::npos ||
           buffer_.find("\r\n", buffer_.find("\r\n\r\n") + 4) == std::string::npos)
      if (!Fill()) return false;
    return true;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

std::string Get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n";
}

std::string Post(const std::string& target, const std::string& body) {
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// The handler answers with the path and body it saw, and records requests.
struct Recorder {
  std::mutex mu;
  std::vector<HttpRequest> requests;
  HttpServer::Handler Fn() {
    return [this](const HttpRequest& r) {
      {
        std::lock_guard lock(mu);
        requests.push_back(r);
      }
      HttpResponse res;
      res.body = r.method + " " + r.path + " " + r.body;
      res.headers.emplace_back("X-Seen", r.Header("x-test"));
      return res;
    };
  }
  size_t count() {
    std::lock_guard lock(mu);
    return requests.size();
  }
};

std::unique_ptr<HttpServer> StartServer(HttpServer::Handler handler, HttpServerOptions options = {}) {
  auto server = HttpServer::Start(options, std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status().message();
  return std::move(server).value();
}

void ExpectJsonError(const Client::Response& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status);
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"]["code"], code);
  EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
  EXPECT_TRUE(j["error"]["type"].is_string());
}

TEST(HttpServerTest, GetAndPostReachTheHandler) {
  Recorder rec;
  auto server = StartServer(rec.Fn());
  Client c(server->port());
  ASSERT_TRUE(c.connected());
  c.Send(Get("/v1/models?x=1", "X-Test: abc\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "GET /v1/models ");
  EXPECT_EQ(r->headers["content-type"], "application/json");
  EXPECT_EQ(r->headers["server"], "shardswarm");
  EXPECT_EQ(r->headers["x-seen"], "abc");
  EXPECT_EQ(r->headers["content-length"], "15");

  c.Send(Post("/v1/chat/completions", R"({"model":"m"})"));
  r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, R"(POST /v1/chat/completions {"model":"m"})");

  ASSERT_EQ(rec.count(), 2u);
  const HttpRequest& get = rec.requests[0];
  EXPECT_EQ(get.method, "GET");
  EXPECT_EQ(get.target, "/v1/models?x=1");
  EXPECT_EQ(get.path, "/v1/models");
  EXPECT_EQ(get.Header("x-test"), "abc");
  EXPECT_EQ(get.Header("host"), "x");
  EXPECT_EQ(get.Header("absent"), "");
  EXPECT_EQ(get.remote.rfind("127.0.0.1:", 0), 0u) << get.remote;
  const HttpRequest& post = rec.requests[1];
  EXPECT_EQ(post.method, "POST");
  EXPECT_EQ(post.body, R"({"model":"m"})");
  EXPECT_EQ(post.Header("content-type"), "application/json");
  ASSERT_EQ(post.headers.size(), 3u);
  EXPECT_EQ(post.headers[0].first, "host");
  EXPECT_EQ(post.headers[1].first, "content-type");
  EXPECT_EQ(post.headers[2].first, "content-length");
}

TEST(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  auto server = StartServer([](const HttpRequest& r) {
    if (r.path == "/slow") std::this_thread::sleep_for(200ms);
    HttpResponse res;
    res.body = r.path;
    return res;
  });
  Client c(server->port());
  c.Send(Get("/slow") + Post("/fast", "x") + Get("/third"));
  for (const char* path : {"/slow", "/fast", "/third"}) {
    auto r = c.Read();
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->body, path);
  }
}

TEST(HttpServerTest, ConnectionCloseAndHttp10Close) {
  Recorder rec;
  auto server = StartServer(rec.Fn());
  Client c(server->port());
  c.Send(Get("/a", "Connection: close\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers["connection"], "close");
  EXPECT_TRUE(c.ClosedByServer());

  Client old(server->port());
  old.Send("GET /b HTTP/1.0\r\n\r\n");
  r = old.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "GET /b ");
  EXPECT_TRUE(old.ClosedByServer());
}

TEST(HttpServerTest, ExpectContinueIsAnswered) {
  Recorder rec;
  auto server = StartServer(rec.Fn());
  Client c(server->port());
  c.Send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 100);
  c.Send("abc");
  // The 100 carries no Content-Length: the real answer follows.
  r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "POST /p abc");
}

HttpResponse Streamed(std::vector<std::string> pieces) {
  HttpResponse res;
  res.content_type = "text/event-stream";
  res.headers.emplace_back("Cache-Control", "no-cache");
  res.stream = [pieces](HttpStreamWriter& w) {
    for (const std::string& p : pieces)
      if (!w.Write(p)) return;
  };
  return res;
}

TEST(HttpServerTest, StreamedResponseArrivesAsChunksAndKeepsTheConnection) {
  const std::vector<std::string> pieces = {"data: {\"a\":1}\n\n", "data: {\"b\":2}\n\n",
                                           std::string(20000, 'z'), "data: [DONE]\n\n"};
  auto server = StartServer([&](const HttpRequest& r) {
    if (r.path == "/plain") return HttpResponse{200, "text/plain", "after", {}, {}};
    return Streamed(pieces);
  });
  Client c(server->port());
  c.Send(Post("/v1/chat/completions", "{}"));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers["transfer-encoding"], "chunked");
  EXPECT_EQ(r->headers["content-type"], "text/event-stream");
  EXPECT_EQ(r->headers["cache-control"], "no-cache");
  EXPECT_EQ(r->headers["server"], "shardswarm");
  EXPECT_EQ(r->chunks, pieces);
  c.Send(Get("/plain"));
  r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "after");
  // And a second stream on the same connection.
  c.Send(Get("/again"));
  r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->chunks, pieces);
}

TEST(HttpServerTest, ClientGoneMidStream) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false, gone = false, write_after = true;
  Clock::duration noticed{};
  auto server = StartServer([&](const HttpRequest&) {
    HttpResponse res;
    res.stream = [&](HttpStreamWriter& w) {
      w.Write("first");
      Clock::time_point start = Clock::now();
      while (!w.ClientGone() && Clock::now() - start < 3s) std::this_thread::sleep_for(5ms);
      std::lock_guard lock(mu);
      noticed = Clock::now() - start;
      gone = w.ClientGone();
      write_after = w.Write("more");
      done = true;
      cv.notify_all();
    };
    return res;
  });
  Client c(server->port());
  c.Send(Get("/stream"));
  ASSERT_TRUE(c.ReadStreamStart());
  c.Close();
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, 5s, [&] { return done; }));
  EXPECT_TRUE(gone);
  EXPECT_FALSE(write_after);
  EXPECT_LT(noticed, 1s);
}

TEST(HttpServerTest, LimitsAndMalformedRequests) {
  Recorder rec;
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  options.max_header_bytes = 1024;
  auto server = StartServer(rec.Fn(), options);

  Client big_body(server->port());
  big_body.Send(Post("/p", std::string(5000, 'x')));
  auto r = big_body.Read();
  ASSERT_TRUE(r);
  ExpectJsonError(*r, 413, "body_too_large");
  EXPECT_TRUE(big_body.ClosedByServer());

  Client chunked(server->port());
  std::string chunk(600, 'y');
  chunked.Send("POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" + chunk +
               "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n");
  r = chunked.Read();
  ASSERT_TRUE(r);
  ExpectJsonError(*r, 413, "body_too_large");

  Client big_header(server->port());
  big_header.Send(Get("/h", "X-Big: " + std::string(4000, 'h') + "\r\n"));
  r = big_header.Read();
  ASSERT_TRUE(r);
  ExpectJsonError(*r, 431, "header_too_large");
  EXPECT_TRUE(big_header.ClosedByServer());

  Client garbage(server->port());
  garbage.Send("\x01\x02 not http at all\r\n\r\n");
  r = garbage.Read();
  ASSERT_TRUE(r);
  ExpectJsonError(*r, 400, "malformed_request");
  EXPECT_TRUE(garbage.ClosedByServer());

  // Lines ended by a bare LF: the refusal says so (audit: only "bad version").
  Client bare_lf(server->port());
  bare_lf.Send("GET /h HTTP/1.1\nHost: x\n\n");
  r = bare_lf.Read();
  ASSERT_TRUE(r);
  ExpectJsonError(*r, 400, "malformed_request");
  EXPECT_NE(r->body.find("bare LF"), std::string::npos) << r->body;

  // A body in a transfer coding the server cannot read (RFC 9112 §6.1): one
  // 501 and a close, not the body read as a request of its own.
  Client gzip(server->port());
  gzip.Send("POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n");
  r = gzip.Read();
  ASSERT_TRUE(r);
  ExpectJsonError(*r, 501, "unsupported_transfer_encoding");
  EXPECT_NE(r->body.find("Transfer-Encoding 'gzip' is not supported"), std::string::npos) << r->body;
  EXPECT_TRUE(gzip.ClosedByServer());

  EXPECT_EQ(rec.count(), 0u);
  // A body exactly at the limit is fine.
  Client ok(server->port());
  ok.Send(Post("/p", std::string(1024, 'x')));
  r = ok.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

// HEAD is answered as GET without the body (its Content-Length kept), and
// the connection goes on with the next request in step.
TEST(HttpServerTest, HeadGetsTheHeadersOnly) {
  Recorder rec;
  auto server = StartServer(rec.Fn());
  Client c(server->port());
  c.Send("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n" + Get("/h"));
  auto head = c.Read(/*head=*/true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->headers["content-length"], "8");  // "HEAD /h "
  EXPECT_EQ(head->body, "");
  auto get = c.Read();
  ASSERT_TRUE(get);
  EXPECT_EQ(get->body, "GET /h ");
}

TEST(HttpServerTest, SilentAndSlowClientsAreDisconnected) {
  Recorder rec;
  HttpServerOptions options;
  options.read_timeout = 300ms;
  auto server = StartServer(rec.Fn(), options);
  Client silent(server->port());
  Client slow(server->port());
  slow.Send("GET / HTTP/1.1\r\nHost: x\r\n");  // never finishes its headers
  Client slow_body(server->port());
  slow_body.Send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
  Client idle(server->port());  // one request, then idle on keep-alive
  idle.Send(Get("/"));
  ASSERT_TRUE(idle.Read());
  // A request begun and not finished is told why it is dropped (408); a
  // connection with nothing begun is just closed.
  for (Client* c : {&slow, &slow_body}) {
    auto r = c->Read();
    ASSERT_TRUE(r);
    ExpectJsonError(*r, 408, "request_timeout");
    EXPECT_NE(r->body.find("300 ms (read_timeout)"), std::string::npos) << r->body;
    EXPECT_EQ(r->headers["connection"], "close");
    EXPECT_TRUE(c->ClosedByServer());
  }
  EXPECT_FALSE(silent.Read());
  EXPECT_FALSE(idle.Read());
  EXPECT_TRUE(silent.ClosedByServer());
  EXPECT_TRUE(idle.ClosedByServer());
  EXPECT_EQ(rec.count(), 1u);
}

TEST(HttpServerTest, OverMaxInFlightIs503) {
  std::mutex mu;
  std::condition_variable cv;
  int entered = 0;
  bool release = false;
  HttpServerOptions options;
  options.max_in_flight = 2;
  auto server = StartServer(
      [&](const HttpRequest&) {
        std::unique_lock lock(mu);
        ++entered;
        cv.notify_all();
        cv.wait(lock, [&] { return release; });
        return HttpResponse{};
      },
      options);
  Client a(server->port()), b(server->port()), third(server->port());
  a.Send(Get("/"));
  b.Send(Get("/"));
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 3s, [&] { return entered == 2; }));
  }
  third.Send(Get("/"));
  auto r = third.Read();
  ASSERT_TRUE(r);
  ExpectJsonError(*r, 503, "server_busy");
  {
    std::lock_guard lock(mu);
    release = true;
    cv.notify_all();
  }
  ASSERT_TRUE(a.Read());
  ASSERT_TRUE(b.Read());
  // The freed slots serve again, on the connection that was refused too.
  third.Send(Get("/"));
  r = third.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  std::lock_guard lock(mu);
  EXPECT_EQ(entered, 3);
}

// At the connection cap the connection waiting longest for a request (idle,
// or trickling its headers) gives way to a new client, so holding connections
// open cannot lock others out; one whose request is being answered does not.
TEST(HttpServerTest, AtTheConnectionCapTheLongestWaitingGivesWay) {
  HttpServerOptions options;
  options.max_connections = 1;
  auto server = StartServer(
      [](const HttpRequest& r) {
        if (r.path == "/slow") std::this_thread::sleep_for(1s);
        HttpResponse res;
        res.body = r.path;
        return res;
      },
      options);
  Client idle(server->port());
  idle.Send(Get("/"));
  ASSERT_TRUE(idle.Read());  // registered, and now waiting for its next request
  Client slowloris(server->port());
  slowloris.Send("GET / HTTP/1.1\r\nHo");
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(idle.ClosedByServer());  // it waited longer than the trickler
  Client next(server->port());
  EXPECT_TRUE(slowloris.ClosedByServer());
  next.Send(Get("/slow"));
  std::this_thread::sleep_for(200ms);  // its request is being answered
  Client refused(server->port());
  EXPECT_TRUE(refused.ClosedByServer());
  auto r = next.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "/slow");
}

TEST(HttpServerTest, StopWhileStreamingReturnsPromptly) {
  std::atomic<bool> streaming{false}, write_failed{false}, saw_gone{false};
  auto server = StartServer([&](const HttpRequest&) {
    HttpResponse res;
    res.stream = [&](HttpStreamWriter& w) {
      streaming = true;
      while (w.Write("tick")) std::this_thread::sleep_for(10ms);
      write_failed = true;
      saw_gone = w.ClientGone();
    };
    return res;
  });
  Client c(server->port());
  c.Send(Get("/stream"));
  ASSERT_TRUE(c.ReadStreamStart());
  ASSERT_TRUE(streaming);
  Clock::time_point start = Clock::now();
  server->Stop();
  EXPECT_LT(Clock::now() - start, 2s);
  EXPECT_TRUE(write_failed);
  EXPECT_TRUE(saw_gone);
  EXPECT_TRUE(c.ClosedByServer());
  server->Stop();  // idempotent
}

TEST(HttpServerTest, MethodAndTargetForm) {
  auto server = HttpServer::Start("127.0.0.1", 0, [](const std::string& method, const std::string& target) {
    return HttpResponse{200, "application/json", method + " " + target, {}, {}};
  });
  ASSERT_TRUE(server.ok()) << server.status().message();
  Client c((*server)->port());
  c.Send(Get("/healthz?v=1"));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "GET /healthz?v=1");
  EXPECT_FALSE(HttpServer::Start("not-an-address", 0, nullptr).ok());
}

TEST(ParseHttpRequestTest, ParsesAndRefuses) {
  HttpServerOptions options;
  auto r = ParseHttpRequest(Post("/v1/x?q=2", "hello") + Get("/next"), options);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->method, "POST");
  EXPECT_EQ(r->target, "/v1/x?q=2");
  EXPECT_EQ(r->path, "/v1/x");
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(r->Header("content-length"), "5");

  auto chunked = ParseHttpRequest(
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", options);
  ASSERT_TRUE(chunked.ok()) << chunked.status().message();
  EXPECT_EQ(chunked->body, "abcde");

  for (std::string partial : {std::string("GET / HTTP/1.1\r\nHost: x\r\n"), Post("/", "hello").substr(0, 70),
                              Post("/", "hello").substr(0, Post("/", "hello").size() - 2), std::string("")}) {
    auto bad = ParseHttpRequest(partial, options);
    ASSERT_FALSE(bad.ok()) << partial;
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(bad.status().message().find("incomplete request"), std::string::npos) << bad.status().message();
  }

  auto gzip = ParseHttpRequest("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\nabc", options);
  ASSERT_FALSE(gzip.ok());
  EXPECT_NE(gzip.status().message().find("Transfer-Encoding 'gzip' is not supported"), std::string::npos)
      << gzip.status().message();

  auto garbage = ParseHttpRequest("\x01\x02\r\n\r\n", options);
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.status().message().find("malformed"), std::string::npos) << garbage.status().message();
  EXPECT_EQ(garbage.status().message().find("bare LF"), std::string::npos) << garbage.status().message();
  auto bare_lf = ParseHttpRequest("GET / HTTP/1.1\nHost: x\n\n", options);
  ASSERT_FALSE(bare_lf.ok());
  EXPECT_NE(bare_lf.status().message().find("bare LF"), std::string::npos) << bare_lf.status().message();

  options.max_header_bytes = 100;
  options.max_body_bytes = 3;
  auto header = ParseHttpRequest(Get("/", "X: " + std::string(200, 'a') + "\r\n"), options);
  ASSERT_FALSE(header.ok());
  EXPECT_NE(header.status().message().find("max_header_bytes"), std::string::npos)
      << header.status().message();
  auto body = ParseHttpRequest(Post("/", "hello"), options);
  ASSERT_FALSE(body.ok());
  EXPECT_NE(body.status().message().find("max_body_bytes"), std::string::npos) << body.status().message();
}

}  // namespace
}  // namespace ss::net
