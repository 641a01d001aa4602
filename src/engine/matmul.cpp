#include "engine/matmul.h"

#include <string>

#include "engine/quants.h"
#include "engine/vec_dot.h"

namespace ss::engine {
namespace {

// Converting a row is cheap next to multiplying it, so only batches this big
// are worth spreading over the pool.
constexpr int64_t kParallelConvertTokens = 8;

void ConvertActivations(const TypeTraits& tt, const float* x, int64_t n_in, int64_t n_tokens, uint8_t* out,
                        size_t act_row_bytes, ThreadPool* pool) {
  auto convert = [&](int64_t begin, int64_t end, int) {
    for (int64_t t = begin; t < end; ++t) tt.from_float(x + t * n_in, out + t * act_row_bytes, n_in);
  };
  if (pool != nullptr && n_tokens >= kParallelConvertTokens) {
    pool->ParallelFor(n_tokens, convert);
  } else {
    convert(0, n_tokens, 0);
  }
}

}  // namespace

Status CheckMatMul(const WeightView& w) {
  const TypeTraits* tt = GetTypeTraits(w.type);
  if (tt == nullptr)
    return Status::Error(std::string("no matmul kernel for tensor type ") + gguf::TypeName(w.type));
  if (w.n_in <= 0 || w.n_out <= 0 || w.n_in % tt->block_size != 0) {
    return Status::Error("matmul shape " + std::to_string(w.n_in) + "x" + std::to_string(w.n_out) +
                         " does not fit blocks of " + std::to_string(tt->block_size));
  }
  if (w.data == nullptr) return Status::Error("matmul weight has no data");
  if (w.interleaved && (tt->gemm_x8 == nullptr || w.n_out % kInterleave != 0))
    return Status::Error(std::string("no interleaved kernel for ") + gguf::TypeName(w.type) + " with " +
                         std::to_string(w.n_out) + " rows");
  return Status::Ok();
}

Status MatMul(const WeightView& w, const float* x, int64_t n_tokens, float* y, ThreadPool* pool,
              std::vector<uint8_t>* scratch) {
  SS_RETURN_IF_ERROR(CheckMatMul(w));
  if (n_tokens <= 0) return Status::Ok();
  const TypeTraits& tt = *GetTypeTraits(w.type);
  const size_t w_stride = RowBytes(w.type, w.n_in);
  const size_t act_stride = RowBytes(tt.act_type, w.n_in);

  std::vector<uint8_t> local;
  std::vector<uint8_t>& buf = scratch != nullptr ? *scratch : local;
  if (buf.size() < act_stride * n_tokens) buf.resize(act_stride * n_tokens);
  ConvertActivations(tt, x, w.n_in, n_tokens, buf.data(), act_stride, pool);

  // Work is handed out in whole kernel tiles of rows, contiguous per thread.
  const GemmFn gemm = w.interleaved ? tt.gemm_x8 : tt.gemm;
  const int64_t tile = w.interleaved ? kInterleave : tt.tile_rows;
  const int64_t n_tiles = (w.n_out + tile - 1) / tile;
  const char* wdata = static_cast<const char*>(w.data);
  const uint8_t* act = buf.data();
  auto body = [&](int64_t begin, int64_t end, int) {
    const int64_t r0 = begin * tile;
    const int64_t r1 = end * tile < w.n_out ? end * tile : w.n_out;
    gemm(w.n_in, wdata + r0 * w_stride, w_stride, static_cast<int>(r1 - r0), act, act_stride,
         static_cast<int>(n_tokens), y + r0, static_cast<size_t>(w.n_out));
  };
  if (pool != nullptr) {
    pool->ParallelFor(n_tiles, body);
  } else {
    body(0, n_tiles, 0);
  }
  return Status::Ok();
}

}  // namespace ss::engine
