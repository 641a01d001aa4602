#pragma once
// Layer-range plans: which layers [start, end) each shard holds, and which of
// a model's tensors go into which shard.
//
// The default plan splits L layers over N shards as evenly as possible:
// every shard gets L / N layers and the first L % N shards one more, so
// earlier shards are never shorter than later ones (10 over 4: 3,3,2,2).

#include <string>
#include <vector>

#include "util/status.h"

namespace ss::shard {

struct LayerRange {
  int start = 0;  // first layer
  int end = 0;    // one past the last layer
  int size() const { return end - start; }
  bool operator==(const LayerRange& o) const { return start == o.start && end == o.end; }
};

Result<std::vector<LayerRange>> EvenPlan(int layers, int shards);
// Parses "0-7,8-15,…" (inclusive ends, as users write them) and checks it.
Result<std::vector<LayerRange>> ParsePlan(const std::string& spec, int layers);
// A plan must cover 0..layers contiguously, each range non-empty.
Status CheckPlan(const std::vector<LayerRange>& plan, int layers);
std::string FormatRange(const LayerRange& r);  // "8-15" (inclusive, as users write)

// Whether a tensor belongs in a shard: its layers' tensors; token_embd on the
// first shard; output_norm and output on the last. When the model ties its
// output to the embeddings (no 'output.weight') the last shard carries
// token_embd too.
bool TensorInShard(const std::string& name, const LayerRange& range, bool first, bool last, bool tied);

}  // namespace ss::shard
