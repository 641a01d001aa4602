#pragma once
// The RPC client of DESIGN.md §7: one authenticated WebSocket-over-TLS-1.3
// connection to a peer's RpcServer. Boost.Beast stays inside rpc_client.cpp.
//
// Connect pins the server's key: after the TLS handshake the certificate's
// public key id must equal expected_public_key_id (the peer id from the
// server's signed DHT record), otherwise nothing is sent and Connect fails
// with "server presented key X, expected Y". A refused TCP connection (nothing
// listens at the endpoint) fails with code kUnavailable, a server without our
// swarm key kRefused, other failures kError.
//
// Each client owns an I/O thread that keeps reading, so pings are answered and
// a closed connection is noticed while the caller is busy elsewhere. All
// methods are thread-safe; Call may be used from several threads at once.
// Messages that answer no Call (events, replies without a known id) queue up
// for ReadMessage/ReadText.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "net/tls_identity.h"
#include "util/status.h"
#include "util/swarm_key.h"

namespace ss::net {

struct RpcClientOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  // Our certificate and key. Empty: no client certificate (servers refuse that;
  // only useful to test them).
  TlsIdentity identity;
  std::string expected_public_key_id;                 // required
  std::chrono::milliseconds connect_timeout{10'000};  // TCP connect, TLS and WebSocket handshakes
  size_t max_message_bytes = size_t{64} << 20;
  // Set: proves the key in the upgrade and requires the server's proof, else
  // Connect fails with kRefused.
  SwarmKey swarm_key;
};

struct IncomingMessage {
  bool binary = false;
  std::string data;
};

class RpcClient {
 public:
  static Result<std::unique_ptr<RpcClient>> Connect(RpcClientOptions options);
  ~RpcClient();  // Close()
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;

  // Sends a control message and waits for the reply carrying its id (an
  // integer id is assigned when the request has none). A reply with status
  // "error" is a value, not an error: the caller decides. Errors are for
  // transport problems: closed connection (with the server's close reason),
  // timeout, a request that is not a JSON object or has an unusable id.
  Result<nlohmann::json> Call(nlohmann::json request, std::chrono::milliseconds timeout);

  // Raw sends, for binary frames and for tests that send malformed input.
  Status SendText(std::string text);
  Status SendBinary(std::vector<uint8_t> data);
  // The next message not claimed by a Call. After the connection closed, the
  // error says why (e.g. "connection closed by server (code 1008): <reason>").
  Result<IncomingMessage> ReadMessage(std::chrono::milliseconds timeout);
  Result<std::string> ReadText(std::chrono::milliseconds timeout);  // error on a binary message

  bool connected() const;
  // Sends a WebSocket close, waits briefly for the answer, joins the thread. Idempotent.
  void Close();

  struct Impl;

 private:
  explicit RpcClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A connection the server has answered on. Connect succeeds on one the
// server refuses (it closes it right after the upgrade, e.g. a node that has
// not yet seen our signed record), and what is sent on it is lost; a round
// trip (GET_CAPABILITIES) tells the two apart. A refusal, or any failure but
// nothing listening (kUnavailable) or a wrong swarm key (kRefused), is tried
// again every 200 ms until `timeout`, calling on_retry with it first; then the
// last refusal (else the last failure) is the error.
Result<std::unique_ptr<RpcClient>> ConnectAccepted(RpcClientOptions options,
                                                   std::chrono::milliseconds timeout,
                                                   const std::function<void(const Status&)>& on_retry = {});

}  // namespace ss::net
