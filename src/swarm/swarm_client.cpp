#include "swarm/swarm_client.h"

#include <algorithm>
#include <iterator>

#include "swarm/join.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/thread_name.h"

namespace ss::swarm {

Result<std::unique_ptr<SwarmClient>> SwarmClient::Start(const dht::NodeIdentity& identity,
                                                        const SwarmClientOptions& options) {
  std::unique_ptr<SwarmClient> c(new SwarmClient());
  c->options_ = options;
  c->identity_ = identity;
  c->view_ = std::make_unique<SwarmView>(options.cluster, options.total_shards);
  SS_ASSIGN_OR_RETURN(c->discovery_, JoinDht(identity, options.bootstrap, options.listen_addr,
                                             options.join_timeout_s, options.swarm_key));
  {
    std::lock_guard<std::mutex> lock(c->mu_);
    c->ListenShards(options.total_shards > 0 ? options.total_shards : 8);
  }
  c->AnnounceSelf();
  c->refresher_ = std::thread([p = c.get()] {
    NameThisThread("swarm-refresh");
    p->RefreshLoop();
  });
  SwarmClient* self = c.get();
  c->prober_ = std::make_unique<LivenessProber>(
      [self] { return self->ProbeTargets(); },
      [self](const dht::NodeRecord& node, const Status& probe) { self->OnProbe(node, probe); });
  return c;
}

// The nodes announced lately, and every node a link is open to: a node that
// hangs stops announcing too, and must not drop out of the probes before they
// have seen it go, or the requests routed through it would wait for their
// step timeout.
std::vector<dht::NodeRecord> SwarmClient::ProbeTargets() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<dht::NodeRecord> nodes = view_->RecentNodes(Clock::now());
  for (const auto& link : links_) {
    const std::string& peer = link.first;  // named: clang's C++20 cannot capture a structured binding
    const bool listed =
        std::any_of(nodes.begin(), nodes.end(), [&](const dht::NodeRecord& n) { return n.peer_id == peer; });
    if (const dht::NodeRecord* r = view_->FindPeer(peer); r != nullptr && !listed) nodes.push_back(*r);
  }
  return nodes;
}

// A node that stops answering may be hung with its sockets open, so its link
// would never close: it is given up here, and the requests routed through it
// fail over now rather than at their step timeout.
void SwarmClient::OnProbe(const dht::NodeRecord& node, const Status& probe) {
  std::shared_ptr<NodeLink> gone;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto line = view_->ApplyProbe(node, probe, UnixMillis());
    if (!line) return;
    Log("STATUS", *line);
    auto it = links_.find(node.peer_id);
    if (probe.ok() || it == links_.end()) return;
    gone = std::move(it->second);
    links_.erase(it);
    abandoned_.push_back(gone);  // closed by the refresher once no session holds it
  }
  gone->Abandon("the node went offline (" + probe.message() + ")");
}

SwarmClient::~SwarmClient() {
  prober_.reset();
  stop_ = true;
  if (refresher_.joinable()) refresher_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    links_.clear();
    abandoned_.clear();
  }
  discovery_.reset();
}

void SwarmClient::ListenShards(int up_to) {
  for (; listened_ < up_to; ++listened_)
    discovery_->Listen(dht::ShardKey(options_.cluster, listened_),
                       [this, k = listened_](const dht::SignedValue& v, bool expired) {
                         auto r = dht::NodeRecord::FromJson(v.data);
                         if (!r.ok()) return;
                         std::lock_guard<std::mutex> lock(mu_);
                         if (view_->total_shards() == 0 && r->total_shards > 0 && r->total_shards <= 4096) {
                           view_->set_total_shards(r->total_shards);
                           ListenShards(r->total_shards);
                         }
                         view_->Update(k, v, expired, Clock::now());
                       });
}

void SwarmClient::AnnounceSelf() {
  dht::ClientRecord me{identity_.peer_id, options_.cluster, options_.role, identity_.cert_fingerprint,
                       UnixMillis()};
  discovery_->Announce(dht::ClientsKey(options_.cluster), me.ToJson());
}

void SwarmClient::RefreshLoop() {
  auto next = Clock::now() + std::chrono::seconds(options_.refresh_s);
  bool was_connected = discovery_->connected();
  while (!stop_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    bool connected = discovery_->connected();
    if (Clock::now() >= next || (connected && !was_connected)) {
      AnnounceSelf();
      next = Clock::now() + std::chrono::seconds(options_.refresh_s);
    }
    was_connected = connected;
    CloseAbandonedLinks();
  }
}

// Closing a link to a hung node waits for its close handshake (seconds), so
// it happens here, not on a session's thread or the prober's.
void SwarmClient::CloseAbandonedLinks() {
  std::vector<std::shared_ptr<NodeLink>> unused;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto idle = std::partition(abandoned_.begin(), abandoned_.end(),
                               [](const std::shared_ptr<NodeLink>& l) { return l.use_count() > 1; });
    unused.assign(std::make_move_iterator(idle), std::make_move_iterator(abandoned_.end()));
    abandoned_.erase(idle, abandoned_.end());
  }
}

int SwarmClient::total_shards() const {
  std::lock_guard<std::mutex> lock(mu_);
  return view_->total_shards();
}

bool SwarmClient::Ready() const {
  std::lock_guard<std::mutex> lock(mu_);
  return view_->total_shards() > 0 && view_->Ready(Clock::now());
}

std::vector<std::string> SwarmClient::Blockers() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (view_->total_shards() == 0)
    return {"no node of cluster '" + options_.cluster + "' has announced itself yet"};
  return view_->Blockers(Clock::now());
}

nlohmann::json SwarmClient::ViewJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json j = view_->ToJson(Clock::now());
  if (view_->total_shards() == 0) {
    j["swarm_ready"] = false;
    j["blockers"] = {"no node of cluster '" + options_.cluster + "' has announced itself yet"};
  }
  return j;
}

std::vector<dht::NodeRecord> SwarmClient::ServingNodes(int shard) const {
  std::lock_guard<std::mutex> lock(mu_);
  return view_->ServingNodes(shard, Clock::now());
}

std::optional<dht::NodeRecord> SwarmClient::FindPeer(const std::string& peer_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  const dht::NodeRecord* r = view_->FindPeer(peer_id);
  return r ? std::optional<dht::NodeRecord>(*r) : std::nullopt;
}

void SwarmClient::SetLinkHandlers(PeerMessageFn on_message, PeerCloseFn on_close) {
  std::lock_guard<std::mutex> lock(mu_);
  on_message_ = std::move(on_message);
  on_close_ = std::move(on_close);
}

Result<std::shared_ptr<NodeLink>> SwarmClient::Link(const dht::NodeRecord& node,
                                                    std::chrono::milliseconds timeout) {
  std::lock_guard<std::mutex> connecting(connect_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = links_.find(node.peer_id);
    if (it != links_.end() && it->second->connected()) return it->second;
  }
  NodeLink::MessageFn on_message;
  NodeLink::CloseFn on_close;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (on_message_)
      on_message = [f = on_message_, peer = node.peer_id](const net::IncomingMessage& m) { f(peer, m); };
    if (on_close_) on_close = [f = on_close_, peer = node.peer_id](const std::string& why) { f(peer, why); };
  }
  SS_ASSIGN_OR_RETURN(
      std::unique_ptr<NodeLink> link,
      NodeLink::Connect(identity_, options_.swarm_key, node.peer_id, node.rpc_endpoint, timeout,
                        std::move(on_message), std::move(on_close), [this] { AnnounceSelf(); }));
  std::shared_ptr<NodeLink> shared = std::move(link);
  std::lock_guard<std::mutex> lock(mu_);
  links_[node.peer_id] = shared;
  return shared;
}

}  // namespace ss::swarm
