#pragma once
// The shard of a node started without a shard id (`--shard-id auto`). The
// node says on its cluster's claims key that it is choosing, waits a settle
// window so that nodes starting at the same moment see one another, then
// computes the assignment every chooser computes from the same picture: the
// choosers in peer-id order each take the shard with the fewest nodes (those
// announced on the shard keys, and choices already made), ties to the lowest
// shard id. It announces its choice and looks again a moment later: if a
// chooser with a lower peer id took the same shard while another shard has
// fewer nodes, it chooses again. So N nodes started together on N shards end
// one per shard, 2N end two per shard, and a latecomer fills the emptiest.
// A node skips the shards it has no memory for (ShardFits); the others
// compute its turn as if it could take any, and the clash check mends that.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "dht/discovery.h"
#include "util/status.h"

namespace ss::node {

inline constexpr int kAutoShard = -1;

struct ShardChoiceOptions {
  std::string cluster;
  int total_shards = 0;
  std::chrono::milliseconds settle{2000};         // from saying "choosing" to choosing
  std::chrono::milliseconds confirm{600};         // from choosing to checking for a clash
  std::chrono::milliseconds claim_fresh{20'000};  // older claims are ignored
  uint64_t memory_bytes = 0;                      // what this node may use; 0: no limit
  std::vector<uint64_t> shard_bytes;              // each shard file's size; empty: unknown
};

// Whether a shard of `file_bytes` fits in `memory_bytes`: the weights plus an
// eighth for the KV cache and scratch (0 for either: unknown, fits).
bool ShardFits(uint64_t file_bytes, uint64_t memory_bytes);

// The shard `self` takes: nodes_per_shard[k] nodes serve or chose shard k
// already; `choosers` (peer ids, `self` among them) are still choosing;
// `self` takes only shards where fits[k] (empty: all fit). -1 when none fits.
int AssignShard(std::vector<int> nodes_per_shard, std::vector<std::string> choosers, const std::string& self,
                const std::vector<bool>& fits = {});

// A node serving a shard, as its record describes it.
struct Replica {
  std::string peer_id;
  uint64_t memory_bytes = 0;  // 0: unknown
};

// Rebalancing: the shard this node should switch to, if any. `serving[k]`
// are the nodes serving shard k now; `orphans` the shards that have had no
// node at all for a while; `shard_bytes[k]` shard k's file size (empty or 0:
// unknown). The orphans in order are matched with the donors (the shards with
// more than one serving node, those with the most replicas first, then the
// lowest id): an orphan takes the first donor left with a node it fits in
// (ShardFits), and of those nodes the highest peer id. Every node decides
// alike without talking; `self` moves when it is a matched spare.
std::optional<int> SpareFor(const std::vector<std::vector<Replica>>& serving, const std::vector<int>& orphans,
                            const std::vector<uint64_t>& shard_bytes, const std::string& self);

// Runs the protocol above on `discovery` (which this process must not use
// for anything else meanwhile); returns the chosen shard, or an error when
// no shard fits in options.memory_bytes.
Result<int> ChooseShard(dht::Discovery& discovery, const std::string& self,
                        const ShardChoiceOptions& options);

}  // namespace ss::node
