#pragma once
// Discovery on OpenDHT (DESIGN.md §5): one DhtRunner on the project's private
// network id, bound to the configured address, bootstrapping only from the
// configured bootstrap nodes (retried until one answers, so any start order
// works). No multicast peer discovery, no proxy, never the public DHT.
//
// Announcements are signed values of one registered value type with a short
// lifetime, so a dead node's records disappear by themselves. Every
// announcement is a new value (see Announce); readers keep the newest per peer.
//
// With a swarm key (util/swarm_key.h) the network id and every DHT key derive
// from it and every value is sealed with it: processes with another key or
// none never reach this DHT, and a value that does not open is dropped.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dht/identity.h"
#include "util/status.h"
#include "util/swarm_key.h"

namespace ss::dht {

inline constexpr uint32_t kNetworkId = 0x73737761;  // "sswa": never the public DHT (0)
inline constexpr uint16_t kRecordType = 0x5353;
inline constexpr std::chrono::seconds kRecordLifetime{30};
// How often a connected process pings its bootstrap nodes (so a restarted
// bootstrap relearns the swarm within this).
inline constexpr std::chrono::seconds kBootstrapPingInterval{2};
// How long without any DHT peer before the log says the bootstrap is unreachable.
inline constexpr std::chrono::seconds kUnreachableAfter{3};

// Keys (InfoHash::get of these strings).
std::string ShardKey(const std::string& cluster, int shard);  // shardswarm/{cluster}/shard/{k}
std::string PeerKey(const std::string& cluster, const std::string& peer_id);
std::string ModelKey(const std::string& cluster);
std::string ClientsKey(const std::string& cluster);  // shardswarm/{cluster}/clients
std::string ClaimsKey(const std::string& cluster);   // shardswarm/{cluster}/claims
std::string FileKey(const std::string& cluster, const std::string& info_hash);  // …/file/{info_hash}

// "host:port" or "[v6]:port" into its parts; false unless the port is 1..65535.
bool SplitHostPort(const std::string& s, std::string* host, std::string* port);

struct DiscoveryOptions {
  std::string bind_address = "127.0.0.1";
  uint16_t port = 0;                   // 0: any free port
  std::vector<std::string> bootstrap;  // HOST:PORT; empty for the bootstrap node itself
  uint32_t network_id = kNetworkId;    // replaced by the swarm key's, if any
  SwarmKey swarm_key;                  // empty: an open swarm
  bool is_bootstrap = false;
  // Lines for the operator (bootstrap unreachable, answering again).
  std::function<void(const std::string&)> log;
};

// A signed value seen on a key: its data and the peer id of its signer.
struct SignedValue {
  std::string data;
  std::string owner;  // peer id, empty when unsigned
  uint64_t value_id = 0;
};

class Discovery {
 public:
  static Result<std::unique_ptr<Discovery>> Start(const NodeIdentity& identity,
                                                  const DiscoveryOptions& options);
  ~Discovery();

  uint16_t port() const;
  bool connected() const;  // has at least one good node
  size_t good_nodes() const;
  // Publishes (or refreshes) this process's value on `key` with a stable value id.
  void Announce(const std::string& key, const std::string& data);
  // Calls `cb` for every value on `key` as it appears, changes or expires.
  void Listen(const std::string& key, std::function<void(const SignedValue&, bool expired)> cb);
  // Values on `key` now (waits for the network up to `timeout`).
  std::vector<SignedValue> Get(const std::string& key, std::chrono::milliseconds timeout);
  // The same without waiting: `on_value` gets each stored value as it
  // arrives, `on_done` is called once when the search ends. Both run on
  // OpenDHT's thread and must not throw; keep what they use alive until the
  // Discovery is destroyed.
  void Fetch(const std::string& key, std::function<void(const SignedValue&)> on_value,
             std::function<void()> on_done);

 private:
  struct Impl;  // OpenDHT stays in discovery.cpp
  explicit Discovery(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ss::dht
