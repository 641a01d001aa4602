#include "shard/info.h"

#include <cstdarg>
#include <cstdio>
#include <map>
#include <utility>
#include <vector>

#include "gguf/shard_keys.h"
#include "gguf/tensor_names.h"
#include "shard/plan.h"
#include "util/human_bytes.h"

namespace ss::shard {
namespace {

// printf into a std::string (lines of a report, of any length).
[[gnu::format(printf, 2, 3)]] void Append(std::string* out, const char* format, ...) {
  va_list args, copy;
  va_start(args, format);
  va_copy(copy, args);
  const int n = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  if (n > 0) {
    const size_t at = out->size();
    out->resize(at + static_cast<size_t>(n) + 1);
    std::vsnprintf(out->data() + at, static_cast<size_t>(n) + 1, format, args);
    out->resize(at + static_cast<size_t>(n));
  }
  va_end(args);
}

void AppendTensors(const gguf::File& f, std::string* out) {
  std::map<int, std::vector<const gguf::TensorInfo*>> by_layer;
  std::map<std::string, std::pair<int, uint64_t>> by_type;
  uint64_t total = 0;
  for (const gguf::TensorInfo& t : f.tensors()) {
    by_layer[gguf::TensorLayer(t.name)].push_back(&t);
    auto& bt = by_type[gguf::TypeName(t.type)];
    bt.first++;
    bt.second += t.size;
    total += t.size;
  }
  Append(out, "tensors (%zu, %s):\n", f.tensors().size(), HumanBytes(total).c_str());
  for (const auto& [layer, tensors] : by_layer) {
    uint64_t bytes = 0;
    for (const gguf::TensorInfo* t : tensors) bytes += t->size;
    Append(out, "  %s (%s)\n", layer < 0 ? "global" : ("layer " + std::to_string(layer)).c_str(),
           HumanBytes(bytes).c_str());
    for (const gguf::TensorInfo* t : tensors)
      Append(out, "    %-28s %-6s %-16s %s\n", t->name.c_str(), gguf::TypeName(t->type),
             t->ShapeString().c_str(), HumanBytes(t->size).c_str());
  }
  Append(out, "bytes per type:\n");
  for (const auto& [type, v] : by_type)
    Append(out, "  %-6s %4d tensors %12s\n", type.c_str(), v.first, HumanBytes(v.second).c_str());
}

}  // namespace

Result<std::string> DescribeFile(const gguf::File& file) {
  SS_ASSIGN_OR_RETURN(std::optional<gguf::ShardKeys> keys, gguf::ReadShardKeys(file));
  std::string out;
  Append(&out, "file: %s (%s), GGUF v%u, alignment %u, tensor data at offset %llu\n", file.path().c_str(),
         HumanBytes(file.file_size()).c_str(), file.version(), file.alignment(),
         static_cast<unsigned long long>(file.data_offset()));
  if (keys)
    Append(&out, "shard: %d of %d, layers [%d, %d), model id %s\n", keys->id, keys->count, keys->layer_start,
           keys->layer_end, keys->model_id.c_str());
  Append(&out, "metadata (%zu keys):\n", file.metadata().size());
  for (const gguf::KeyValue& kv : file.metadata())
    Append(&out, "  %-40s %s\n", kv.key.c_str(), kv.value.ToString().c_str());
  AppendTensors(file, &out);
  return out;
}

}  // namespace ss::shard
