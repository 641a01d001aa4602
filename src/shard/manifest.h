#pragma once
// manifest.json beside the shard files: which model they come from and, per
// shard, its layer range, size and SHA-256, so a directory of shards can be
// checked without the source model.

#include <cstdint>
#include <string>
#include <vector>

#include "gguf/shard_keys.h"
#include "shard/plan.h"
#include "util/status.h"

namespace ss::shard {

inline constexpr char kManifestName[] = "manifest.json";
inline constexpr char kManifestFormat[] = "shardswarm-manifest/1";

// Metadata keys every shard file carries (defined with their reader in gguf/).
using gguf::kKeyLayerEnd;
using gguf::kKeyLayerStart;
using gguf::kKeyModelId;
using gguf::kKeyShardCount;
using gguf::kKeyShardId;

std::string ShardFileName(int id);  // "shard-3.gguf"

struct ShardEntry {
  int id = 0;
  std::string file;
  LayerRange layers;
  uint64_t size = 0;
  std::string sha256;
  // BitTorrent info-hashes (hex) of the shard's torrent, once a seeder made
  // one (dist/); empty in a manifest written by `shard split`.
  std::string info_hash_v1, info_hash_v2;
};

struct Manifest {
  std::string model_id;  // SHA-256 of the source GGUF
  std::string model_name;
  std::string architecture;
  std::string source_file;
  uint64_t source_size = 0;
  int layer_count = 0;
  std::vector<ShardEntry> shards;

  std::string ToJson() const;
  static Result<Manifest> FromJson(const std::string& text);
  static Result<Manifest> Load(const std::string& path);
};

}  // namespace ss::shard
