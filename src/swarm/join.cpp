#include "swarm/join.h"

#include <chrono>
#include <thread>

namespace ss::swarm {

Result<std::unique_ptr<dht::Discovery>> JoinDht(const dht::NodeIdentity& id,
                                                const std::vector<std::string>& bootstrap,
                                                const std::string& listen_addr, int timeout_s,
                                                const SwarmKey& swarm_key, uint16_t port) {
  dht::DiscoveryOptions d;
  d.swarm_key = swarm_key;
  d.bootstrap = bootstrap;
  d.bind_address = listen_addr;
  d.port = port;
  SS_ASSIGN_OR_RETURN(auto disc, dht::Discovery::Start(id, d));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (!disc->connected() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (!disc->connected())
    return Status::Unavailable("no answer from the bootstrap node " +
                               (bootstrap.empty() ? std::string("(none given)") : bootstrap.front()) +
                               " within " + std::to_string(timeout_s) +
                               " s; is `shardswarm bootstrap` running there, with the same --swarm-key " +
                               "(this process: " + swarm_key.Name() + ")? (this process talks from " +
                               listen_addr + "; use --listen-addr to reach another host)");
  return disc;
}

}  // namespace ss::swarm
