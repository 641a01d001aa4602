#pragma once
// The client side of a swarm, for processes that use nodes without holding a
// shard (the gateway; later `status` and `rpc`): joins the cluster's DHT,
// announces a signed client record (so nodes accept its connections), keeps
// a SwarmView fed by listening on every shard key and by probing every node
// once a second (a killed node is offline here within about a second), and
// keeps one NodeLink per node it talks to.
//
// The shard count is learnt from the records (listening on shards 0-7 until a
// record names it) unless given. Thread-safe; the message and close callbacks
// given to Link run on that link's reader thread.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "dht/discovery.h"
#include "dht/identity.h"
#include "dht/record.h"
#include "swarm/liveness.h"
#include "swarm/node_link.h"
#include "swarm/swarm_view.h"
#include "util/status.h"

namespace ss::swarm {

struct SwarmClientOptions {
  std::vector<std::string> bootstrap;
  std::string cluster = "default";
  std::string listen_addr = "127.0.0.1";
  std::string role = "gateway";
  int total_shards = 0;  // 0: learn it from the records
  int join_timeout_s = 10;
  int refresh_s = 5;   // how often the client record is announced again
  SwarmKey swarm_key;  // a private swarm's (util/swarm_key.h); empty: open
};

class SwarmClient {
 public:
  // Joins the DHT (fails when the bootstrap does not answer within
  // join_timeout_s) and starts listening and announcing.
  static Result<std::unique_ptr<SwarmClient>> Start(const dht::NodeIdentity& identity,
                                                    const SwarmClientOptions& options);
  ~SwarmClient();

  const dht::NodeIdentity& identity() const { return identity_; }
  const std::string& cluster() const { return options_.cluster; }
  // 0 until a record has named it.
  int total_shards() const;
  bool Ready() const;
  std::vector<std::string> Blockers() const;
  nlohmann::json ViewJson() const;
  std::vector<dht::NodeRecord> ServingNodes(int shard) const;
  std::optional<dht::NodeRecord> FindPeer(const std::string& peer_id) const;

  using PeerMessageFn = std::function<void(const std::string& peer_id, const net::IncomingMessage&)>;
  using PeerCloseFn = std::function<void(const std::string& peer_id, const std::string& why)>;
  // Where every link's unsolicited messages and its end go. Set it before the
  // first Link(); the callbacks run on the links' reader threads.
  void SetLinkHandlers(PeerMessageFn on_message, PeerCloseFn on_close);

  // The open link to a node, or a new one (connecting within `timeout`); a
  // closed link is replaced on the next call.
  Result<std::shared_ptr<NodeLink>> Link(const dht::NodeRecord& node, std::chrono::milliseconds timeout);

 private:
  SwarmClient() = default;
  void ListenShards(int up_to);  // caller holds mu_
  void AnnounceSelf();
  void RefreshLoop();
  std::vector<dht::NodeRecord> ProbeTargets() const;
  void OnProbe(const dht::NodeRecord& node, const Status& probe);
  void CloseAbandonedLinks();

  SwarmClientOptions options_;
  dht::NodeIdentity identity_;
  // Declared before the DHT: its listeners write here until it is destroyed.
  mutable std::mutex mu_;
  std::unique_ptr<SwarmView> view_;
  int listened_ = 0;
  std::map<std::string, std::shared_ptr<NodeLink>> links_;
  std::vector<std::shared_ptr<NodeLink>> abandoned_;  // links to nodes that went offline
  PeerMessageFn on_message_;
  PeerCloseFn on_close_;
  std::mutex connect_mu_;  // one connection attempt at a time
  std::unique_ptr<dht::Discovery> discovery_;
  std::atomic<bool> stop_{false};
  std::thread refresher_;
  std::unique_ptr<LivenessProber> prober_;  // calls into the view until destroyed
};

}  // namespace ss::swarm
