#pragma once
// The arguments of the node's control commands (DESIGN.md §7), read from a
// peer's message that already passed net::ValidateControlMessage. Every byte
// came from a peer: reading never throws, and an error says what the command
// needs.

#include <cstdint>
#include <nlohmann/json.hpp>

#include "util/status.h"

namespace ss::node {

// SESSION_CLOSE {"session": the session id, an unsigned integer}.
Result<uint64_t> SessionCloseArgs(const nlohmann::json& request);
// LOAD_SHARD {"shard_id": 0 .. total_shards - 1}.
Result<int> LoadShardArgs(const nlohmann::json& request, int total_shards);

}  // namespace ss::node
