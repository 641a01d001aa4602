#pragma once
// Joining a cluster's DHT as a process that holds no shard (status, rpc, the
// gateway): start a DHT client on the project's private network and wait until
// the bootstrap node answers.

#include <memory>
#include <string>
#include <vector>

#include "dht/discovery.h"
#include "dht/identity.h"
#include "util/status.h"
#include "util/swarm_key.h"

namespace ss::swarm {

// Fails (code kUnavailable) when no bootstrap node answers within timeout_s,
// saying which address was tried and from where; with another code when the
// DHT cannot start (`port` taken). port 0: any free port.
Result<std::unique_ptr<dht::Discovery>> JoinDht(const dht::NodeIdentity& id,
                                                const std::vector<std::string>& bootstrap,
                                                const std::string& listen_addr, int timeout_s,
                                                const SwarmKey& swarm_key, uint16_t port = 0);

}  // namespace ss::swarm
