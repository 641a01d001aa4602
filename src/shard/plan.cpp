#include "shard/plan.h"

#include <charconv>
#include <sstream>

#include "gguf/tensor_names.h"

namespace ss::shard {

Result<std::vector<LayerRange>> EvenPlan(int layers, int shards) {
  if (shards < 1) return Status::Error("the shard count must be at least 1");
  if (shards > layers)
    return Status::Error("cannot split " + std::to_string(layers) + " layers into " + std::to_string(shards) +
                         " shards: every shard needs at least one layer");
  std::vector<LayerRange> plan;
  int per = layers / shards, extra = layers % shards, start = 0;
  for (int i = 0; i < shards; ++i) {
    int n = per + (i < extra ? 1 : 0);
    plan.push_back({start, start + n});
    start += n;
  }
  return plan;
}

Status CheckPlan(const std::vector<LayerRange>& plan, int layers) {
  if (plan.empty()) return Status::Error("the layer plan is empty");
  int expect = 0;
  for (size_t i = 0; i < plan.size(); ++i) {
    const LayerRange& r = plan[i];
    if (r.end <= r.start)
      return Status::Error("shard " + std::to_string(i) + ": layer range " + FormatRange(r) + " is empty");
    if (r.start > expect)
      return Status::Error("layers " + std::to_string(expect) + "-" + std::to_string(r.start - 1) +
                           " are in no shard (gap before shard " + std::to_string(i) + ")");
    if (r.start < expect)
      return Status::Error("shard " + std::to_string(i) + " (layers " + FormatRange(r) +
                           ") overlaps the previous shard at layer " + std::to_string(r.start));
    expect = r.end;
  }
  if (expect != layers)
    return Status::Error("the plan ends at layer " + std::to_string(expect - 1) + " but the model has " +
                         std::to_string(layers) + " layers (0-" + std::to_string(layers - 1) + ")");
  return Status::Ok();
}

Result<std::vector<LayerRange>> ParsePlan(const std::string& spec, int layers) {
  std::vector<LayerRange> plan;
  std::stringstream ss(spec);
  std::string part;
  while (std::getline(ss, part, ',')) {
    size_t dash = part.find('-');
    int a = -1, b = -1;
    auto parse = [](const std::string& s, int* out) {
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
      return ec == std::errc() && p == s.data() + s.size() && *out >= 0;
    };
    bool ok = dash == std::string::npos ? parse(part, &a) && (b = a, true)
                                        : parse(part.substr(0, dash), &a) && parse(part.substr(dash + 1), &b);
    if (!ok || b < a)
      return Status::Error("layer range '" + part + "' is not of the form FIRST-LAST (for example 0-7)");
    plan.push_back({a, b + 1});
  }
  SS_RETURN_IF_ERROR(CheckPlan(plan, layers));
  return plan;
}

std::string FormatRange(const LayerRange& r) {
  return std::to_string(r.start) + "-" + std::to_string(r.end - 1);
}

bool TensorInShard(const std::string& name, const LayerRange& range, bool first, bool last, bool tied) {
  int layer = gguf::TensorLayer(name);
  if (layer >= 0) return layer >= range.start && layer < range.end;
  if (gguf::HasStem(name, gguf::kTokenEmbd)) return first || (last && tied);
  if (gguf::HasStem(name, gguf::kOutputNorm) || gguf::HasStem(name, gguf::kOutput)) return last;
  // Other global tensors (e.g. rope_freqs) are small and needed everywhere.
  return true;
}

}  // namespace ss::shard
