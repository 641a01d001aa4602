#pragma once
// The metadata keys that make a GGUF file a shardswarm shard (DESIGN.md §3),
// read in one place: the engine uses the layer range, the node and `shard
// validate` the rest.

#include <optional>
#include <string>

#include "gguf/reader.h"
#include "util/status.h"

namespace ss::gguf {

inline constexpr char kKeyShardId[] = "shardswarm.shard.id";
inline constexpr char kKeyShardCount[] = "shardswarm.shard.count";
inline constexpr char kKeyLayerStart[] = "shardswarm.shard.layer_start";
inline constexpr char kKeyLayerEnd[] = "shardswarm.shard.layer_end";
inline constexpr char kKeyModelId[] = "shardswarm.model.id";

struct ShardKeys {
  int id = 0;
  int count = 0;
  int layer_start = 0;  // first layer
  int layer_end = 0;    // one past the last
  std::string model_id;
};

// nullopt for a file without shard keys (a whole model); an error naming the
// key when some are present but missing, mistyped or inconsistent.
Result<std::optional<ShardKeys>> ReadShardKeys(const File& file);

}  // namespace ss::gguf
