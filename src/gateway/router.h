#pragma once
// Route choice (DESIGN.md §8: one ready node per shard, best by health and
// load). A route only joins nodes whose shards carry the model the gateway
// serves and whose layer ranges follow each other from layer 0 to the last;
// a shard without such a node makes the swarm not ready for this request
// (code kNotReady), and the message names the shard and why.
//
// Among a shard's candidates the one with the lowest expected wait wins:
// its measured stage time (queue wait + compute, averaged over the steps
// this gateway saw) times one more than the sessions routed through it now.
// A node not measured yet counts as the best measured one of its shard, so
// it gets tried. Ties: fewer sessions, lower announced load, lower peer id
// (so the choice is stable). Thread-safe.

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "dht/record.h"
#include "swarm/swarm_client.h"
#include "util/status.h"

namespace ss::gateway {

struct Route {
  std::vector<dht::NodeRecord> hops;  // one per shard, in layer order

  // "peer0,peer1,...": the x-shardswarm-route header.
  std::string Header() const;
  nlohmann::json ToJson() const;  // [{"shard", "peer_id", "endpoint", "layers"}]
};

class Router {
 public:
  // `serving[k]`: the nodes that announce shard k online and loaded.
  Result<Route> Pick(const std::vector<std::vector<dht::NodeRecord>>& serving, const std::string& model_id,
                     int total_layers);
  // `avoid`: nodes not to use, as "peer_id@rpc_endpoint" (they failed this session).
  Result<Route> Pick(const swarm::SwarmClient& swarm, const std::string& model_id, int total_layers,
                     const std::set<std::string>& avoid = {});
  // One step's time at a node (queue wait + compute, from FORWARD timings).
  void ObserveStage(const std::string& peer_id, double ms);
  // Sessions in flight per node, for the load spread.
  void Acquire(const Route& route);
  void Release(const Route& route);
  nlohmann::json SessionsPerNode() const;
  nlohmann::json StageMsPerNode() const;  // the measured stage times, for /api/status

 private:
  const dht::NodeRecord& Best(const std::vector<dht::NodeRecord>& fit) const;

  mutable std::mutex mu_;
  std::map<std::string, int> sessions_;     // peer id -> sessions routed through it now
  std::map<std::string, double> stage_ms_;  // peer id -> moving average of its stage time
};

}  // namespace ss::gateway
