#include "node/shard_choice.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "dht/record.h"
#include "swarm/join.h"
#include "util/clock.h"
#include "util/log.h"

namespace ss::node {
namespace {

// What the listeners have seen: the newest claim and node record per peer.
struct Seen {
  std::mutex mu;
  std::map<std::string, dht::ClaimRecord> claims;
  std::map<std::string, dht::NodeRecord> nodes;
};

struct Picture {
  std::vector<int> nodes_per_shard;
  std::vector<std::string> choosers;  // self included
  std::vector<std::string> peers_on;  // who else holds or chose each shard, for the log
};

// Counts every other peer once: by its node record when it has a fresh one,
// else by its fresh claim (a shard, or still choosing).
Picture Look(Seen& seen, const std::string& self, const ShardChoiceOptions& o) {
  const int64_t now = UnixMillis();
  Picture p;
  p.nodes_per_shard.assign(static_cast<size_t>(o.total_shards), 0);
  p.choosers.push_back(self);
  std::lock_guard<std::mutex> lock(seen.mu);
  for (const auto& [peer, r] : seen.nodes) {
    if (peer == self || now - r.time_ms > 3000LL * std::max(r.refresh_s, 1) + 2000) continue;
    if (r.shard_id >= 0 && r.shard_id < o.total_shards) p.nodes_per_shard[r.shard_id]++;
  }
  for (const auto& [peer, c] : seen.claims) {
    if (peer == self || now - c.time_ms > o.claim_fresh.count()) continue;
    auto node = seen.nodes.find(peer);
    if (node != seen.nodes.end() &&
        now - node->second.time_ms <= 3000LL * std::max(node->second.refresh_s, 1) + 2000)
      continue;  // counted by its node record
    if (c.shard < 0)
      p.choosers.push_back(peer);
    else if (c.shard < o.total_shards)
      p.nodes_per_shard[c.shard]++;
  }
  return p;
}

// Whether a peer with a lower id than `self` chose or serves `shard`.
bool LowerPeerHolds(Seen& seen, const std::string& self, int shard, const ShardChoiceOptions& o) {
  const int64_t now = UnixMillis();
  std::lock_guard<std::mutex> lock(seen.mu);
  for (const auto& [peer, c] : seen.claims)
    if (peer < self && c.shard == shard && now - c.time_ms <= o.claim_fresh.count()) return true;
  for (const auto& [peer, r] : seen.nodes)
    if (peer < self && r.shard_id == shard && now - r.time_ms <= 3000LL * std::max(r.refresh_s, 1) + 2000)
      return true;
  return false;
}

}  // namespace

bool ShardFits(uint64_t file_bytes, uint64_t memory_bytes) {
  return file_bytes == 0 || memory_bytes == 0 || file_bytes + file_bytes / 8 <= memory_bytes;
}

int AssignShard(std::vector<int> nodes_per_shard, std::vector<std::string> choosers, const std::string& self,
                const std::vector<bool>& fits) {
  if (nodes_per_shard.empty()) return -1;
  std::sort(choosers.begin(), choosers.end());
  choosers.erase(std::unique(choosers.begin(), choosers.end()), choosers.end());
  auto fewest = [&](bool only_fitting) {
    int best = -1;
    for (int k = 0; k < static_cast<int>(nodes_per_shard.size()); ++k)
      if ((!only_fitting || fits.empty() || fits[k]) &&
          (best < 0 || nodes_per_shard[k] < nodes_per_shard[best]))
        best = k;
    return best;
  };
  int taken = -1;
  for (const std::string& peer : choosers) {
    taken = fewest(peer == self);
    if (taken < 0 || peer == self) return taken;
    nodes_per_shard[taken]++;
  }
  return taken;
}

std::optional<int> SpareFor(const std::vector<std::vector<Replica>>& serving, const std::vector<int>& orphans,
                            const std::vector<uint64_t>& shard_bytes, const std::string& self) {
  std::vector<int> donors;
  for (size_t k = 0; k < serving.size(); ++k)
    if (serving[k].size() > 1) donors.push_back(static_cast<int>(k));
  std::stable_sort(donors.begin(), donors.end(),
                   [&](int a, int b) { return serving[a].size() > serving[b].size(); });
  for (int orphan : orphans) {
    const uint64_t bytes = orphan < static_cast<int>(shard_bytes.size()) ? shard_bytes[orphan] : 0;
    for (auto donor = donors.begin(); donor != donors.end(); ++donor) {
      const Replica* spare = nullptr;
      for (const Replica& r : serving[*donor])
        if (ShardFits(bytes, r.memory_bytes) && (!spare || r.peer_id > spare->peer_id)) spare = &r;
      if (!spare) continue;
      if (spare->peer_id == self) return orphan;
      donors.erase(donor);
      break;
    }
  }
  return std::nullopt;
}

Result<int> ChooseShard(dht::Discovery& discovery, const std::string& self, const ShardChoiceOptions& o) {
  if (o.total_shards < 1) return Status::Error("choosing a shard needs --total-shards");
  std::vector<bool> fits(static_cast<size_t>(o.total_shards), true);
  uint64_t smallest = 0;
  for (size_t k = 0; k < o.shard_bytes.size() && k < fits.size(); ++k) {
    fits[k] = ShardFits(o.shard_bytes[k], o.memory_bytes);
    if (smallest == 0 || o.shard_bytes[k] < smallest) smallest = o.shard_bytes[k];
  }
  if (std::find(fits.begin(), fits.end(), true) == fits.end())
    return Status::Error("no shard fits in this node's memory (" + std::to_string(o.memory_bytes >> 20) +
                         " MB, --memory): the smallest needs " +
                         std::to_string((smallest + smallest / 8) >> 20) + " MB");
  auto seen = std::make_shared<Seen>();
  const std::string cluster = o.cluster;
  discovery.Listen(dht::ClaimsKey(cluster), [seen, cluster](const dht::SignedValue& v, bool expired) {
    auto c = dht::ClaimRecord::FromJson(v.data);
    if (expired || !c.ok() || c->peer_id != v.owner || c->cluster != cluster) return;
    std::lock_guard<std::mutex> lock(seen->mu);
    auto [it, fresh] = seen->claims.try_emplace(c->peer_id, *c);
    if (!fresh && it->second.time_ms <= c->time_ms) it->second = *c;
  });
  for (int k = 0; k < o.total_shards; ++k)
    discovery.Listen(dht::ShardKey(cluster, k), [seen, cluster, k](const dht::SignedValue& v, bool expired) {
      auto r = dht::NodeRecord::FromJson(v.data);
      if (expired || !r.ok() || r->peer_id != v.owner || r->cluster != cluster || r->shard_id != k) return;
      std::lock_guard<std::mutex> lock(seen->mu);
      auto [it, fresh] = seen->nodes.try_emplace(r->peer_id, *r);
      if (!fresh && it->second.time_ms <= r->time_ms) it->second = *r;
    });
  auto announce = [&](int shard) {
    dht::ClaimRecord c{self, cluster, shard, UnixMillis()};
    discovery.Announce(dht::ClaimsKey(cluster), c.ToJson());
  };
  // Re-announced while waiting: a put that went to a peer since gone (the
  // DHT learns of dead peers only by their silence) is not lost.
  auto wait = [&](int shard, std::chrono::milliseconds span) {
    for (auto end = std::chrono::steady_clock::now() + span; std::chrono::steady_clock::now() < end;) {
      announce(shard);
      std::this_thread::sleep_for(std::min(span, std::chrono::milliseconds(400)));
    }
  };
  announce(-1);
  // A search completes once it heard from the live peers closest to the key,
  // which after churn takes the DHT a few seconds of timeouts on dead ones;
  // only then does the settle window mean "everyone saw everyone".
  const auto searched = std::chrono::steady_clock::now();
  discovery.Get(dht::ClaimsKey(cluster), std::chrono::seconds(15));
  for (int k = 0; k < o.total_shards; ++k) discovery.Get(dht::ShardKey(cluster, k), std::chrono::seconds(15));
  Log("SHARD", "choosing a shard: the DHT answered in " +
                   std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::steady_clock::now() - searched)
                                      .count()) +
                   " ms; waiting " + std::to_string(o.settle.count()) + " ms for nodes starting now");
  wait(-1, o.settle);
  std::string skipped;
  for (int k = 0; k < o.total_shards; ++k)
    if (!fits[k])
      skipped += (skipped.empty() ? " (too big for its memory: shard " : ", ") + std::to_string(k);
  if (!skipped.empty()) skipped += ")";
  int mine = -1;
  for (int round = 0; round < 8; ++round) {
    Picture p = Look(*seen, self, o);
    mine = AssignShard(p.nodes_per_shard, p.choosers, self, fits);
    std::string counts;
    for (int n : p.nodes_per_shard) counts += (counts.empty() ? "" : ",") + std::to_string(n);
    Log("SHARD", "choosing a shard: nodes per shard [" + counts + "], " + std::to_string(p.choosers.size()) +
                     " choosing now; taking shard " + std::to_string(mine) + skipped);
    wait(mine, o.confirm);
    Picture after = Look(*seen, self, o);
    int fewest = after.nodes_per_shard[mine];
    for (int k = 0; k < o.total_shards; ++k)
      if (fits[k]) fewest = std::min(fewest, after.nodes_per_shard[k]);
    if (after.nodes_per_shard[mine] <= fewest || !LowerPeerHolds(*seen, self, mine, o)) return mine;
    Log("SHARD", "a node with a lower peer id took shard " + std::to_string(mine) +
                     " at the same moment while another shard has fewer nodes: choosing again");
    wait(-1, o.confirm);
  }
  return mine;
}

}  // namespace ss::node
