#include "gateway/swarm_events.h"

#include <cmath>
#include <cstdio>
#include <set>

#include "swarm/swarm_view.h"
#include "util/hex.h"

namespace ss::gateway {
namespace {

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string DownloadWords(const nlohmann::json& d) {
  const double rate = d.value("rate", 0.0);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.0f %% at %.*f %s from %d peer%s", d.value("percent", 0.0),
                rate < 1e6 ? 0 : 2, rate < 1e6 ? rate / 1e3 : rate / 1e6, rate < 1e6 ? "kB/s" : "MB/s",
                d.value("peers", 0), d.value("peers", 0) == 1 ? "" : "s");
  return buf;
}

}  // namespace

void SwarmEvents::Observe(const nlohmann::json& view) {
  std::set<std::string> present;
  if (view.contains("shards") && view["shards"].is_array())
    for (const nlohmann::json& s : view["shards"])
      for (const nlohmann::json& node : s.value("nodes", nlohmann::json::array())) {
        present.insert(Str(node, "peer_id"));
        ObserveNode(s.value("shard", 0), node);
      }
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    if (present.count(it->first)) {
      ++it;
      continue;
    }
    journal_.Add(
        "node",
        "node " + ShortId(it->first) + " left the swarm (shard " + std::to_string(it->second.shard) + ")",
        {{"peer_id", it->first},
         {"node", it->first.substr(0, 12)},
         {"shard", it->second.shard},
         {"state", "left"}});
    it = nodes_.erase(it);
  }
  ObserveReadiness(view);
}

void SwarmEvents::ObserveNode(int shard, const nlohmann::json& node) {
  const std::string peer = Str(node, "peer_id"), state = Str(node, "state");
  const std::string who = "node " + ShortId(peer);
  nlohmann::json base = {{"peer_id", peer}, {"node", peer.substr(0, 12)}, {"shard", shard}};
  auto it = nodes_.find(peer);
  const bool is_new = it == nodes_.end();
  Seen& seen = nodes_[peer];
  const std::string before = is_new ? "" : seen.state;
  seen.shard = shard;
  seen.state = state;

  nlohmann::json e = base;
  if (is_new) {
    e["state"] = "joined";
    journal_.Add("node",
                 who + " joined: shard " + std::to_string(shard) + " (layers " + Str(node, "layers") +
                     ") at " + Str(node, "rpc_endpoint") + ", " + state,
                 e);
  } else if (state != before) {
    std::string words;
    if (state == "offline") words = who + " is offline: " + Str(node, "offline_reason");
    if (state == "loaded") words = who + " serves shard " + std::to_string(shard);
    if (state == "loading") words = who + " is loading shard " + std::to_string(shard);
    if (state == "downloading") words = who + " is fetching shard " + std::to_string(shard);
    if (state == "problem")
      words = who + " cannot serve shard " + std::to_string(shard) + ": " + Str(node, "shard_problem");
    if (before == "offline" && state != "offline") words += " (online again)";
    e["state"] = before == "offline" && state != "offline" ? "online" : state;
    journal_.Add(state == "problem" ? "error" : "node", words, e);
  }
  const nlohmann::json& d = node.contains("download") ? node["download"] : nlohmann::json();
  if (state == "downloading" && d.is_object()) {
    const double percent = d.value("percent", 0.0);
    const int decile = static_cast<int>(std::floor(percent / 10));
    if (decile != seen.decile) {
      nlohmann::json p = base;
      p["percent"] = percent;
      p["rate_bytes_s"] = d.value("rate", 0.0);
      journal_.Add("download", who + " fetching shard " + std::to_string(shard) + ": " + DownloadWords(d), p);
      seen.decile = decile;
    }
  } else if (seen.decile >= 0 && state == "loaded") {
    nlohmann::json p = base;
    p["percent"] = 100.0;
    p["rate_bytes_s"] = 0;
    journal_.Add("download", who + " fetched shard " + std::to_string(shard), p);
    seen.decile = -1;
  }
}

void SwarmEvents::ObserveReadiness(const nlohmann::json& view) {
  const bool ready = view.value("swarm_ready", false);
  const nlohmann::json blockers = view.value("blockers", nlohmann::json::array());
  if (ready_ == ready && (ready || blockers == blockers_)) return;
  ready_ = ready;
  blockers_ = blockers;
  std::string words = ready ? "the swarm is ready" : "the swarm is not ready";
  for (const nlohmann::json& b : blockers)
    if (!ready && b.is_string()) words += "; " + b.get<std::string>();
  journal_.Add("status", words, {{"ready", ready}, {"blockers", blockers}});
}

}  // namespace ss::gateway
