#pragma once
// A process's persistent identity: an RSA-2048 key and a self-signed
// certificate (OpenDHT crypto), kept in the data dir as identity.key and
// identity.crt and reused across restarts. The peer id is the SHA-256 of the
// public key (OpenDHT's getLongId); the same key signs DHT records and
// authenticates TLS connections. Plain PEM text, so OpenDHT's types stay in
// dht/*.cpp (discovery.cpp loads the key from key_pem).

#include <string>

#include "util/status.h"

namespace ss::dht {

struct NodeIdentity {
  std::string peer_id;  // hex SHA-256 of the public key
  std::string cert_pem;
  std::string key_pem;
  std::string cert_fingerprint;  // hex SHA-256 of the certificate DER
};

// Loads the identity from data_dir, or creates and saves a new one there.
Result<NodeIdentity> LoadOrCreateIdentity(const std::string& data_dir, const std::string& name);

// A throwaway identity kept in memory only (status queries, tests).
Result<NodeIdentity> EphemeralIdentity(const std::string& name);

}  // namespace ss::dht
