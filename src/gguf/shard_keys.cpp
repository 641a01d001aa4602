#include "gguf/shard_keys.h"

namespace ss::gguf {

std::string ShardFileName(int id) { return "shard-" + std::to_string(id) + ".gguf"; }

std::optional<int> ParseShardFileName(std::string_view name) {
  constexpr std::string_view kPrefix = "shard-", kSuffix = ".gguf";
  if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) return std::nullopt;
  std::string_view digits = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  if (digits.empty() || digits.size() > 6 || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  int id = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    id = id * 10 + (c - '0');
  }
  return id;
}

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
  if (*count < 1 || *count > 100000 || *id < 0 || *id >= *count || *start < 0 || *end <= *start ||
      *end > 100000)
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
