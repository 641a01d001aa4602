#pragma once
// Route choice (DESIGN.md §8: one ready node per shard, best by health and
// load). A route only joins nodes whose shards carry the model the gateway
// serves and whose layer ranges follow each other from layer 0 to the last;
// a shard without such a node makes the swarm not ready for this request
// (code kNotReady), and the message names the shard and why.
//
// Among a shard's candidates the one with the fewest sessions this gateway
// has routed through it wins, then the lowest load it announces, then the
// lowest peer id (so the choice is stable). Thread-safe.

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
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
  Result<Route> Pick(const swarm::SwarmClient& swarm, const std::string& model_id, int total_layers);
  // Sessions in flight per node, for the load spread.
  void Acquire(const Route& route);
  void Release(const Route& route);
  nlohmann::json SessionsPerNode() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, int> sessions_;  // peer id -> sessions routed through it now
};

}  // namespace ss::gateway
