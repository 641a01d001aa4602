#pragma once
// The secret shared by the processes of a private swarm (`--swarm-key FILE`,
// made by `shardswarm keygen`): 32 random bytes, stored as 64 hex digits.
// Everything a keyed process puts on the DHT is sealed with it (AES-256-GCM
// under a derived key, so strangers can neither read nor forge a record), the
// DHT keys and network id derive from it (so strangers cannot even find the
// records), and each RPC connection carries a MAC of both certificates under
// it in the WebSocket upgrade, in both directions.
//
// An empty SwarmKey (no --swarm-key) seals nothing: the swarm is open to any
// process that has a certificate its peers accept.

#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace ss {

class SwarmKey {
 public:
  SwarmKey() = default;
  static SwarmKey Generate();
  // Reads a key file (64 hex digits, surrounding whitespace allowed).
  static Result<SwarmKey> Load(const std::string& path);
  static Result<SwarmKey> FromHex(std::string_view hex);
  // Writes a new key to `path` (mode 0600), refusing to replace a file.
  static Status Create(const std::string& path);

  bool empty() const { return secret_.empty(); }
  std::string Hex() const;
  // A short public name of the key, for log lines: "9f2c…".
  std::string Name() const;

  // HMAC-SHA256 under a key derived for `purpose`, as 64 hex digits.
  std::string Mac(std::string_view purpose, std::string_view message) const;
  // The OpenDHT network id of the swarm (never 0, the public DHT's).
  uint32_t NetworkId() const;
  // AES-256-GCM with a random nonce: nonce | ciphertext | tag.
  std::string Seal(std::string_view plaintext) const;
  // The plaintext of Seal(), or an error when `sealed` was not sealed with this key.
  Result<std::string> Open(std::string_view sealed) const;

 private:
  explicit SwarmKey(std::string secret);

  std::string secret_;    // 32 raw bytes, or empty
  std::string seal_key_;  // the AES key Seal and Open use, derived from secret_
};

}  // namespace ss
