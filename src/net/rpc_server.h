#pragma once
// The RPC server of DESIGN.md §7: WebSocket over TLS 1.3 with mutual
// certificate authentication, JSON control messages and binary activation
// frames. Boost.Beast stays inside rpc_server.cpp (DESIGN.md §11).
//
// A connection goes through:
//   1. TCP accept, TLS 1.3 handshake (within handshake_timeout). The client
//      must present a certificate; any chain is accepted at the TLS layer.
//   2. WebSocket upgrade, then the Authorizer sees PeerInfo (certificate
//      fingerprint and public key id) and decides. A refusal is sent as a
//      WebSocket close (code 1008, the reason as text) and logged.
//   3. Messages. Text: parsed and validated (net/message.h); invalid input gets
//      an ErrorReply, a text message over max_control_bytes closes the
//      connection (code 1009), so does any message over max_frame_bytes (Beast
//      refuses it while reading). Valid messages go to the Handler; binary
//      messages to the BinaryHandler, or get the error reply "binary frames are
//      not accepted here". More than max_pending_requests text requests in
//      flight on one connection, or more than max_pending_bytes of them
//      waiting for a handler on all connections: the request gets an error
//      reply at once.
//   4. Close: by the peer, after idle_timeout with nothing received or sent, when the peer
//      stops answering keepalive pings (silent for 2 x keepalive_interval), on
//      protocol errors, or on Stop().
//
// Threads: one I/O thread runs all connections; Handlers run on a pool of
// handler_threads, so a slow handler does not stall other connections. The
// Authorizer and the BinaryHandler run on the I/O thread and must be quick (a
// cache lookup; decode, check and queue a frame, as a node's FORWARD path
// does): a hand-off to the pool costs a thread wake-up, ~100 us on this
// project's VM, paid at every hop of every decoded token.
// The log callback is called on the I/O thread, never concurrently with
// itself. Do not call Stop() from a handler: it waits for the handlers.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>

#include "net/rpc_metrics.h"
#include "net/tls_identity.h"
#include "util/status.h"
#include "util/swarm_key.h"

namespace ss::net {

struct PeerInfo {
  std::string cert_fingerprint;  // hex SHA-256 of the certificate DER
  std::string public_key_id;     // hex SHA-256 of its SubjectPublicKeyInfo: the peer id
  std::string remote_endpoint;   // "127.0.0.1:5555"
};

struct RpcServerOptions {
  std::string bind_address = "127.0.0.1";
  uint16_t port = 0;  // 0: ephemeral, see RpcServer::port()
  TlsIdentity identity;
  std::chrono::milliseconds handshake_timeout{10'000};  // TLS, WebSocket upgrade and close each
  std::chrono::milliseconds idle_timeout{60'000};       // no request for this long: close
  std::chrono::milliseconds keepalive_interval{15'000};
  size_t max_control_bytes = size_t{1} << 20;
  size_t max_frame_bytes = size_t{64} << 20;     // any message, text or binary
  size_t max_pending_requests = 64;              // per connection
  size_t max_pending_bytes = size_t{256} << 20;  // every connection: read, not yet handled
  int handler_threads = 2;
  // Set: a peer must prove it holds the key in its WebSocket upgrade (see
  // util/swarm_key.h), else it is refused; the server proves it in return.
  SwarmKey swarm_key;
};

class RpcServer {
 public:
  // Returns Ok to accept the peer, an error (its message is the close reason) to refuse.
  using Authorizer = std::function<Status(const PeerInfo&)>;
  // Answers a valid control message. The server fills in a missing type, id or
  // status ("ok") from the request; a thrown exception becomes an error reply.
  using Handler = std::function<nlohmann::json(const PeerInfo&, const nlohmann::json& request)>;
  // Answers a binary message with a JSON reply, or null for no reply.
  using BinaryHandler = std::function<nlohmann::json(const PeerInfo&, std::span<const uint8_t> frame)>;
  using LogFn = std::function<void(const std::string&)>;

  struct Callbacks {
    Authorizer authorizer;         // required: there is no implicit trust
    Handler handler;               // required
    BinaryHandler binary_handler;  // optional
    LogFn log;                     // optional
  };

  // Binds, listens and starts the I/O thread.
  static Result<std::unique_ptr<RpcServer>> Start(RpcServerOptions options, Callbacks callbacks);
  ~RpcServer();  // Stop()
  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;

  uint16_t port() const;
  RpcMetrics Metrics() const;
  // Sends an event (e.g. SHARD_LOADED) to every authorized connection.
  void Broadcast(const nlohmann::json& event);
  // Sends a message to the authorized connections of one peer (by public key
  // id), e.g. a forward result to the gateway that opened the session. Nothing
  // is sent when the peer has no connection open; the message is queued like
  // a reply, so it follows replies sent before it.
  void SendToPeer(const std::string& public_key_id, const nlohmann::json& message);
  // Stops accepting, closes every connection (cause "shutdown"), waits for
  // running handlers and joins the threads. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit RpcServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ss::net
