#pragma once
// Connections from this node to the next hops of its routes: one
// authenticated RpcClient per peer id, opened on first use with the node's
// identity and pinned to the hop's peer id, opened again when it closed. The
// next node lets us in once our node record is in its swarm view, so a link
// is used only once the hop has answered on it (net::ConnectAccepted): a
// FORWARD written on a refused link is lost, and its origin would wait out its
// step timeout. A node that just started learns its peers' records, and they
// its, a moment after it starts serving: refusals are retried within
// connect_timeout.
//
// Each link has a reader thread that drains what the peer sends unasked
// (RpcClient queues every message no Call claims): error replies to our
// frames are logged with [CONNECT], nothing piles up. Thread-safe; Send blocks
// while connecting (up to connect_timeout) and while writing.
//
// A link idle for renew_after is replaced before its next use: the hop's
// RpcServer closes a connection idle for its idle_timeout (60 s by default),
// and a FORWARD written while that close is under way is lost the same way.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/forward_message.h"
#include "net/rpc_client.h"
#include "net/tls_identity.h"
#include "util/status.h"

namespace ss::node {

class PeerLinks {
 public:
  PeerLinks(net::TlsIdentity identity, SwarmKey swarm_key,
            std::chrono::milliseconds connect_timeout = std::chrono::milliseconds(5000),
            std::chrono::milliseconds renew_after = std::chrono::seconds(30))
      : identity_(std::move(identity)),
        swarm_key_(std::move(swarm_key)),
        connect_timeout_(connect_timeout),
        renew_after_(renew_after) {}
  ~PeerLinks();  // closes every link, joins the readers
  PeerLinks(const PeerLinks&) = delete;
  PeerLinks& operator=(const PeerLinks&) = delete;

  // Sends one binary message to the hop (kUnavailable when it cannot be
  // reached, refuses us until connect_timeout, or the connection closed while
  // sending; one reconnect is tried).
  Status Send(const net::RouteHop& hop, std::vector<uint8_t> message);

 private:
  using Clock = std::chrono::steady_clock;
  struct Link {
    std::string endpoint;
    std::unique_ptr<net::RpcClient> client;
    std::thread reader;
    Clock::time_point last_used;  // guarded by mu_
  };
  Result<std::shared_ptr<Link>> Get(const net::RouteHop& hop);
  Result<std::shared_ptr<Link>> Open(const net::RouteHop& hop);
  static void Drain(net::RpcClient* client, std::string peer);
  static void Retire(std::shared_ptr<Link> link);

  net::TlsIdentity identity_;
  SwarmKey swarm_key_;
  std::chrono::milliseconds connect_timeout_, renew_after_;
  std::mutex mu_;  // guards links_ and their last_used
  std::map<std::string, std::shared_ptr<Link>> links_;
};

}  // namespace ss::node
