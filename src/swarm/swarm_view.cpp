#include "swarm/swarm_view.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "shard/manifest.h"
#include "util/hex.h"

namespace ss::swarm {

std::string LayersText(const dht::NodeRecord& r) {
  return r.layer_end > r.layer_start
             ? "layers " + std::to_string(r.layer_start) + "-" + std::to_string(r.layer_end - 1)
             : std::string("layers ?");
}

std::string DownloadText(const dht::DownloadRecord& d) {
  const int filled = static_cast<int>(std::clamp(d.percent, 0.0, 100.0) / 5);
  char buf[160];
  std::snprintf(buf, sizeof buf, "download [%s%s] %.1f%% %s, %.1f MB/s, %d peer(s)",
                std::string(static_cast<size_t>(filled), '#').c_str(),
                std::string(static_cast<size_t>(20 - filled), '.').c_str(), d.percent, d.state.c_str(),
                static_cast<double>(d.rate) / 1e6, d.peers);
  std::string text = buf;
  if (d.eta_s >= 0) text += ", ETA " + std::to_string(d.eta_s) + " s";
  if (!d.error.empty()) text += ": " + d.error;
  return text;
}

nlohmann::json DownloadJson(const dht::DownloadRecord& d) {
  return {{"state", d.state}, {"percent", d.percent}, {"rate", d.rate},
          {"peers", d.peers}, {"eta_s", d.eta_s},     {"error", d.error}};
}

namespace {

// One word for a node, as the console shows it: offline, serving (loaded,
// even if it reports a problem such as a full disk), fetching its shard,
// without it for a problem, or still loading it.
const char* NodeState(const dht::NodeRecord& r, bool online) {
  if (!online) return "offline";
  if (r.shard_loaded) return "loaded";
  // A node fetching its shard also reports the file missing: the fetch is what matters.
  if (r.download && r.download->state != "error") return "downloading";
  if (!r.shard_problem.empty()) return "problem";
  return "loading";
}

}  // namespace

bool SwarmView::Update(int shard, const dht::SignedValue& v, bool expired, Clock::time_point seen) {
  // Every announcement is a new value, so an expiry concerns an old one;
  // liveness comes from when the newest was seen.
  if (expired) return false;
  auto r = dht::NodeRecord::FromJson(v.data);
  if (!r.ok() || r->peer_id != v.owner || r->cluster != cluster_ || r->shard_id != shard) return false;
  auto& nodes = shards_[shard];
  auto it = nodes.find(r->peer_id);
  if (it == nodes.end()) {
    nodes[r->peer_id] = Entry{*r, seen};
    return true;
  }
  Entry& e = it->second;
  if (seen < e.last_seen || r->time_ms < e.record.time_ms) return false;  // an older announcement
  bool changed = e.record.shard_loaded != r->shard_loaded || e.record.rpc_endpoint != r->rpc_endpoint;
  if (!e.unreachable.empty() && r->time_ms > e.unreachable_wall_ms) {  // announced since: alive again
    e.unreachable.clear();
    changed = true;
  }
  e.record = *r;
  e.last_seen = seen;
  return changed;
}

SwarmView::Entry* SwarmView::FindEntry(const std::string& peer_id) {
  for (auto& [k, nodes] : shards_)
    if (auto it = nodes.find(peer_id); it != nodes.end()) return &it->second;
  return nullptr;
}

bool SwarmView::MarkUnreachable(const std::string& peer_id, const std::string& why, int64_t wall_ms) {
  Entry* e = FindEntry(peer_id);
  if (!e || e->record.time_ms > wall_ms) return false;  // announced after the probe
  const bool changed = e->unreachable.empty();
  e->unreachable = why;
  e->unreachable_wall_ms = wall_ms;
  return changed;
}

bool SwarmView::MarkReachable(const std::string& peer_id) {
  Entry* e = FindEntry(peer_id);
  if (!e || e->unreachable.empty()) return false;
  e->unreachable.clear();
  return true;
}

bool SwarmView::IsUnreachable(const std::string& peer_id) const {
  for (const auto& [k, nodes] : shards_)
    if (auto it = nodes.find(peer_id); it != nodes.end()) return !it->second.unreachable.empty();
  return false;
}

std::string SwarmView::Who(const dht::NodeRecord& node) {
  return "node " + ShortId(node.peer_id) + " (shard " + std::to_string(node.shard_id) + ")";
}

void SwarmView::Touch(const std::string& peer_id, Clock::time_point now) {
  if (Entry* e = FindEntry(peer_id)) e->last_seen = std::max(e->last_seen, now);
}

std::vector<dht::NodeRecord> SwarmView::NodesSeenSince(Clock::time_point since) const {
  std::vector<dht::NodeRecord> out;
  for (const auto& [k, nodes] : shards_)
    for (const auto& [peer, e] : nodes)
      if (e.last_seen >= since) out.push_back(e.record);
  return out;
}

std::optional<std::string> SwarmView::ApplyProbe(const dht::NodeRecord& node, const Status& probe,
                                                 int64_t wall_ms) {
  const std::string who = Who(node);
  if (!probe.ok() && MarkUnreachable(node.peer_id, "not answering: " + probe.message(), wall_ms))
    return who + " went offline: " + probe.message();
  if (probe.ok() && MarkReachable(node.peer_id)) return who + " is back";
  return std::nullopt;
}

std::vector<dht::NodeRecord> SwarmView::RecentNodes(Clock::time_point now) const {
  std::vector<dht::NodeRecord> out;
  for (const auto& [k, nodes] : shards_)
    for (const auto& [peer, e] : nodes)
      if (Online(e.record, e.last_seen, now)) out.push_back(e.record);
  return out;
}

std::string SwarmView::OfflineWhy(const Entry& e, Clock::time_point now) const {
  if (!e.unreachable.empty()) return e.unreachable;
  auto age = std::chrono::duration_cast<std::chrono::seconds>(now - e.last_seen).count();
  return "last seen " + std::to_string(age) + " s ago";
}

bool SwarmView::Online(const dht::NodeRecord& r, Clock::time_point last_seen, Clock::time_point now) const {
  return now - last_seen <= std::chrono::seconds(2 * int64_t{r.refresh_s} + 1);
}

bool SwarmView::EntryOnline(const Entry& e, Clock::time_point now) const {
  return e.unreachable.empty() && Online(e.record, e.last_seen, now);
}

bool SwarmView::Ready(Clock::time_point now) const { return Blockers(now).empty(); }

std::string SwarmView::ModelId(Clock::time_point now) const {
  if (!swarm_model_.empty()) return swarm_model_;
  std::map<std::string, int> votes;
  for (const auto& [k, nodes] : shards_)
    for (const auto& [peer, e] : nodes)
      if (EntryOnline(e, now) && e.record.shard_loaded) votes[e.record.model_id]++;
  std::string best;
  int most = 0;
  for (const auto& [id, n] : votes)  // ordered: the lowest id wins a tie
    if (n > most) {
      best = id;
      most = n;
    }
  return best;
}

std::vector<std::string> SwarmView::Blockers(Clock::time_point now) const {
  std::vector<std::string> out;
  const std::string model = ModelId(now);
  for (int k = 0; k < total_shards_; ++k) {
    auto it = shards_.find(k);
    std::string prefix = "shard " + std::to_string(k) + ": ";
    if (it == shards_.end() || it->second.empty()) {
      out.push_back(prefix + "no node has announced it; start a node with --shard-id " + std::to_string(k));
      continue;
    }
    bool ready = false;
    std::vector<std::string> why;
    for (const auto& [peer, e] : it->second) {
      if (!EntryOnline(e, now)) {
        why.push_back("node " + ShortId(peer) + " is offline (" + OfflineWhy(e, now) + ")");
      } else if (!e.record.shard_loaded) {
        std::string file = shard::ShardFileName(k);
        bool missing = e.record.shard_problem.find("is not in") != std::string::npos;
        if (e.record.download && e.record.download->state != "error") {
          why.push_back("node " + ShortId(peer) + " is fetching " + file + ": " +
                        DownloadText(*e.record.download));
          continue;
        }
        why.push_back("node " + ShortId(peer) + " is online but has not loaded " + file +
                      (e.record.shard_problem.empty() ? "" : " (" + e.record.shard_problem + ")") +
                      (e.record.download ? "; its download failed: " + e.record.download->error
                       : missing ? "; copy " + file + " to its shards dir, or seed it (bootstrap --seed-dir)"
                                 : "; replace it with the right shard from `shardswarm shard split`"));
      } else if (e.record.model_id != model) {
        why.push_back("node " + ShortId(peer) + " holds a shard of another model (model id " +
                      ShortId(e.record.model_id) + ", while the swarm's is " + ShortId(model) +
                      "); give it " + shard::ShardFileName(k) + " from the same split as the others");
      } else {
        ready = true;
      }
    }
    if (ready) continue;
    std::string line = prefix;
    for (size_t i = 0; i < why.size(); ++i) line += (i ? "; " : "") + why[i];
    out.push_back(line);
  }
  return out;
}

std::string SwarmView::StateKey(Clock::time_point now) const {
  std::string key;
  for (const auto& [k, nodes] : shards_)
    for (const auto& [peer, e] : nodes)
      key += std::to_string(k) + peer.substr(0, 8) + (EntryOnline(e, now) ? "+" : "-") +
             (e.record.shard_loaded ? "L" : "_") + ";";
  return key;
}

std::string SwarmView::Report(Clock::time_point now, const std::string& self_peer) const {
  std::ostringstream os;
  int online = 0, nodes_total = 0, loaded_shards = 0;
  for (int k = 0; k < total_shards_; ++k) {
    auto it = shards_.find(k);
    bool loaded = false;
    if (it != shards_.end())
      for (const auto& [peer, e] : it->second) {
        ++nodes_total;
        if (EntryOnline(e, now)) ++online;
        loaded = loaded || (EntryOnline(e, now) && e.record.shard_loaded);
      }
    loaded_shards += loaded;
  }
  bool ready = Ready(now);
  std::string serving;
  for (int k = 0; k < total_shards_; ++k)
    serving += (k ? "," : "") + std::to_string(ServingNodes(k, now).size());
  os << "cluster=" << cluster_ << " swarm_ready=" << (ready ? "true" : "false")
     << " shards_ready=" << loaded_shards << "/" << total_shards_ << " nodes_online=" << online << "/"
     << nodes_total << " serving_per_shard=" << serving;
  for (const auto& [k, nodes] : shards_)
    for (const auto& [peer, e] : nodes) {
      auto age = std::chrono::duration_cast<std::chrono::milliseconds>(now - e.last_seen).count() / 1000.0;
      os << "\n  shard " << k << " " << LayersText(e.record) << "  node " << ShortId(peer)
         << (peer == self_peer ? " (self)" : "") << "  " << e.record.rpc_endpoint << "  "
         << (EntryOnline(e, now) ? "online" : "offline")
         << "  shard_loaded=" << (e.record.shard_loaded ? "true" : "false") << "  seen " << age << " s ago";
      if (e.record.download) os << "\n    " << DownloadText(*e.record.download);
    }
  for (const std::string& b : Blockers(now)) os << "\n  waiting: " << b;
  return os.str();
}

nlohmann::json SwarmView::ToJson(Clock::time_point now) const {
  nlohmann::json shards = nlohmann::json::array();
  for (int k = 0; k < total_shards_; ++k) {
    nlohmann::json nodes = nlohmann::json::array();
    auto it = shards_.find(k);
    if (it != shards_.end())
      for (const auto& [peer, e] : it->second)
        nodes.push_back(
            {{"peer_id", peer},
             {"rpc_endpoint", e.record.rpc_endpoint},
             {"layer_start", e.record.layer_start},
             {"layer_end", e.record.layer_end},           // exclusive
             {"layers", LayersText(e.record).substr(7)},  // "0-1", inclusive, as in the text
             {"shard_loaded", e.record.shard_loaded},
             {"model_id", e.record.model_id},
             {"shard_problem", e.record.shard_problem},
             {"online", EntryOnline(e, now)},
             {"state", NodeState(e.record, EntryOnline(e, now))},
             {"download", e.record.download ? DownloadJson(*e.record.download) : nlohmann::json()},
             {"offline_reason", EntryOnline(e, now) ? "" : OfflineWhy(e, now)},
             {"record_age_s",
              std::chrono::duration_cast<std::chrono::milliseconds>(now - e.last_seen).count() / 1000.0}});
    shards.push_back({{"shard", k}, {"replicas_serving", ServingNodes(k, now).size()}, {"nodes", nodes}});
  }
  return {{"cluster", cluster_},      {"total_shards", total_shards_}, {"swarm_ready", Ready(now)},
          {"model_id", ModelId(now)}, {"blockers", Blockers(now)},     {"shards", shards}};
}

std::vector<dht::NodeRecord> SwarmView::ServingNodes(int shard, Clock::time_point now) const {
  std::vector<dht::NodeRecord> out;
  auto it = shards_.find(shard);
  if (it == shards_.end()) return out;
  const std::string model = ModelId(now);
  for (const auto& [peer, e] : it->second)
    if (EntryOnline(e, now) && e.record.shard_loaded && e.record.model_id == model) out.push_back(e.record);
  return out;
}

std::vector<std::string> SwarmView::OnlinePeers(int shard, Clock::time_point now) const {
  std::vector<std::string> out;
  auto it = shards_.find(shard);
  if (it != shards_.end())
    for (const auto& [peer, e] : it->second)
      if (EntryOnline(e, now)) out.push_back(peer);
  return out;
}

const dht::NodeRecord* SwarmView::FindPeer(const std::string& peer_id) const {
  for (const auto& [k, nodes] : shards_) {
    auto it = nodes.find(peer_id);
    if (it != nodes.end()) return &it->second.record;
  }
  return nullptr;
}

}  // namespace ss::swarm
