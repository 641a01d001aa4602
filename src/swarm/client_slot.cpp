#include "swarm/client_slot.h"

#include <cstdlib>
#include <fstream>

#include "swarm/join.h"
#include "util/file_io.h"

namespace ss::swarm {
namespace {

std::string CacheRoot() {
  if (const char* d = std::getenv("SHARDSWARM_CACHE_DIR"); d != nullptr && *d != '\0') return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d != nullptr && *d != '\0')
    return std::string(d) + "/shardswarm";
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0')
    return std::string(h) + "/.cache/shardswarm";
  return "";
}

// "ADDRESS PORT" of the slot's last run.
std::string PortFile(const ClientSlot& slot) { return slot.dir + "/dht-port"; }

uint16_t LastPort(const ClientSlot& slot, const std::string& listen_addr) {
  std::ifstream in(PortFile(slot));
  std::string addr;
  int port = 0;
  if (!(in >> addr >> port) || addr != listen_addr || port <= 0 || port > 65535) return 0;
  return static_cast<uint16_t>(port);
}

}  // namespace

Result<ClientSlot> TakeClientSlot(const std::string& name) {
  ClientSlot slot;
  const std::string root = CacheRoot();
  if (!root.empty()) {
    const std::string dir = root + "/" + name;
    auto lock = DirLock::Acquire(dir);
    if (lock.ok()) {
      auto id = dht::LoadOrCreateIdentity(dir, "shardswarm-" + name);
      if (id.ok()) {
        slot.identity = std::move(id.value());
        slot.dir = dir;
        slot.lock = std::move(lock.value());
        return slot;
      }
    }
  }
  SS_ASSIGN_OR_RETURN(slot.identity, dht::EphemeralIdentity("shardswarm-" + name));
  return slot;
}

Result<std::unique_ptr<dht::Discovery>> JoinDhtFromSlot(const ClientSlot& slot,
                                                        const std::vector<std::string>& bootstrap,
                                                        const std::string& listen_addr, int timeout_s,
                                                        const SwarmKey& key) {
  if (slot.dir.empty()) return JoinDht(slot.identity, bootstrap, listen_addr, timeout_s, key);
  auto disc = JoinDht(slot.identity, bootstrap, listen_addr, timeout_s, key, LastPort(slot, listen_addr));
  if (!disc.ok() && disc.status().code() != StatusCode::kUnavailable)  // the old port is taken
    disc = JoinDht(slot.identity, bootstrap, listen_addr, timeout_s, key);
  if (disc.ok()) {
    // Best effort: without it the next run just takes another port.
    (void)WriteWholeFile(PortFile(slot), listen_addr + " " + std::to_string((*disc)->port()) + "\n");
  }
  return disc;
}

}  // namespace ss::swarm
