// Model manifests (shard/manifest.h) as a seeder may put them on the DHT or
// a user may copy them: parsing never crashes, what it accepts names its
// shards' files as shard-{id}.gguf with layer ranges within the model, and
// round-trips through its own JSON unchanged.
#include <cstddef>
#include <cstdint>
#include <string>

#include "shard/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto m = ss::shard::Manifest::FromJson(text);
  if (!m.ok()) {
    if (m.status().message().empty()) __builtin_trap();
    return 0;
  }
  for (const ss::shard::ShardEntry& e : m->shards)
    if (e.file != ss::shard::ShardFileName(e.id) || e.layers.start < 0 || e.layers.end <= e.layers.start ||
        e.layers.end > m->layer_count)
      __builtin_trap();
  const std::string json = m->ToJson();
  auto again = ss::shard::Manifest::FromJson(json);
  if (!again.ok() || again->ToJson() != json) __builtin_trap();
  return 0;
}
