#include "net/http_server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

namespace ss::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpServer::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  Handler handler;
  std::thread thread;
  std::atomic<bool> stop{false};

  void Accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (stop || ec == asio::error::operation_aborted) return;
      if (!ec) Serve(std::move(socket));
      Accept();  // a failed accept (e.g. out of descriptors) must not end the service
    });
  }

  // One request, one response, then close; the deadline bounds a slow client.
  void Serve(tcp::socket socket) {
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    auto buffer = std::make_shared<beast::flat_buffer>();
    auto req = std::make_shared<http::request<http::string_body>>();
    stream->expires_after(std::chrono::seconds(5));
    http::async_read(*stream, *buffer, *req, [this, stream, buffer, req](beast::error_code ec, size_t) {
      if (ec) return;
      HttpResponse r = handler(std::string(req->method_string()), std::string(req->target()));
      auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status),
                                                                     req->version());
      res->set(http::field::content_type, r.content_type);
      res->set(http::field::server, "shardswarm");
      res->keep_alive(false);
      res->body() = std::move(r.body);
      res->prepare_payload();
      http::async_write(*stream, *res, [stream, res](beast::error_code, size_t) {
        beast::error_code ignored;
        stream->socket().shutdown(tcp::socket::shutdown_send, ignored);
      });
    });
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& bind_address, uint16_t port,
                                                      Handler handler) {
  auto impl = std::make_unique<Impl>();
  impl->handler = std::move(handler);
  beast::error_code ec;
  auto address = asio::ip::make_address(bind_address, ec);
  if (ec) return Status::Error("invalid HTTP bind address '" + bind_address + "': " + ec.message());
  tcp::endpoint endpoint(address, port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return Status::Error("cannot listen for HTTP on " + bind_address + ":" + std::to_string(port) + ": " +
                         ec.message());
  impl->Accept();
  Impl* p = impl.get();
  impl->thread = std::thread([p] { p->io.run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::~HttpServer() {
  impl_->stop = true;
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

uint16_t HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

}  // namespace ss::net
