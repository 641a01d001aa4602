// PeerLinks over real sockets on 127.0.0.1, against a next hop that refuses
// us at first, as a node does until our node record reaches its swarm view:
// Send is Ok only for a message the hop was handed.
#include "node/peer_links.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "net/message.h"
#include "net/rpc_server.h"
#include "net/tls_identity.h"

namespace ss::node {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Identities {
  net::TlsIdentity hop, sender;
  std::string hop_id;
};

// RSA key generation is slow-ish: once per test binary.
const Identities& Ids() {
  static const Identities ids = [] {
    Identities i;
    i.hop = net::GenerateSelfSignedIdentity("hop").value();
    i.sender = net::GenerateSelfSignedIdentity("sender").value();
    i.hop_id = net::PublicKeyId(i.hop.cert_pem).value();
    return i;
  }();
  return ids;
}

// A next hop that refuses every peer for `refuse_for` after it starts, then
// accepts them, and counts the connections it accepts and the binary messages
// it is handed.
struct Hop {
  std::unique_ptr<net::RpcServer> server;
  std::atomic<int> received{0}, accepted{0};
  Clock::time_point accept_from;

  explicit Hop(std::chrono::milliseconds refuse_for, std::chrono::milliseconds idle_timeout = 60s)
      : accept_from(Clock::now() + refuse_for) {
    net::RpcServerOptions o;
    o.identity = Ids().hop;
    o.idle_timeout = idle_timeout;
    net::RpcServer::Callbacks cb;
    cb.authorizer = [this](const net::PeerInfo& p) {
      if (Clock::now() < accept_from)
        return Status::Error("peer " + p.public_key_id.substr(0, 12) + " has no signed record in cluster t");
      accepted++;
      return Status::Ok();
    };
    cb.handler = [](const net::PeerInfo&, const nlohmann::json& request) { return net::OkReply(request); };
    cb.binary_handler = [this](const net::PeerInfo&, std::span<const uint8_t>) {
      received++;
      return nlohmann::json();
    };
    auto s = net::RpcServer::Start(std::move(o), std::move(cb));
    EXPECT_TRUE(s.ok()) << s.status().message();
    if (s.ok()) server = std::move(*s);
  }
  net::RouteHop Route() const { return {Ids().hop_id, "127.0.0.1:" + std::to_string(server->port())}; }
  bool WaitReceived(int n) {
    for (auto until = Clock::now() + 5s; Clock::now() < until; std::this_thread::sleep_for(10ms))
      if (received >= n) return true;
    return false;
  }
};

// Before, the link was used as soon as it connected: the hop's refusal (a
// close right after the upgrade) dropped the message, Send said Ok, and the
// route's origin waited out its step timeout.
TEST(PeerLinks, AMessageToAHopThatRefusesUsAtFirstIsDeliveredOnceItAccepts) {
  Hop hop(500ms);
  ASSERT_TRUE(hop.server);
  PeerLinks links(Ids().sender, SwarmKey(), 5000ms);
  Status sent = links.Send(hop.Route(), {1, 2, 3});
  ASSERT_TRUE(sent.ok()) << sent.message();
  EXPECT_TRUE(hop.WaitReceived(1)) << "Send said Ok, but the hop never got the message";
}

// A hop that keeps refusing us: Send fails, naming the refusal (the worker
// reports it to the origin, which fails over), never Ok for a lost message.
TEST(PeerLinks, AHopThatKeepsRefusingUsIsAnErrorNotALostMessage) {
  Hop hop(std::chrono::hours(1));
  ASSERT_TRUE(hop.server);
  PeerLinks links(Ids().sender, SwarmKey(), 1000ms);
  Status sent = links.Send(hop.Route(), {1, 2, 3});
  EXPECT_EQ(sent.code(), StatusCode::kUnavailable) << sent.message();
  EXPECT_NE(sent.message().find("has no signed record"), std::string::npos) << sent.message();
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(hop.received, 0);
}

// The hop closes a link idle for its idle_timeout; a message written while
// that close is under way would be lost. So a link idle for renew_after (less
// than the hop's timeout) is replaced before it is used again, and one in use
// is kept.
TEST(PeerLinks, ALinkIdleForRenewAfterIsReplacedBeforeTheHopClosesIt) {
  Hop hop(0ms, /*idle_timeout=*/1500ms);
  ASSERT_TRUE(hop.server);
  PeerLinks links(Ids().sender, SwarmKey(), 5000ms, /*renew_after=*/500ms);
  for (int i = 0; i < 3; ++i) {  // in use: one link
    ASSERT_TRUE(links.Send(hop.Route(), {1}).ok());
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(hop.accepted, 1);
  std::this_thread::sleep_for(800ms);  // idle beyond renew_after, within the hop's timeout
  ASSERT_TRUE(links.Send(hop.Route(), {2}).ok());
  EXPECT_TRUE(hop.WaitReceived(4));
  EXPECT_EQ(hop.accepted, 2) << "the idle link was used again instead of being replaced";
}

}  // namespace
}  // namespace ss::node
