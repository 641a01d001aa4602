#include "node/peer_links.h"

#include <utility>

#include "dht/discovery.h"
#include "net/message.h"
#include "swarm/swarm_view.h"
#include "util/hex.h"
#include "util/json_parse.h"
#include "util/log.h"
#include "util/thread_name.h"

namespace ss::node {

PeerLinks::~PeerLinks() {
  std::map<std::string, std::shared_ptr<Link>> links;
  {
    std::lock_guard lock(mu_);
    links.swap(links_);
  }
  for (auto& [peer, link] : links) Retire(link);
}

// Closing the client ends its reader's ReadMessage with an error.
void PeerLinks::Retire(std::shared_ptr<Link> link) {
  link->client->Close();
  if (link->reader.joinable()) link->reader.join();
}

void PeerLinks::Drain(net::RpcClient* client, std::string peer) {
  NameThisThread("peer-link");
  for (;;) {
    auto m = client->ReadMessage(std::chrono::seconds(3600));
    if (!m.ok()) {
      if (!client->connected()) return;
      continue;  // the wait timed out
    }
    if (m->binary) continue;
    auto reply = ParseUntrustedJsonOrDiscarded(m->data);
    if (reply.is_object() && net::IsErrorReply(reply))
      Log("CONNECT", "next hop " + ShortId(peer) + " answered: " + net::StringOr(reply, "error", m->data));
  }
}

Result<std::shared_ptr<PeerLinks::Link>> PeerLinks::Open(const net::RouteHop& hop) {
  std::string host, port;
  if (!dht::SplitHostPort(hop.endpoint, &host, &port))
    return Status::InvalidArgument("route endpoint '" + hop.endpoint + "' is not host:port");
  net::RpcClientOptions o;
  o.host = host;
  o.port = static_cast<uint16_t>(std::stoi(port));
  o.identity = identity_;
  o.expected_public_key_id = hop.peer_id;
  o.connect_timeout = connect_timeout_;
  o.swarm_key = swarm_key_;
  bool logged = false;
  auto client = net::ConnectAccepted(o, connect_timeout_, [&](const Status& s) {
    if (!std::exchange(logged, true))
      Log("CONNECT", "next hop " + ShortId(hop.peer_id) + " refused us (" + s.message() + "); trying again");
  });
  if (!client.ok())
    return Status::Unavailable("next hop " + ShortId(hop.peer_id) + " at " + hop.endpoint + ": " +
                               client.status().message());
  auto link = std::make_shared<Link>();
  link->endpoint = hop.endpoint;
  link->last_used = Clock::now();
  link->client = std::move(client.value());
  link->reader = std::thread(Drain, link->client.get(), hop.peer_id);
  Log("CONNECT", "linked to next hop " + ShortId(hop.peer_id) + " at " + hop.endpoint);
  return link;
}

Result<std::shared_ptr<PeerLinks::Link>> PeerLinks::Get(const net::RouteHop& hop) {
  std::shared_ptr<Link> stale;
  {
    std::lock_guard lock(mu_);
    auto it = links_.find(hop.peer_id);
    if (it != links_.end()) {
      Link& l = *it->second;
      const Clock::time_point now = Clock::now();
      if (l.client->connected() && l.endpoint == hop.endpoint && now - l.last_used < renew_after_) {
        l.last_used = now;
        return it->second;
      }
      stale = it->second;
      links_.erase(it);
    }
  }
  if (stale) Retire(stale);
  // Connecting happens outside the lock; two senders racing may both connect,
  // and the second one's link replaces the first.
  SS_ASSIGN_OR_RETURN(std::shared_ptr<Link> link, Open(hop));
  std::shared_ptr<Link> replaced;
  {
    std::lock_guard lock(mu_);
    auto& slot = links_[hop.peer_id];
    replaced = slot;
    slot = link;
  }
  if (replaced) Retire(replaced);
  return link;
}

Status PeerLinks::Send(const net::RouteHop& hop, std::vector<uint8_t> message) {
  Status last;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto link = Get(hop);
    if (!link.ok()) return link.status();
    last = (*link)->client->SendBinary(attempt == 0 ? message : std::move(message));
    if (last.ok()) return last;
  }
  return Status::Unavailable(last.message());
}

}  // namespace ss::node
