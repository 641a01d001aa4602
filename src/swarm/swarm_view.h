#pragma once
// What a process knows about its cluster from DHT records: per shard, the
// nodes that announced it, whether each is online (announced within two of
// its own refresh intervals, plus a second of slack, and not found
// unreachable by a probe since) and whether its shard is loaded. One model
// per swarm: the model is the one most online, loaded nodes announce (ties:
// the lowest model id), and a node holding another model's shard does not
// count. The swarm is ready when every shard has an online node with its
// shard of that model loaded; otherwise Blockers() says why, in words an
// operator can act on.

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "dht/discovery.h"
#include "dht/record.h"
#include "util/status.h"

namespace ss::swarm {

using Clock = std::chrono::steady_clock;

// A node's shard download in words ("download downloading 45.0%, 12.3 MB/s,
// 3 peer(s), ETA 5 s") and as JSON, for reports, status and GET_STATUS.
std::string DownloadText(const dht::DownloadRecord& d);
nlohmann::json DownloadJson(const dht::DownloadRecord& d);

class SwarmView {
 public:
  SwarmView(std::string cluster, int total_shards)
      : cluster_(std::move(cluster)), total_shards_(total_shards) {}

  // Takes a value seen on shard key `shard`; ignores records that are not
  // signed by the peer they describe, belong elsewhere, or are older than
  // what is known. Returns whether the node's entry changed (new node, new
  // load state or endpoint).
  bool Update(int shard, const dht::SignedValue& value, bool expired, Clock::time_point seen);

  bool Online(const dht::NodeRecord& r, Clock::time_point last_seen, Clock::time_point now) const;
  // A probe of the node's endpoint failed (`why`, in words) at wall time
  // `wall_ms`: offline until it answers again or announces a newer record.
  // Both return whether the node's state changed.
  bool MarkUnreachable(const std::string& peer_id, const std::string& why, int64_t wall_ms);
  bool MarkReachable(const std::string& peer_id);
  bool IsUnreachable(const std::string& peer_id) const;
  // "node 3f9a… (shard 2)": how log lines name a node.
  static std::string Who(const dht::NodeRecord& node);
  // A prober's answer for `node` (Ok: it answered) applied with the two
  // above; on a change, the line to log ("node 3f9a… (shard 2) went
  // offline: …" or "… is back").
  std::optional<std::string> ApplyProbe(const dht::NodeRecord& node, const Status& probe, int64_t wall_ms);
  // The node answered a probe at `now`: as good as a fresh record (for a
  // one-shot reader whose stored copies of the records may lag behind).
  void Touch(const std::string& peer_id, Clock::time_point now);
  // Every node whose newest record was seen after `since`.
  std::vector<dht::NodeRecord> NodesSeenSince(Clock::time_point since) const;
  // The nodes whose newest record is recent enough to count them online,
  // whatever a probe found: the ones worth probing.
  std::vector<dht::NodeRecord> RecentNodes(Clock::time_point now) const;
  bool Ready(Clock::time_point now) const;
  // The swarm's model: the trusted manifest's when known (SetSwarmModel),
  // else the one most online, loaded nodes announce ("" while there is none).
  std::string ModelId(Clock::time_point now) const;
  // The model id of the manifest this process trusts (dist/), "" for none.
  void SetSwarmModel(std::string model_id) { swarm_model_ = std::move(model_id); }
  std::vector<std::string> Blockers(Clock::time_point now) const;
  // A compact fingerprint of who is online and loaded: changes mean "report".
  std::string StateKey(Clock::time_point now) const;
  // The [STATUS] report: one line per node, then readiness and blockers.
  std::string Report(Clock::time_point now, const std::string& self_peer) const;
  nlohmann::json ToJson(Clock::time_point now) const;
  const dht::NodeRecord* FindPeer(const std::string& peer_id) const;
  // Records of the nodes that can serve shard k now: online, shard loaded.
  std::vector<dht::NodeRecord> ServingNodes(int shard, Clock::time_point now) const;
  // Peer ids of the nodes online on shard k, loaded or not (fetching, loading).
  std::vector<std::string> OnlinePeers(int shard, Clock::time_point now) const;
  int total_shards() const { return total_shards_; }
  // For a process that learns the shard count from the records it sees.
  void set_total_shards(int n) { total_shards_ = n; }

 private:
  struct Entry {
    dht::NodeRecord record;
    Clock::time_point last_seen;
    std::string unreachable;  // why a probe failed; empty while it answers
    int64_t unreachable_wall_ms = 0;
  };
  Entry* FindEntry(const std::string& peer_id);
  std::string OfflineWhy(const Entry& e, Clock::time_point now) const;
  bool EntryOnline(const Entry& e, Clock::time_point now) const;

  std::string cluster_;
  std::string swarm_model_;
  int total_shards_;
  std::map<int, std::map<std::string, Entry>> shards_;  // shard -> peer id -> entry
};

// "layers 0-1" (inclusive, as every text line says it), or "layers ?".
std::string LayersText(const dht::NodeRecord& r);

}  // namespace ss::swarm
