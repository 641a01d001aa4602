#include "engine/matmul.h"

#include <algorithm>
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
  const MatMulOut out{w, y};
  return MatMuls({&out, 1}, x, n_tokens, pool, scratch);
}

Status MatMuls(std::span<const MatMulOut> outs, const float* x, int64_t n_tokens, ThreadPool* pool,
               std::vector<uint8_t>* scratch) {
  for (const MatMulOut& o : outs) {
    SS_RETURN_IF_ERROR(CheckMatMul(o.w));
    if (o.w.n_in != outs[0].w.n_in)
      return Status::Error("matmuls of one input differ in width: " + std::to_string(o.w.n_in) + " and " +
                           std::to_string(outs[0].w.n_in));
  }
  if (n_tokens <= 0 || outs.empty()) return Status::Ok();
  const int64_t n_in = outs[0].w.n_in;

  // Activations once per format, one after the other in the scratch buffer.
  struct Format {
    const TypeTraits* tt;  // a weight type that converts to this format
    size_t offset, stride;
  };
  struct Job {
    GemmFn gemm;
    size_t act_offset, act_stride, w_stride;
    int64_t tile, first_task, n_tasks;
  };
  std::vector<Format> formats;
  std::vector<Job> jobs;
  size_t act_bytes = 0;
  int64_t n_tasks = 0;
  for (const MatMulOut& o : outs) {
    const TypeTraits* tt = GetTypeTraits(o.w.type);
    auto f = std::find_if(formats.begin(), formats.end(),
                          [&](const Format& f) { return f.tt->act_type == tt->act_type; });
    if (f == formats.end()) {
      formats.push_back({tt, act_bytes, RowBytes(tt->act_type, n_in)});
      act_bytes += formats.back().stride * static_cast<size_t>(n_tokens);
      f = formats.end() - 1;
    }
    // Work is handed out in whole kernel tiles of rows, contiguous per thread.
    const int64_t tile = o.w.interleaved ? kInterleave : tt->tile_rows;
    jobs.push_back({o.w.interleaved ? tt->gemm_x8 : tt->gemm, f->offset, f->stride, RowBytes(o.w.type, n_in),
                    tile, n_tasks, (o.w.n_out + tile - 1) / tile});
    n_tasks += jobs.back().n_tasks;
  }
  std::vector<uint8_t> local;
  std::vector<uint8_t>& buf = scratch != nullptr ? *scratch : local;
  if (buf.size() < act_bytes) buf.resize(act_bytes);
  for (const Format& f : formats)
    ConvertActivations(*f.tt, x, n_in, n_tokens, buf.data() + f.offset, f.stride, pool);

  // Tasks [begin, end) of the concatenated tiles of all weights.
  auto body = [&](int64_t begin, int64_t end, int) {
    for (size_t j = 0; j < jobs.size(); ++j) {
      const Job& job = jobs[j];
      const WeightView& w = outs[j].w;
      const int64_t t0 = std::max(begin - job.first_task, int64_t{0});
      const int64_t t1 = std::min(end - job.first_task, job.n_tasks);
      if (t0 >= t1) continue;
      const int64_t r0 = t0 * job.tile, r1 = std::min(t1 * job.tile, w.n_out);
      job.gemm(n_in, static_cast<const char*>(w.data) + r0 * job.w_stride, job.w_stride,
               static_cast<int>(r1 - r0), buf.data() + job.act_offset, job.act_stride,
               static_cast<int>(n_tokens), outs[j].y + r0, static_cast<size_t>(w.n_out));
    }
  };
  if (pool != nullptr) {
    pool->ParallelFor(n_tasks, body);
  } else {
    body(0, n_tasks, 0);
  }
  return Status::Ok();
}

}  // namespace ss::engine
