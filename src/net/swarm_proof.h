#pragma once
// Internal to net/: how the two ends of an RPC connection prove they hold the
// swarm key, in a header of the WebSocket upgrade request and response. Each
// proof is a MAC under the key of both certificates of this TLS connection,
// so it is worthless on any other connection.

#include <string>

#include "util/swarm_key.h"

namespace ss::net {

inline constexpr char kSwarmProofHeader[] = "x-shardswarm-proof";

inline std::string ClientSwarmProof(const SwarmKey& key, const std::string& client_cert_fingerprint,
                                    const std::string& server_key_id) {
  return key.Mac("rpc-client", client_cert_fingerprint + " " + server_key_id);
}

inline std::string ServerSwarmProof(const SwarmKey& key, const std::string& server_key_id,
                                    const std::string& client_cert_fingerprint) {
  return key.Mac("rpc-server", server_key_id + " " + client_cert_fingerprint);
}

}  // namespace ss::net
