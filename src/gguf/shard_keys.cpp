#include "gguf/shard_keys.h"

namespace ss::gguf {

Result<std::optional<ShardKeys>> ReadShardKeys(const File& f) {
  if (!f.Find(kKeyShardId) && !f.Find(kKeyShardCount) && !f.Find(kKeyLayerStart) && !f.Find(kKeyLayerEnd))
    return std::optional<ShardKeys>();
  auto id = f.GetInt(kKeyShardId);
  auto count = f.GetInt(kKeyShardCount);
  auto start = f.GetInt(kKeyLayerStart);
  auto end = f.GetInt(kKeyLayerEnd);
  auto model = f.GetString(kKeyModelId);
  for (const Status* st : {&id.status(), &count.status(), &start.status(), &end.status(), &model.status()})
    if (!st->ok()) return *st;
  if (*count < 1 || *id < 0 || *id >= *count || *start < 0 || *end <= *start || *end > 100000)
    return Status::Error(f.path() + ": shard keys are inconsistent (shard " + std::to_string(*id) + " of " +
                         std::to_string(*count) + ", layers [" + std::to_string(*start) + ", " +
                         std::to_string(*end) + "))");
  ShardKeys k;
  k.id = static_cast<int>(*id);
  k.count = static_cast<int>(*count);
  k.layer_start = static_cast<int>(*start);
  k.layer_end = static_cast<int>(*end);
  k.model_id = *model;
  return std::optional<ShardKeys>(k);
}

}  // namespace ss::gguf
