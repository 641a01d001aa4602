#pragma once
// y = W x for a weight matrix in its file type and a batch of float
// activation rows, on a thread pool.

#include <cstdint>
#include <span>
#include <vector>

#include "gguf/types.h"
#include "util/status.h"
#include "util/thread_pool.h"

namespace ss::engine {

// A weight matrix in ggml layout: n_out rows of n_in contiguous elements
// (ne0 = n_in, ne1 = n_out), rows packed back to back; or, when interleaved,
// groups of group_rows rows rewritten block by block for the kernels, in
// panels of columns (quants.h InterleaveMatrix, as the kernels'
// TypeTraits::group_rows asks; rows can no longer be read one by one).
struct WeightView {
  gguf::TensorType type = gguf::TensorType::F32;
  const void* data = nullptr;
  int64_t n_in = 0;
  int64_t n_out = 0;
  int group_rows = 0;  // 0: plain rows
  bool interleaved() const { return group_rows != 0; }
};

// Checks that the engine has kernels for w.type and that n_in fits its blocks.
Status CheckMatMul(const WeightView& w);

// y[t * n_out + o] = sum_i W[o][i] * x[t * n_in + i] for t < n_tokens.
// x is first converted once into the activation format of w.type (see
// vec_dot.h), exactly as llama.cpp does; output rows are then split across
// the pool. `scratch` holds the converted activations and may be reused
// across calls to avoid allocation (pass nullptr for a temporary).
Status MatMul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool* pool,
              std::vector<uint8_t>* scratch = nullptr);

// One product of several that share their activations (MatMuls).
struct MatMulOut {
  WeightView w;
  float* y = nullptr;  // [n_tokens][w.n_out]
};

// Each y = W x as MatMul (the same bits), for weights of the same n_in: x is
// converted once per activation format and all the weights' tiles share one
// parallel loop, so the threads meet once instead of once per weight (q, k
// and v of a layer; gate and up).
Status MatMuls(std::span<const MatMulOut> outs, const float* x, int64_t n_tokens, ThreadPool* pool,
               std::vector<uint8_t>* scratch = nullptr);

}  // namespace ss::engine
