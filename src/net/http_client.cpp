// The only translation unit of the client that includes Boost.Beast.
#include "net/http_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>

namespace ss::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string HttpClientResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return "";
}

Result<HttpClientResponse> HttpFetch(const HttpClientRequest& r) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  auto address = asio::ip::make_address(r.host, ec);
  if (ec) return Status::InvalidArgument("invalid host address '" + r.host + "'");
  const std::string where = r.host + ":" + std::to_string(r.port);
  stream.expires_after(r.timeout);

  http::request<http::string_body> req{http::string_to_verb(r.method), r.target, 11};
  req.set(http::field::host, where);
  req.set(http::field::user_agent, "shardswarm");
  for (const auto& [k, v] : r.headers) req.set(k, v);
  if (!r.body.empty() || r.method == "POST") {
    req.set(http::field::content_type, r.content_type);
    req.body() = r.body;
  }
  req.keep_alive(false);
  req.prepare_payload();

  HttpClientResponse out;
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(std::uint64_t{1} << 40);
  char piece[16384];
  bool hung_up = false;
  std::string failure;

  // connect → write → read header → read body pieces, each bounded by the expiry.
  std::function<void()> read_body = [&] {
    parser.get().body().data = piece;
    parser.get().body().size = sizeof piece;
    http::async_read_some(stream, buffer, parser, [&](beast::error_code e, size_t) {
      if (e == http::error::need_buffer) e = {};
      if (e) {
        failure = e.message();
        return;
      }
      size_t n = sizeof piece - parser.get().body().size;
      if (n > 0) {
        out.body.append(piece, n);
        if (r.on_body && !r.on_body(std::string_view(piece, n))) {
          hung_up = true;
          return;
        }
      }
      if (!parser.is_done()) read_body();
    });
  };
  stream.async_connect(tcp::endpoint(address, r.port), [&](beast::error_code e) {
    if (e) {
      failure = "cannot connect: " + e.message();
      return;
    }
    http::async_write(stream, req, [&](beast::error_code e2, size_t) {
      if (e2) {
        failure = "cannot send the request: " + e2.message();
        return;
      }
      http::async_read_header(stream, buffer, parser, [&](beast::error_code e3, size_t) {
        if (e3) {
          failure = "no response: " + e3.message();
          return;
        }
        out.status = static_cast<int>(parser.get().result_int());
        for (const auto& f : parser.get())
          out.headers.push_back({Lower(std::string(f.name_string())), std::string(f.value())});
        if (parser.is_done()) return;
        read_body();
      });
    });
  });
  ioc.run();
  stream.socket().close(ec);
  if (hung_up) return out;
  if (!failure.empty())
    return Status::Unavailable("HTTP " + r.method + " " + where + r.target + ": " + failure);
  return out;
}

}  // namespace ss::net
