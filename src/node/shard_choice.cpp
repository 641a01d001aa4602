#include "node/shard_choice.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "dht/record.h"
#include "swarm/join.h"
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
  const int64_t now = swarm::WallMs();
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
  const int64_t now = swarm::WallMs();
  std::lock_guard<std::mutex> lock(seen.mu);
  for (const auto& [peer, c] : seen.claims)
    if (peer < self && c.shard == shard && now - c.time_ms <= o.claim_fresh.count()) return true;
  for (const auto& [peer, r] : seen.nodes)
    if (peer < self && r.shard_id == shard && now - r.time_ms <= 3000LL * std::max(r.refresh_s, 1) + 2000)
      return true;
  return false;
}

}  // namespace

int AssignShard(std::vector<int> nodes_per_shard, std::vector<std::string> choosers,
                const std::string& self) {
  if (nodes_per_shard.empty()) return -1;
  std::sort(choosers.begin(), choosers.end());
  choosers.erase(std::unique(choosers.begin(), choosers.end()), choosers.end());
  int taken = -1;
  for (const std::string& peer : choosers) {
    taken = static_cast<int>(std::min_element(nodes_per_shard.begin(), nodes_per_shard.end()) -
                             nodes_per_shard.begin());
    nodes_per_shard[taken]++;
    if (peer == self) return taken;
  }
  return taken;
}

std::optional<int> SpareFor(const std::vector<std::vector<std::string>>& serving,
                            const std::vector<int>& orphans, const std::string& self) {
  std::vector<int> donors;
  for (size_t k = 0; k < serving.size(); ++k)
    if (serving[k].size() > 1) donors.push_back(static_cast<int>(k));
  std::stable_sort(donors.begin(), donors.end(),
                   [&](int a, int b) { return serving[a].size() > serving[b].size(); });
  for (size_t i = 0; i < std::min(donors.size(), orphans.size()); ++i)
    if (*std::max_element(serving[donors[i]].begin(), serving[donors[i]].end()) == self) return orphans[i];
  return std::nullopt;
}

Result<int> ChooseShard(dht::Discovery& discovery, const std::string& self, const ShardChoiceOptions& o) {
  if (o.total_shards < 1) return Status::Error("choosing a shard needs --total-shards");
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
    dht::ClaimRecord c{self, cluster, shard, swarm::WallMs()};
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
  int mine = -1;
  for (int round = 0; round < 8; ++round) {
    Picture p = Look(*seen, self, o);
    mine = AssignShard(p.nodes_per_shard, p.choosers, self);
    std::string counts;
    for (int n : p.nodes_per_shard) counts += (counts.empty() ? "" : ",") + std::to_string(n);
    Log("SHARD", "choosing a shard: nodes per shard [" + counts + "], " + std::to_string(p.choosers.size()) +
                     " choosing now; taking shard " + std::to_string(mine));
    wait(mine, o.confirm);
    Picture after = Look(*seen, self, o);
    const int fewest = *std::min_element(after.nodes_per_shard.begin(), after.nodes_per_shard.end());
    if (after.nodes_per_shard[mine] <= fewest || !LowerPeerHolds(*seen, self, mine, o)) return mine;
    Log("SHARD", "a node with a lower peer id took shard " + std::to_string(mine) +
                     " at the same moment while another shard has fewer nodes: choosing again");
    wait(-1, o.confirm);
  }
  return mine;
}

}  // namespace ss::node
