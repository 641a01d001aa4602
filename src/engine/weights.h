#pragma once
// The tensors one stage needs, looked up in a GGUF file (full model or shard)
// and checked: names, shapes against the config, and types the kernels can
// compute. Pointers refer to the file's memory map.

#include <vector>

#include "engine/config.h"
#include "engine/matmul.h"
#include "gguf/reader.h"
#include "util/status.h"

namespace ss::engine {

struct LayerWeights {
  const float* attn_norm = nullptr;
  WeightView wq, wk, wv, wo;
  const float* ffn_norm = nullptr;
  WeightView w_gate, w_up, w_down;
};

struct StageWeights {
  WeightView token_embd;               // first stage: rows are looked up, not multiplied
  const float* output_norm = nullptr;  // last stage
  WeightView output;                   // last stage (token_embd when tied)
  std::vector<LayerWeights> layers;    // layers [start, end)
};

Result<StageWeights> LoadStageWeights(const gguf::File& file, const Config& c, int start, int end, bool first,
                                      bool last);

// Rewrites the stage's matrices that have an interleaved kernel (quants.h
// CanInterleave, with a multiple of kInterleave rows) into the layout the
// active kernels read (InterleaveMatrix by TypeTraits::group_rows), in the
// file's own memory
// (FileLoad::kResident; a mapped file is left as it is), and marks them. The
// embedding table is read by rows and is left alone, also when the output
// shares it.
void InterleaveStageWeights(const gguf::File& file, StageWeights* w);

}  // namespace ss::engine
