// The only translation unit of the server that includes Boost.Beast (DESIGN.md
// §11: each one costs ~30 s to compile).
#include "net/rpc_server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "net/message.h"
#include "net/swarm_proof.h"
#include "net/tls_context.h"
#include "net/tls_identity.h"
#include "util/hex.h"
#include "util/thread_name.h"

namespace ss::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using WsStream = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

std::string Endpoint(const tcp::endpoint& ep) {
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

// A close reason must fit a control frame (123 bytes) and be valid UTF-8:
// cut at a character boundary.
std::string CloseReasonText(const std::string& reason) {
  if (reason.size() <= 123) return reason;
  size_t n = 123;
  while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
  return reason.substr(0, n);
}

class Connection;

}  // namespace

struct RpcServer::Impl {
  RpcServerOptions options;
  std::string key_id;  // our peer id, for the swarm-key proofs
  Callbacks callbacks;
  RpcMetricsRecorder metrics;
  std::mutex log_mu;
  asio::ssl::context ssl_ctx{asio::ssl::context::tls_server};
  // Declared after everything connections use, so it is destroyed (with the
  // handlers and connections it still holds) before them.
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::optional<asio::thread_pool> pool;
  std::thread thread;
  uint16_t port = 0;
  bool stopped = false;
  std::atomic<bool> stopping{false};

  // I/O thread only.
  std::unordered_map<uint64_t, std::weak_ptr<Connection>> connections;
  uint64_t next_connection = 1;
  size_t pending_bytes = 0;  // of messages admitted and not yet handled, every connection
  // Any thread.
  std::mutex live_mu;
  std::condition_variable live_cv;
  int live_connections = 0;

  void Log(const std::string& line) {
    if (!callbacks.log) return;
    std::lock_guard lock(log_mu);
    try {
      callbacks.log(line);
    } catch (...) {  // a logger must not take the server down
    }
  }
  void DoAccept();
  void ConnectionStarted() {
    std::lock_guard lock(live_mu);
    ++live_connections;
  }
  void ConnectionEnded() {
    std::lock_guard lock(live_mu);
    --live_connections;
    live_cv.notify_all();
  }
};

namespace {

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(RpcServer::Impl* server, tcp::socket socket, uint64_t id)
      : server_(server), id_(id), ws_(std::move(socket), server->ssl_ctx), idle_timer_(ws_.get_executor()) {
    beast::error_code ec;
    auto ep = beast::get_lowest_layer(ws_).socket().remote_endpoint(ec);
    peer_.remote_endpoint = ec ? "unknown" : Endpoint(ep);
  }

  void Start() {
    server_->ConnectionStarted();
    beast::get_lowest_layer(ws_).expires_after(server_->options.handshake_timeout);
    ws_.next_layer().async_handshake(
        asio::ssl::stream_base::server,
        [self = shared_from_this()](beast::error_code ec) { self->OnTlsHandshake(ec); });
  }

  // Called on the I/O thread (Broadcast, Stop).
  void Send(std::string payload, bool binary) {
    if (finished_ || closing_ || !established_) return;
    server_->metrics.AddBytesOut(payload.size());
    outbox_bytes_ += payload.size();
    outbox_.push_back({std::move(payload), binary});
    // A peer that sends requests but never reads the replies must not make us
    // buffer without bound.
    if (outbox_bytes_ > 2 * server_->options.max_frame_bytes) {
      server_->metrics.AddError();
      Abort("protocol error: peer does not read its replies");
      return;
    }
    if (!writing_) DoWrite();
  }

  void Close(std::string cause, websocket::close_code code, std::string reason) {
    if (closing_ || finished_) return;
    closing_ = true;
    cause_ = std::move(cause);
    close_reason_ = websocket::close_reason(code, CloseReasonText(reason));
    idle_timer_.cancel();
    if (!ws_upgraded_) {
      Abort(cause_);
      return;
    }
    if (!writing_) StartClose();  // otherwise OnWrite starts it: one write-side operation at a time
  }

  bool established() const { return established_; }
  const PeerInfo& peer() const { return peer_; }

 private:
  struct Outgoing {
    std::string payload;
    bool binary;
  };

  std::string PeerLabel() const {
    return peer_.public_key_id.empty() ? "unknown" : ShortId(peer_.public_key_id);
  }

  void OnTlsHandshake(beast::error_code ec) {
    if (finished_) return;
    // A connection closed before sending a byte is a liveness probe
    // (net/endpoint_probe.h), not an error: no log line, no error count.
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
      Finish("probe", /*quiet=*/true);
      return;
    }
    if (ec) {
      server_->metrics.AddError();
      Finish("protocol error: TLS handshake failed: " + ec.message());
      return;
    }
    auto cert = PeerCertificateOf(ws_.next_layer().native_handle());
    if (!cert.ok()) {
      server_->metrics.AddError();
      Finish("protocol error: " + cert.status().message());
      return;
    }
    peer_.cert_fingerprint = cert->cert_fingerprint;
    peer_.public_key_id = cert->public_key_id;

    // From here Beast's own timeouts apply: handshake/close limits, and
    // keepalive pings after half of the idle limit to detect dead peers.
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout t;
    t.handshake_timeout = server_->options.handshake_timeout;
    t.idle_timeout = 2 * server_->options.keepalive_interval;
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.read_message_max(server_->options.max_frame_bytes);
    ws_.auto_fragment(false);
    // The upgrade request is read here, not by accept, for its swarm-key proof.
    beast::get_lowest_layer(ws_).expires_after(server_->options.handshake_timeout);
    beast::http::async_read(
        ws_.next_layer(), buffer_, upgrade_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnUpgrade(ec); });
  }

  void OnUpgrade(beast::error_code ec) {
    if (finished_) return;
    beast::get_lowest_layer(ws_).expires_never();
    if (ec) {
      server_->metrics.AddError();
      Finish("protocol error: WebSocket upgrade failed: " + ec.message());
      return;
    }
    const SwarmKey& key = server_->options.swarm_key;
    key_proven_ =
        key.empty() || ConstantTimeEquals(std::string(upgrade_[kSwarmProofHeader]),
                                          ClientSwarmProof(key, peer_.cert_fingerprint, server_->key_id));
    std::string proof =
        key.empty() || !key_proven_ ? "" : ServerSwarmProof(key, server_->key_id, peer_.cert_fingerprint);
    ws_.set_option(websocket::stream_base::decorator([proof](websocket::response_type& res) {
      res.set(beast::http::field::server, "shardswarm");
      if (!proof.empty()) res.set(kSwarmProofHeader, proof);
    }));
    ws_.async_accept(upgrade_, [self = shared_from_this()](beast::error_code ec) { self->OnAccept(ec); });
  }

  void OnAccept(beast::error_code ec) {
    if (finished_) return;
    if (ec) {
      server_->metrics.AddError();
      Finish("protocol error: WebSocket upgrade failed: " + ec.message());
      return;
    }
    ws_upgraded_ = true;
    Status verdict = Status::Error("no authorizer");
    try {
      if (!key_proven_)
        verdict = Status::Refused("it does not hold this swarm's key (--swarm-key; ours is " +
                                  server_->options.swarm_key.Name() + ")");
      else if (server_->callbacks.authorizer)
        verdict = server_->callbacks.authorizer(peer_);
    } catch (const std::exception& e) {
      verdict = Status::Error(std::string("authorizer failed: ") + e.what());
    }
    DoRead();  // also needed to complete a close handshake
    if (server_->stopping) {
      Close("shutdown", websocket::close_code::going_away, "server shutting down");
      return;
    }
    if (!verdict.ok()) {
      server_->metrics.AddError();
      server_->Log("[CONNECT] refused peer=" + PeerLabel() + " from " + peer_.remote_endpoint + ": " +
                   verdict.message());
      Close("refused: " + verdict.message(), websocket::close_code::policy_error, verdict.message());
      return;
    }
    established_ = true;
    server_->metrics.ConnectionOpened();
    server_->Log("[CONNECT] connection established peer=" + PeerLabel() + " from " + peer_.remote_endpoint);
    ArmIdleTimer();
  }

  void ArmIdleTimer() {
    if (closing_ || finished_) return;
    idle_timer_.expires_after(server_->options.idle_timeout);
    idle_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return;  // re-armed or cancelled
      // A request still being answered is not idleness.
      if (self->pending_ > 0 || self->writing_) {
        self->ArmIdleTimer();
        return;
      }
      self->Close("idle timeout", websocket::close_code::normal, "idle timeout");
    });
  }

  void DoRead() {
    ws_.async_read(buffer_,
                   [self = shared_from_this()](beast::error_code ec, size_t n) { self->OnRead(ec, n); });
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec) {
      std::string cause;
      if (closing_) {
        cause = cause_;
      } else if (ec == websocket::error::closed) {
        cause = "closed by peer";
      } else if (ec == beast::error::timeout) {
        cause = "keepalive timeout";
      } else if (ec == websocket::error::message_too_big || ec == beast::http::error::buffer_overflow) {
        server_->metrics.AddError();
        cause = "protocol error: message larger than " + std::to_string(server_->options.max_frame_bytes) +
                " bytes";
      } else if (ec.category() == asio::error::get_ssl_category() &&
                 ERR_GET_REASON(static_cast<unsigned long>(ec.value())) ==
                     SSL_R_APPLICATION_DATA_AFTER_CLOSE_NOTIFY) {
        // Beast failed the connection (close frame, then TLS close_notify) and
        // the peer kept streaming the rest of its frame: the original reason
        // (oversized or malformed frame) is masked by this TLS error.
        server_->metrics.AddError();
        cause = "protocol error: frame refused (larger than " +
                std::to_string(server_->options.max_frame_bytes) + " bytes or malformed)";
      } else if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
                 ec == asio::error::connection_reset) {
        cause = "closed by peer (connection dropped)";
      } else {
        server_->metrics.AddError();
        cause = "protocol error: " + ec.message();
      }
      Finish(cause);
      return;
    }
    bool text = ws_.got_text();
    std::string payload = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    if (!closing_ && established_) {
      server_->metrics.AddRequest(payload.size());
      ArmIdleTimer();
      if (text) {
        HandleText(std::move(payload));
      } else {
        HandleBinary(std::move(payload));
      }
    }
    if (!finished_) DoRead();
  }

  void HandleText(std::string text) {
    const RpcServerOptions& o = server_->options;
    if (text.size() > o.max_control_bytes) {
      server_->metrics.AddError();
      Close("protocol error: control message of " + std::to_string(text.size()) + " bytes exceeds the " +
                std::to_string(o.max_control_bytes) + "-byte limit",
            websocket::close_code::too_big, "control message too big");
      return;
    }
    auto request = ParseControlMessage(text, o.max_control_bytes);
    if (!request.ok()) {
      Reply(ErrorReply(ReplyEnvelopeOf(text), request.status().message()));
      return;
    }
    const size_t bytes = text.size();
    if (!Admit(*request, bytes)) return;
    auto self = shared_from_this();
    asio::post(*server_->pool, [self, bytes, request = std::move(*request)] {
      auto start = std::chrono::steady_clock::now();
      nlohmann::json reply;
      try {
        reply = self->server_->callbacks.handler(self->peer_, request);
      } catch (const std::exception& e) {
        reply = ErrorReply(request, std::string("internal error: ") + e.what());
      }
      self->server_->metrics.AddLatency(std::chrono::steady_clock::now() - start);
      reply = Complete(std::move(reply), request);
      asio::post(self->ws_.get_executor(), [self, bytes, reply = std::move(reply)] {
        self->pending_--;
        self->server_->pending_bytes -= bytes;
        self->Reply(reply);
      });
    });
  }

  // On the I/O thread (see the header): no hand-off, no pending count.
  void HandleBinary(std::string data) {
    if (!server_->callbacks.binary_handler) {
      Reply(ErrorReply(nullptr, "binary frames are not accepted here"));
      return;
    }
    const auto start = std::chrono::steady_clock::now();
    nlohmann::json reply;
    try {
      reply = server_->callbacks.binary_handler(
          peer_, std::span(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
    } catch (const std::exception& e) {
      reply = ErrorReply(nullptr, std::string("internal error: ") + e.what());
    }
    server_->metrics.AddLatency(std::chrono::steady_clock::now() - start);
    if (!reply.is_null()) Reply(reply);
  }

  // Counts a request in flight, or answers it at once when there are too many
  // on this connection or too many bytes waiting on all (one message is
  // always admitted when none waits, however large).
  bool Admit(const nlohmann::json& request, size_t bytes) {
    const RpcServerOptions& o = server_->options;
    if (pending_ >= o.max_pending_requests) {
      Reply(ErrorReply(request, "too many pending requests on this connection (limit " +
                                    std::to_string(o.max_pending_requests) + ")"));
      return false;
    }
    if (server_->pending_bytes > 0 && server_->pending_bytes + bytes > o.max_pending_bytes) {
      Reply(ErrorReply(request, "the server is busy: " + std::to_string(server_->pending_bytes >> 20) +
                                    " MiB of messages wait for a handler (limit " +
                                    std::to_string(o.max_pending_bytes >> 20) + " MiB); try again"));
      return false;
    }
    pending_++;
    server_->pending_bytes += bytes;
    return true;
  }

  // Makes a handler's answer a well-formed reply to `request`.
  static nlohmann::json Complete(nlohmann::json reply, const nlohmann::json& request) {
    if (!reply.is_object()) return ErrorReply(request, "internal error: handler returned a non-object reply");
    nlohmann::json envelope = OkReply(request);
    for (const char* key : {"type", "id", "status"})
      if (!reply.contains(key)) reply[key] = envelope.contains(key) ? envelope[key] : nlohmann::json();
    if (reply["type"].is_null()) reply.erase("type");
    if (reply["id"].is_null()) reply.erase("id");
    return reply;
  }

  void Reply(const nlohmann::json& reply) {
    if (IsErrorReply(reply)) server_->metrics.AddError();
    Send(SerializeMessage(reply), /*binary=*/false);
  }

  void DoWrite() {
    writing_ = true;
    ws_.binary(outbox_.front().binary);
    ws_.async_write(asio::buffer(outbox_.front().payload),
                    [self = shared_from_this()](beast::error_code ec, size_t) { self->OnWrite(ec); });
  }

  void OnWrite(beast::error_code ec) {
    writing_ = false;
    outbox_bytes_ -= outbox_.front().payload.size();
    outbox_.pop_front();
    if (ec) {
      Abort(closing_ ? cause_ : "closed by peer (write failed: " + ec.message() + ")");
      return;
    }
    if (closing_) {
      if (!close_started_) StartClose();
      return;
    }
    // A connection the node pushes results over is in use, even when the
    // peer sends nothing (a gateway waiting for sampled tokens).
    if (established_) ArmIdleTimer();
    if (!outbox_.empty()) DoWrite();
  }

  void StartClose() {
    close_started_ = true;
    ws_.async_close(close_reason_, [self = shared_from_this()](beast::error_code ec) {
      // The pending read completes with `closed` once the peer answers; if it
      // never does, Beast's close timeout fails the read.
      if (ec) self->Abort(self->cause_);
    });
  }

  // Ends the connection without a close handshake.
  void Abort(const std::string& cause) {
    if (!closing_) {
      closing_ = true;
      cause_ = cause;
    }
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    Finish(cause_);
  }

  void Finish(const std::string& cause, bool quiet = false) {
    if (finished_) return;
    finished_ = true;
    idle_timer_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    if (established_) server_->metrics.ConnectionClosed();
    if (!quiet)
      server_->Log("[CONNECT] connection closed peer=" + PeerLabel() + " from " + peer_.remote_endpoint +
                   " cause=" + cause);
    server_->connections.erase(id_);
    server_->ConnectionEnded();
  }

  RpcServer::Impl* server_;
  uint64_t id_;
  WsStream ws_;
  beast::flat_buffer buffer_;
  asio::steady_timer idle_timer_;
  PeerInfo peer_;
  std::deque<Outgoing> outbox_;
  size_t outbox_bytes_ = 0;
  size_t pending_ = 0;
  bool writing_ = false;
  beast::http::request<beast::http::empty_body> upgrade_;
  bool key_proven_ = false;
  bool ws_upgraded_ = false;
  bool established_ = false;
  bool closing_ = false;
  bool close_started_ = false;
  bool finished_ = false;
  std::string cause_;
  websocket::close_reason close_reason_;
};

}  // namespace

void RpcServer::Impl::DoAccept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec && !stopping) {
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);  // see rpc_client.cpp
      uint64_t id = next_connection++;
      auto connection = std::make_shared<Connection>(this, std::move(socket), id);
      connections[id] = connection;
      connection->Start();
    }
    DoAccept();
  });
}

RpcServer::RpcServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

RpcServer::~RpcServer() { Stop(); }

Result<std::unique_ptr<RpcServer>> RpcServer::Start(RpcServerOptions options, Callbacks callbacks) {
  if (!callbacks.authorizer) return Status::Error("RpcServer needs an authorizer");
  if (!callbacks.handler) return Status::Error("RpcServer needs a handler");
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->callbacks = std::move(callbacks);
  const RpcServerOptions& o = impl->options;
  SS_RETURN_IF_ERROR(ConfigureTlsContext(impl->ssl_ctx.native_handle(), o.identity, TlsRole::kServer)
                         .Context("RPC server TLS setup"));
  if (!o.swarm_key.empty()) {
    SS_ASSIGN_OR_RETURN(impl->key_id, PublicKeyId(o.identity.cert_pem));
  }

  beast::error_code ec;
  auto address = asio::ip::make_address(o.bind_address, ec);
  if (ec) return Status::Error("RPC server: bad bind address \"" + o.bind_address + "\": " + ec.message());
  tcp::endpoint endpoint(address, o.port);
  std::string where = Endpoint(endpoint);
  if (impl->acceptor.open(endpoint.protocol(), ec); ec)
    return Status::Error("RPC server: cannot open socket: " + ec.message());
  if (impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec)
    return Status::Error("RPC server: cannot set SO_REUSEADDR: " + ec.message());
  if (impl->acceptor.bind(endpoint, ec); ec)
    return Status::Error("RPC server: cannot bind " + where + ": " + ec.message());
  if (impl->acceptor.listen(asio::socket_base::max_listen_connections, ec); ec)
    return Status::Error("RPC server: cannot listen on " + where + ": " + ec.message());
  impl->port = impl->acceptor.local_endpoint(ec).port();

  impl->pool.emplace(static_cast<size_t>(std::max(1, o.handler_threads)));
  impl->DoAccept();
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] {
    NameThisThread("rpc-server");
    for (;;) {
      try {
        raw->ioc.run();
        return;
      } catch (const std::exception& e) {  // keep serving the other connections
        raw->Log(std::string("[CONNECT] internal error in RPC server: ") + e.what());
      }
    }
  });
  return std::unique_ptr<RpcServer>(new RpcServer(std::move(impl)));
}

uint16_t RpcServer::port() const { return impl_->port; }

RpcMetrics RpcServer::Metrics() const { return impl_->metrics.Snapshot(); }

void RpcServer::Broadcast(const nlohmann::json& event) {
  std::string text = SerializeMessage(event);
  asio::post(impl_->ioc, [impl = impl_.get(), text] {
    for (auto& [id, weak] : impl->connections)
      if (auto s = weak.lock(); s && s->established()) s->Send(text, false);
  });
}

void RpcServer::SendToPeer(const std::string& public_key_id, const nlohmann::json& message) {
  std::string text = SerializeMessage(message);
  asio::post(impl_->ioc, [impl = impl_.get(), public_key_id, text] {
    for (auto& [id, weak] : impl->connections)
      if (auto s = weak.lock(); s && s->established() && s->peer().public_key_id == public_key_id)
        s->Send(text, false);
  });
}

void RpcServer::Stop() {
  Impl& impl = *impl_;
  if (impl.stopped) return;
  impl.stopped = true;
  impl.stopping = true;
  asio::post(impl.ioc, [&impl] {
    beast::error_code ignored;
    impl.acceptor.close(ignored);
    std::vector<std::shared_ptr<Connection>> open;
    for (auto& [id, weak] : impl.connections)
      if (auto s = weak.lock()) open.push_back(std::move(s));
    for (auto& s : open) s->Close("shutdown", websocket::close_code::going_away, "server shutting down");
  });
  impl.pool->join();  // running handlers finish; their replies are dropped by closing connections
  {
    std::unique_lock lock(impl.live_mu);
    // Peers get a moment to answer the close; a dead one is not waited for.
    auto grace = std::min<std::chrono::milliseconds>(impl.options.handshake_timeout, std::chrono::seconds(2));
    impl.live_cv.wait_for(lock, grace, [&] { return impl.live_connections == 0; });
  }
  impl.ioc.stop();
  if (impl.thread.joinable()) impl.thread.join();
}

}  // namespace ss::net
