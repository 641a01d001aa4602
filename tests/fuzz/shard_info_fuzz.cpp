// `shard info` on arbitrary bytes: the GGUF reader, the shard keys
// (shardswarm.shard.*, gguf/shard_keys.h) and the report. Keys that are
// missing, mistyped or inconsistent are errors; what is accepted is a shard a
// node could serve (an id below the count, a layer range that is not empty).
#include <cstddef>
#include <cstdint>

#include "gguf/shard_keys.h"
#include "shard/info.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = ss::gguf::File::Parse(data, size);
  if (!f.ok()) return 0;
  auto keys = ss::gguf::ReadShardKeys(**f);
  auto report = ss::shard::DescribeFile(**f);
  if (keys.ok() != report.ok()) __builtin_trap();
  if (!keys.ok()) {
    if (keys.status().message().empty()) __builtin_trap();
    return 0;
  }
  if (*keys) {
    const ss::gguf::ShardKeys& k = **keys;
    if (k.id < 0 || k.id >= k.count || k.layer_start < 0 || k.layer_end <= k.layer_start) __builtin_trap();
    if (report->find("shard: " + std::to_string(k.id) + " of ") == std::string::npos) __builtin_trap();
  }
  return 0;
}
