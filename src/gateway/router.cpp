#include "gateway/router.h"

#include <algorithm>

#include "swarm/swarm_view.h"

namespace ss::gateway {

std::string Route::Header() const {
  std::string out;
  for (const auto& h : hops) out += (out.empty() ? "" : ",") + h.peer_id;
  return out;
}

nlohmann::json Route::ToJson() const {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& h : hops)
    j.push_back({{"shard", h.shard_id},
                 {"peer_id", h.peer_id},
                 {"endpoint", h.rpc_endpoint},
                 {"layers", {h.layer_start, h.layer_end}}});
  return j;
}

Result<Route> Router::Pick(const swarm::SwarmClient& swarm, const std::string& model_id, int total_layers) {
  const int shards = swarm.total_shards();
  if (shards == 0) return Status::NotReady("no node has announced itself yet");
  Route route;
  std::vector<std::string> missing;
  int next_layer = 0;
  std::lock_guard<std::mutex> lock(mu_);
  for (int k = 0; k < shards; ++k) {
    std::vector<dht::NodeRecord> fit;
    std::string why = "no node serves it (none online with its shard loaded)";
    for (const dht::NodeRecord& r : swarm.ServingNodes(k)) {
      if (r.model_id != model_id) {
        why =
            "node " + swarm::ShortId(r.peer_id) + " serves another model (" + r.model_id.substr(0, 12) + ")";
      } else if (r.layer_start != next_layer || r.layer_end <= r.layer_start) {
        why = "node " + swarm::ShortId(r.peer_id) + " holds layers " + std::to_string(r.layer_start) + "-" +
              std::to_string(r.layer_end - 1) + ", but the route needs layer " + std::to_string(next_layer) +
              " next";
      } else {
        fit.push_back(r);
      }
    }
    if (fit.empty()) {
      missing.push_back("shard " + std::to_string(k) + ": " + why);
      continue;
    }
    auto load = [&](const dht::NodeRecord& r) {
      auto it = sessions_.find(r.peer_id);
      return it == sessions_.end() ? 0 : it->second;
    };
    std::sort(fit.begin(), fit.end(), [&](const dht::NodeRecord& a, const dht::NodeRecord& b) {
      if (load(a) != load(b)) return load(a) < load(b);
      if (a.load != b.load) return a.load < b.load;
      return a.peer_id < b.peer_id;
    });
    route.hops.push_back(fit.front());
    next_layer = fit.front().layer_end;
  }
  if (missing.empty() && next_layer != total_layers)
    missing.push_back("the shards end at layer " + std::to_string(next_layer) + " of " +
                      std::to_string(total_layers));
  if (!missing.empty()) {
    std::string text = "the swarm cannot serve this request: ";
    for (size_t i = 0; i < missing.size(); ++i) text += (i ? "; " : "") + missing[i];
    return Status::NotReady(text);
  }
  return route;
}

void Router::Acquire(const Route& route) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& h : route.hops) sessions_[h.peer_id]++;
}

void Router::Release(const Route& route) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& h : route.hops)
    if (--sessions_[h.peer_id] <= 0) sessions_.erase(h.peer_id);
}

nlohmann::json Router::SessionsPerNode() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [peer, n] : sessions_) j[peer] = n;
  return j;
}

}  // namespace ss::gateway
