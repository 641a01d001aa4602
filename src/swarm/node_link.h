#pragma once
// One authenticated RPC connection from a process that uses the swarm (the
// gateway, a node calling its next hop) to one node, identified by its peer
// id. Wraps net::RpcClient and keeps a reader thread that hands every message
// not answering a Call (pushed results, events, error replies to frames) to
// the link's message callback, and calls the close callback once when the
// connection ends (the node died, closed it, or stopped answering pings) or
// the link is abandoned.
// A link with nothing to send for kKeepAlive sends a status request, so the
// node never closes it as idle just as a request is on its way.
//
// Thread-safe. Callbacks run on the reader thread: keep them short, and never
// destroy the link from inside them.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "dht/identity.h"
#include "net/rpc_client.h"
#include "util/status.h"

namespace ss::swarm {

class NodeLink {
 public:
  static constexpr std::chrono::seconds kKeepAlive{20};  // a third of the nodes' idle timeout
  using MessageFn = std::function<void(const net::IncomingMessage&)>;
  using CloseFn = std::function<void(const std::string& why)>;

  // Connects to `endpoint` ("host:port") and checks that the server's key is
  // `peer_id`. A node refuses us until it has seen our signed client record,
  // so refusals are retried (calling `retry` between attempts, e.g. to
  // announce again) until `timeout`.
  static Result<std::unique_ptr<NodeLink>> Connect(const dht::NodeIdentity& self, const SwarmKey& swarm_key,
                                                   const std::string& peer_id, const std::string& endpoint,
                                                   std::chrono::milliseconds timeout, MessageFn on_message,
                                                   CloseFn on_close, const std::function<void()>& retry = {});
  ~NodeLink();  // closes the connection, joins the reader

  // Reports the link's end now (the close callback with `why`, unless it
  // ran already) without waiting for the connection to end: a node that
  // hangs keeps its sockets open. The caller stops using the link; its
  // connection lasts until the link is destroyed.
  void Abandon(const std::string& why);

  const std::string& peer_id() const { return peer_id_; }
  bool connected() const { return client_->connected() && !closed_; }
  Result<nlohmann::json> Call(nlohmann::json request, std::chrono::milliseconds timeout) {
    Sent();
    return client_->Call(std::move(request), timeout);
  }
  Status SendBinary(std::vector<uint8_t> data) {
    Sent();
    return client_->SendBinary(std::move(data));
  }
  Status SendText(std::string text) {
    Sent();
    return client_->SendText(std::move(text));
  }

 private:
  NodeLink() = default;
  void ReadLoop();
  void Sent() { last_sent_ = std::chrono::steady_clock::now().time_since_epoch().count(); }

  std::string peer_id_;
  std::unique_ptr<net::RpcClient> client_;
  MessageFn on_message_;
  CloseFn on_close_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> closed_{false};
  std::atomic<bool> close_reported_{false};  // on_close_ runs once
  std::atomic<int64_t> last_sent_{std::chrono::steady_clock::now().time_since_epoch().count()};
  std::thread reader_;
};

}  // namespace ss::swarm
