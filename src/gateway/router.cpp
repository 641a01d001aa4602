#include "gateway/router.h"

#include <algorithm>

#include "swarm/swarm_view.h"
#include "util/hex.h"

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

Result<Route> Router::Pick(const swarm::SwarmClient& swarm, const std::string& model_id, int total_layers,
                           const std::set<std::string>& avoid) {
  std::vector<std::vector<dht::NodeRecord>> serving;
  for (int k = 0; k < swarm.total_shards(); ++k) {
    serving.push_back(swarm.ServingNodes(k));
    std::erase_if(serving.back(), [&](const dht::NodeRecord& r) {
      return avoid.count(r.peer_id + "@" + r.rpc_endpoint) > 0;
    });
  }
  return Pick(serving, model_id, total_layers);
}

Result<Route> Router::Pick(const std::vector<std::vector<dht::NodeRecord>>& serving,
                           const std::string& model_id, int total_layers) {
  if (serving.empty()) return Status::NotReady("no node has announced itself yet");
  Route route;
  std::vector<std::string> missing;
  int next_layer = 0;
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t k = 0; k < serving.size(); ++k) {
    std::vector<dht::NodeRecord> fit;
    std::string why = "no node serves it (none online with its shard loaded)";
    for (const dht::NodeRecord& r : serving[k]) {
      if (r.model_id != model_id) {
        why = "node " + ShortId(r.peer_id) + " serves another model (" + r.model_id.substr(0, 12) + ")";
      } else if (r.layer_start != next_layer || r.layer_end <= r.layer_start) {
        why = "node " + ShortId(r.peer_id) + " holds layers " + std::to_string(r.layer_start) + "-" +
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
    route.hops.push_back(Best(fit));
    next_layer = route.hops.back().layer_end;
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

// The candidate with the lowest expected wait (see router.h); mu_ is held.
const dht::NodeRecord& Router::Best(const std::vector<dht::NodeRecord>& fit) const {
  double best_measured = 0;
  bool any = false;
  for (const auto& r : fit)
    if (auto it = stage_ms_.find(r.peer_id); it != stage_ms_.end()) {
      best_measured = any ? std::min(best_measured, it->second) : it->second;
      any = true;
    }
  auto sessions = [&](const dht::NodeRecord& r) {
    auto it = sessions_.find(r.peer_id);
    return it == sessions_.end() ? 0 : it->second;
  };
  auto cost = [&](const dht::NodeRecord& r) {
    auto it = stage_ms_.find(r.peer_id);
    return (it == stage_ms_.end() ? best_measured : it->second) * (1 + sessions(r));
  };
  return *std::min_element(fit.begin(), fit.end(), [&](const dht::NodeRecord& a, const dht::NodeRecord& b) {
    if (cost(a) != cost(b)) return cost(a) < cost(b);
    if (sessions(a) != sessions(b)) return sessions(a) < sessions(b);
    if (a.load != b.load) return a.load < b.load;
    return a.peer_id < b.peer_id;
  });
}

void Router::ObserveStage(const std::string& peer_id, double ms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, fresh] = stage_ms_.try_emplace(peer_id, ms);
  if (!fresh) it->second += 0.2 * (ms - it->second);
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

nlohmann::json Router::StageMsPerNode() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [peer, ms] : stage_ms_) j[peer] = ms;
  return j;
}

}  // namespace ss::gateway
