#pragma once
// The metadata keys that make a GGUF file a shardswarm shard (DESIGN.md §3),
// read in one place: the engine uses the layer range, the node and `shard
// validate` the rest.

#include <optional>
#include <string>
#include <string_view>

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

// Shard files are named shard-{id}.gguf: "shard-3.gguf" for 3, and back.
// ParseShardFileName takes a file name (no directory) and gives nullopt for
// any other name, "shard-03.gguf" and "shard-x.gguf" included.
std::string ShardFileName(int id);
std::optional<int> ParseShardFileName(std::string_view name);

// nullopt for a file without shard keys (a whole model); an error naming the
// key when some are present but missing, mistyped or inconsistent.
Result<std::optional<ShardKeys>> ReadShardKeys(const File& file);

}  // namespace ss::gguf
