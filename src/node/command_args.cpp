#include "node/command_args.h"

#include <string>

namespace ss::node {

Result<uint64_t> SessionCloseArgs(const nlohmann::json& request) {
  auto session = request.find("session");
  if (session == request.end() || !session->is_number_unsigned())
    return Status::InvalidArgument("SESSION_CLOSE needs \"session\": the session id (an unsigned integer)");
  return session->get<uint64_t>();
}

Result<int> LoadShardArgs(const nlohmann::json& request, int total_shards) {
  auto k = request.find("shard_id");
  const bool in_range =
      k != request.end() && k->is_number_integer() &&
      (k->is_number_unsigned() ? k->get<uint64_t>() < static_cast<uint64_t>(total_shards)
                               : k->get<int64_t>() >= 0 && k->get<int64_t>() < total_shards);
  if (!in_range)
    return Status::InvalidArgument("LOAD_SHARD needs \"shard_id\": 0 to " + std::to_string(total_shards - 1));
  return static_cast<int>(k->get<int64_t>());
}

}  // namespace ss::node
