#pragma once
// A command that runs again and again (`status`) comes back to the DHT as the
// same node: its identity (hence its DHT node id) and its UDP port are kept
// in a slot under the user's cache dir. With a new identity per run, each run
// left a dead node in every routing table, and OpenDHT's searches wait about
// a second for each dead node they ask: after a few dozen runs, status took
// 1.4-2.5 s instead of 0.25 s. A command started while another holds the
// slot (or without a writable cache dir) runs as a throwaway node instead.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dht/discovery.h"
#include "dht/identity.h"
#include "util/dir_lock.h"
#include "util/status.h"

namespace ss::swarm {

struct ClientSlot {
  dht::NodeIdentity identity;
  std::string dir;                // empty for a throwaway slot
  std::unique_ptr<DirLock> lock;  // held while the command runs
};

// The slot `name` ($SHARDSWARM_CACHE_DIR, else $XDG_CACHE_HOME/shardswarm,
// else ~/.cache/shardswarm), or a throwaway one.
Result<ClientSlot> TakeClientSlot(const std::string& name);

// JoinDht (join.h) as the slot's node: on the port of its last run when that
// port is free, and remembers the port it got for the next run.
Result<std::unique_ptr<dht::Discovery>> JoinDhtFromSlot(const ClientSlot& slot,
                                                        const std::vector<std::string>& bootstrap,
                                                        const std::string& listen_addr, int timeout_s,
                                                        const SwarmKey& key);

}  // namespace ss::swarm
