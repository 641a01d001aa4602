// The only translation unit of the client that includes Boost.Beast (DESIGN.md §11).
#include "net/rpc_client.h"

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "net/message.h"
#include "net/swarm_proof.h"
#include "net/tls_context.h"
#include "net/tls_identity.h"
#include "util/hex.h"
#include "util/json_parse.h"
#include "util/thread_name.h"

namespace ss::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using WsStream = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

// Completion of a write requested from a caller's thread; guarded by Impl::mu.
struct WriteDone {
  bool done = false;
  Status status;
};

}  // namespace

struct RpcClient::Impl {
  RpcClientOptions options;
  asio::ssl::context ssl_ctx{asio::ssl::context::tls_client};
  asio::io_context ioc{1};
  std::optional<WsStream> ws;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  std::string where;  // "host:port"

  // I/O thread only.
  beast::flat_buffer buffer;
  struct Outgoing {
    std::string payload;
    bool binary;
    std::shared_ptr<WriteDone> done;
  };
  std::deque<Outgoing> outbox;
  bool writing = false;
  bool close_requested = false;

  // Shared with callers, under mu.
  std::mutex mu;
  std::condition_variable cv;
  bool closed = false;     // no more messages will arrive
  bool shut_down = false;  // the I/O thread is gone: nothing pending will complete
  std::string close_error;
  std::shared_ptr<WriteDone> failed_write;  // waits for the close reason (see DoWrite)
  std::string failed_write_error;
  std::deque<IncomingMessage> inbox;
  std::map<std::string, std::optional<nlohmann::json>> waiters;  // id.dump() -> reply
  uint64_t next_id = 1;

  void MarkClosed(std::string why) {
    std::lock_guard lock(mu);
    if (closed) return;
    closed = true;
    close_error = std::move(why);
    cv.notify_all();
  }

  void DoRead() {
    ws->async_read(buffer, [this](beast::error_code ec, size_t) { OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec) {
      if (close_requested) {
        MarkClosed("connection closed by client");
      } else if (ec == websocket::error::closed) {
        const websocket::close_reason& r = ws->reason();
        std::string why = "connection closed by server (code " + std::to_string(r.code) + ")";
        if (!r.reason.empty()) why += ": " + std::string(r.reason.data(), r.reason.size());
        MarkClosed(why);
      } else {
        MarkClosed("connection to " + where + " lost: " + ec.message());
      }
      FailWrites();
      return;
    }
    IncomingMessage msg{!ws->got_text(), beast::buffers_to_string(buffer.data())};
    buffer.consume(buffer.size());
    {
      std::lock_guard lock(mu);
      bool claimed = false;
      if (!msg.binary) {
        nlohmann::json reply = ParseUntrustedJsonOrDiscarded(msg.data);
        if (reply.is_object() && reply.contains("id")) {
          auto it = waiters.find(reply["id"].dump());
          if (it != waiters.end() && !it->second) {
            it->second = std::move(reply);
            claimed = true;
          }
        }
      }
      if (!claimed) inbox.push_back(std::move(msg));
      cv.notify_all();
    }
    DoRead();
  }

  void DoWrite() {
    writing = true;
    ws->binary(outbox.front().binary);
    ws->async_write(asio::buffer(outbox.front().payload), [this](beast::error_code ec, size_t) {
      writing = false;
      auto done = outbox.front().done;
      outbox.pop_front();
      {
        std::lock_guard lock(mu);
        if (!ec || closed) {
          done->done = true;
          if (ec) done->status = Status::Error(close_error);
          cv.notify_all();
        } else {
          // A write cut short by the server closing the connection: the read
          // side is about to learn why (the close reason), so FailWrites
          // completes it then, with that reason.
          failed_write = done;
          failed_write_error = "sending to " + where + " failed: " + ec.message();
        }
      }
      if (ec) {
        beast::error_code ignored;
        beast::get_lowest_layer(*ws).socket().close(ignored);
        FailWrites();
        return;
      }
      if (!outbox.empty()) {
        DoWrite();
      } else if (close_requested) {
        StartClose();
      }
    });
  }

  void FailWrites() {
    std::lock_guard lock(mu);
    if (failed_write && closed) {
      failed_write->done = true;
      failed_write->status = Status::Error(close_error.empty() ? failed_write_error : close_error);
      failed_write.reset();
    }
    for (size_t i = writing ? 1 : 0; i < outbox.size(); ++i) {
      outbox[i].done->done = true;
      outbox[i].done->status = Status::Error(closed ? close_error : "connection closed");
    }
    outbox.erase(outbox.begin() + (writing ? 1 : 0), outbox.end());
    cv.notify_all();
  }

  void StartClose() {
    ws->async_close(websocket::close_code::normal, [this](beast::error_code ec) {
      if (ec) {
        beast::error_code ignored;
        beast::get_lowest_layer(*ws).socket().close(ignored);
      }
    });
  }

  // The handshakes, chained on the caller's thread before the I/O thread
  // starts: resolve, TCP connect, TLS (the server must hold the expected
  // key), WebSocket upgrade (with a swarm key, both sides prove they hold it).
  // `handshake` is set when the chain ends, well or not.
  std::optional<Status> handshake;
  std::string our_fingerprint;  // with a swarm key: our certificate's
  websocket::response_type upgrade;

  void HandshakeFailed(const std::string& what, beast::error_code ec) {
    handshake = Status::Error("connecting to " + where + ": " + what + ": " + ec.message());
  }

  void StartHandshakes(tcp::resolver& resolver) {
    beast::get_lowest_layer(*ws).expires_after(options.connect_timeout);
    resolver.async_resolve(options.host, std::to_string(options.port),
                           [this](beast::error_code ec, tcp::resolver::results_type r) {
                             if (ec) return HandshakeFailed("resolve", ec);
                             beast::get_lowest_layer(*ws).async_connect(
                                 r, [this](beast::error_code ec, const tcp::endpoint&) { OnTcpConnect(ec); });
                           });
  }

  void OnTcpConnect(beast::error_code ec) {
    // Refused: nothing listens there (a dead node), the caller need not retry.
    if (ec == asio::error::connection_refused) {
      handshake = Status::Unavailable("connecting to " + where + ": TCP connect: " + ec.message());
      return;
    }
    if (ec) return HandshakeFailed("TCP connect", ec);
    // Activations are small messages one after another: Nagle would hold
    // each behind the last one's delayed ACK.
    beast::error_code ignored;
    beast::get_lowest_layer(*ws).socket().set_option(tcp::no_delay(true), ignored);
    ws->next_layer().async_handshake(asio::ssl::stream_base::client,
                                     [this](beast::error_code ec) { OnTlsHandshake(ec); });
  }

  void OnTlsHandshake(beast::error_code ec) {
    if (ec) return HandshakeFailed("TLS handshake", ec);
    auto cert = PeerCertificateOf(ws->next_layer().native_handle());
    if (!cert.ok()) {
      handshake = cert.status().Context("connecting to " + where);
      return;
    }
    if (cert->public_key_id != options.expected_public_key_id) {
      handshake = Status::Error("connecting to " + where + ": server presented key " + cert->public_key_id +
                                ", expected " + options.expected_public_key_id);
      return;
    }
    beast::get_lowest_layer(*ws).expires_never();
    websocket::stream_base::timeout t;
    t.handshake_timeout = options.connect_timeout;
    t.idle_timeout = websocket::stream_base::none();  // Call has its own timeouts
    t.keep_alive_pings = false;
    ws->set_option(t);
    ws->read_message_max(options.max_message_bytes);
    ws->auto_fragment(false);
    if (!options.swarm_key.empty())
      ws->set_option(websocket::stream_base::decorator([this](websocket::request_type& req) {
        req.set(kSwarmProofHeader,
                ClientSwarmProof(options.swarm_key, our_fingerprint, options.expected_public_key_id));
      }));
    ws->async_handshake(upgrade, options.host, "/", [this](beast::error_code ec) { OnUpgrade(ec); });
  }

  void OnUpgrade(beast::error_code ec) {
    if (ec) return HandshakeFailed("WebSocket handshake", ec);
    if (!options.swarm_key.empty() &&
        !ConstantTimeEquals(
            std::string(upgrade[kSwarmProofHeader]),
            ServerSwarmProof(options.swarm_key, options.expected_public_key_id, our_fingerprint))) {
      handshake = Status::Refused("connecting to " + where + ": the peer does not hold this swarm's key " +
                                  "(--swarm-key; ours is " + options.swarm_key.Name() + ")");
      return;
    }
    handshake = Status::Ok();
  }

  void StartIoThread() {
    ioc.restart();
    work.emplace(ioc.get_executor());
    DoRead();
    thread = std::thread([this] {
      NameThisThread("rpc-client");
      for (;;) {
        try {
          ioc.run();
          return;
        } catch (const std::exception& e) {
          MarkClosed(std::string("internal error: ") + e.what());
        }
      }
    });
  }

  Status Send(std::string payload, bool binary) {
    auto done = std::make_shared<WriteDone>();
    {
      std::lock_guard lock(mu);
      if (closed) return Status::Error(close_error);
    }
    asio::post(ioc, [this, payload = std::move(payload), binary, done]() mutable {
      bool is_closed;
      {
        std::lock_guard lock(mu);
        is_closed = closed || close_requested;
        if (is_closed) {
          done->done = true;
          done->status = Status::Error(closed ? close_error : "connection closed by client");
          cv.notify_all();
        }
      }
      if (is_closed) return;
      outbox.push_back({std::move(payload), binary, done});
      if (!writing) DoWrite();
    });
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done->done || shut_down; });
    if (!done->done) return Status::Error("connection closed by client");
    return done->status;
  }
};

RpcClient::RpcClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RpcClient::~RpcClient() { Close(); }

Result<std::unique_ptr<RpcClient>> RpcClient::Connect(RpcClientOptions options) {
  if (options.expected_public_key_id.empty())
    return Status::Error("RPC client: expected_public_key_id is required (the server's peer id)");
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  Impl& c = *impl;
  const RpcClientOptions& o = c.options;
  c.where = o.host + ":" + std::to_string(o.port);
  SS_RETURN_IF_ERROR(ConfigureTlsContext(c.ssl_ctx.native_handle(), o.identity, TlsRole::kClient)
                         .Context("RPC client TLS setup"));
  c.ws.emplace(c.ioc, c.ssl_ctx);
  if (!o.swarm_key.empty()) {
    SS_ASSIGN_OR_RETURN(c.our_fingerprint, CertFingerprint(o.identity.cert_pem));
  }
  tcp::resolver resolver(c.ioc);
  c.StartHandshakes(resolver);
  try {
    c.ioc.run_for(o.connect_timeout + std::chrono::seconds(1));
  } catch (const std::exception& e) {
    c.handshake = Status::Error("connecting to " + c.where + ": " + e.what());
  }
  if (!c.handshake || !c.handshake->ok()) {
    beast::error_code ignored;
    beast::get_lowest_layer(*c.ws).socket().close(ignored);
    if (!c.handshake) return Status::Error("connecting to " + c.where + ": timed out");
    return *c.handshake;
  }
  c.StartIoThread();
  return std::unique_ptr<RpcClient>(new RpcClient(std::move(impl)));
}

Result<nlohmann::json> RpcClient::Call(nlohmann::json request, std::chrono::milliseconds timeout) {
  if (!request.is_object()) return Status::Error("a request must be a JSON object");
  Impl& c = *impl_;
  std::string key;
  {
    std::lock_guard lock(c.mu);
    if (!request.contains("id")) request["id"] = c.next_id++;
    const nlohmann::json& id = request["id"];
    if (!id.is_number_integer() &&
        !(id.is_string() && id.get_ref<const std::string&>().size() <= kMaxIdLength))
      return Status::Error("request id must be an integer or a string of at most 64 characters");
    key = id.dump();
    if (c.waiters.count(key)) return Status::Error("a request with id " + key + " is already waiting");
    c.waiters[key] = std::nullopt;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  Status sent = c.Send(SerializeMessage(request), /*binary=*/false);
  std::unique_lock lock(c.mu);
  if (sent.ok())
    c.cv.wait_until(lock, deadline, [&] { return c.waiters[key].has_value() || c.closed || c.shut_down; });
  std::optional<nlohmann::json> reply = std::move(c.waiters[key]);
  c.waiters.erase(key);
  if (reply) return std::move(*reply);
  if (!sent.ok()) return sent;
  if (c.closed) return Status::Error(c.close_error);
  std::string type = request.contains("type") && request["type"].is_string()
                         ? request["type"].get<std::string>()
                         : "request";
  return Status::Error("no reply from " + c.where + " to " + type + " (id " + key + ") within " +
                       std::to_string(timeout.count()) + " ms");
}

Status RpcClient::SendText(std::string text) { return impl_->Send(std::move(text), false); }

Status RpcClient::SendBinary(std::vector<uint8_t> data) {
  return impl_->Send(std::string(data.begin(), data.end()), true);
}

Result<IncomingMessage> RpcClient::ReadMessage(std::chrono::milliseconds timeout) {
  Impl& c = *impl_;
  std::unique_lock lock(c.mu);
  c.cv.wait_for(lock, timeout, [&] { return !c.inbox.empty() || c.closed || c.shut_down; });
  if (!c.inbox.empty()) {
    IncomingMessage m = std::move(c.inbox.front());
    c.inbox.pop_front();
    return m;
  }
  if (c.closed) return Status::Error(c.close_error);
  if (c.shut_down) return Status::Error("connection closed by client");
  return Status::Error("no message from " + c.where + " within " + std::to_string(timeout.count()) + " ms");
}

Result<std::string> RpcClient::ReadText(std::chrono::milliseconds timeout) {
  auto m = ReadMessage(timeout);
  if (!m.ok()) return m.status();
  if (m->binary)
    return Status::Error("expected a text message, got " + std::to_string(m->data.size()) + " binary bytes");
  return std::move(m->data);
}

bool RpcClient::connected() const {
  std::lock_guard lock(impl_->mu);
  return !impl_->closed && !impl_->shut_down;
}

void RpcClient::Close() {
  Impl& c = *impl_;
  if (!c.thread.joinable()) return;
  asio::post(c.ioc, [&c] {
    if (c.close_requested) return;
    c.close_requested = true;
    if (!c.writing) c.StartClose();
  });
  {
    std::unique_lock lock(c.mu);
    c.cv.wait_for(lock, std::chrono::seconds(2), [&] { return c.closed; });
  }
  c.work.reset();
  c.ioc.stop();
  c.thread.join();
  std::lock_guard lock(c.mu);
  if (!c.closed) {
    c.closed = true;
    c.close_error = "connection closed by client";
  }
  c.shut_down = true;
  c.cv.notify_all();
}

Result<std::unique_ptr<RpcClient>> ConnectAccepted(RpcClientOptions options,
                                                   std::chrono::milliseconds timeout,
                                                   const std::function<void(const Status&)>& on_retry) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + timeout;
  const std::chrono::milliseconds step = options.connect_timeout;
  auto left = [&] {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return std::clamp(ms, std::chrono::milliseconds(1), step);
  };
  Status refusal = Status::Ok();
  for (;;) {
    options.connect_timeout = left();
    auto client = RpcClient::Connect(options);
    if (!client.ok() && (client.status().code() == StatusCode::kUnavailable ||
                         client.status().code() == StatusCode::kRefused))
      return client.status();
    Status s =
        client.ok() ? (*client)->Call({{"type", "GET_CAPABILITIES"}}, left()).status() : client.status();
    if (s.ok()) return std::move(client.value());
    if (client.ok()) refusal = s;
    if (Clock::now() >= deadline) return refusal.ok() ? s : refusal;
    if (on_retry) on_retry(s);
    std::this_thread::sleep_for(
        std::min<Clock::duration>(std::chrono::milliseconds(200), deadline - Clock::now()));
  }
}

}  // namespace ss::net
