#include "engine/matmul.h"

#include <algorithm>
#include <array>
#include <string>

#include "engine/quants.h"
#include "engine/vec_dot.h"

namespace ss::engine {
namespace {

// Converting a row, or adding a panel's products to it, is cheap next to
// multiplying it, so only batches this big are worth spreading over the pool.
constexpr int64_t kParallelRowTokens = 8;

// The products one MatMuls call takes; q, k and v are the most any layer has.
constexpr size_t kMaxMatMuls = 4;

// An activation format of a MatMuls input: the rows converted for weights of
// type `tt` (any of those that share tt->act_type), and their terms for the
// interleaved kernels when one of those weights is interleaved.
struct ActFormat {
  const TypeTraits* tt = nullptr;
  bool sums = false;
  size_t offset = 0, stride = 0;         // rows in the scratch buffer
  size_t sums_offset = 0, sums_row = 0;  // their sum_x8 terms (SumX8InPanels), a row's bytes
};

void ConvertActivations(const ActFormat& f, const float* x, int64_t n_in, int64_t n_tokens, uint8_t* buf,
                        ThreadPool* pool) {
  auto convert = [&](int64_t begin, int64_t end, int) {
    for (int64_t t = begin; t < end; ++t) {
      uint8_t* row = buf + f.offset + t * f.stride;
      f.tt->from_float(x + t * n_in, row, n_in);
      if (f.sums)
        SumX8InPanels(*f.tt, n_in, row, static_cast<int>(t), static_cast<int>(n_tokens), buf + f.sums_offset);
    }
  };
  if (pool != nullptr && n_tokens >= kParallelRowTokens) {
    pool->ParallelFor(n_tokens, convert);
  } else {
    convert(0, n_tokens, 0);
  }
}

size_t AlignUp(size_t n) { return (n + 63) / 64 * 64; }

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
  if (w.interleaved() && (tt->gemm_x8 == nullptr || tt->sum_x8 == nullptr || w.n_out % kInterleave != 0))
    return Status::Error(std::string("no interleaved kernel for ") + gguf::TypeName(w.type) + " with " +
                         std::to_string(w.n_out) + " rows");
  if (w.interleaved() && w.group_rows != tt->group_rows)
    return Status::Error(std::string("a ") + gguf::TypeName(w.type) + " matrix interleaved by " +
                         std::to_string(w.group_rows) + " rows, but the kernels read groups of " +
                         std::to_string(tt->group_rows));
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

  if (outs.size() > kMaxMatMuls)
    return Status::Error("matmuls of one input: " + std::to_string(outs.size()) + " products, at most " +
                         std::to_string(kMaxMatMuls));

  // Activations once per format (and their terms for the interleaved
  // kernels once per input), one after the other in the scratch buffer, then
  // the panels' partial products.
  struct Job {
    const TypeTraits* tt;
    const ActFormat* act;
    size_t w_stride;
    int64_t tile, tiles;    // rows per task, tasks per panel
    int64_t n_panels;       // an interleaved matrix's panels (quants.h), else 1
    int64_t first_task;     // of n_panels * tiles, panel after panel
    size_t partial_offset;  // panels after the first: [n_panels - 1][n_tokens][n_out] floats
  };
  std::array<ActFormat, kMaxMatMuls> formats;
  std::array<Job, kMaxMatMuls> jobs;
  size_t n_formats = 0;
  int64_t n_tasks = 0;
  bool panels = false;  // some product has more than one
  for (size_t j = 0; j < outs.size(); ++j) {
    const WeightView& w = outs[j].w;
    const TypeTraits* tt = GetTypeTraits(w.type);
    size_t f = 0;
    while (f < n_formats && formats[f].tt->act_type != tt->act_type) ++f;
    if (f == n_formats) formats[n_formats++] = {tt, false, 0, RowBytes(tt->act_type, n_in), 0, 0};
    if (w.interleaved() && !formats[f].sums) {
      formats[f].tt = tt;  // a type with sum_x8
      formats[f].sums = true;
    }
    // Work is handed out in whole kernel tiles of rows of one panel, panel
    // after panel, so each thread's tasks are one run of the matrix's memory
    // (a thread moving between panels at every claim restarted its streams).
    const int64_t tile = w.interleaved() ? w.group_rows : tt->tile_rows;
    const int64_t n_panels = w.interleaved() ? (n_in + kPanelElements - 1) / kPanelElements : 1;
    jobs[j] = {tt, &formats[f], RowBytes(w.type, n_in), tile, (w.n_out + tile - 1) / tile, n_panels, n_tasks,
               0};
    n_tasks += n_panels * jobs[j].tiles;
    panels = panels || n_panels > 1;
  }
  size_t bytes = 0;
  for (size_t f = 0; f < n_formats; ++f) {
    formats[f].offset = bytes;
    bytes = AlignUp(bytes + formats[f].stride * static_cast<size_t>(n_tokens));
    if (!formats[f].sums) continue;
    formats[f].sums_row = formats[f].tt->SumX8Bytes(n_in);
    formats[f].sums_offset = bytes;
    bytes = AlignUp(bytes + formats[f].sums_row * static_cast<size_t>(n_tokens));
  }
  for (size_t j = 0; j < outs.size(); ++j) {
    jobs[j].partial_offset = bytes;
    const size_t panel_floats = static_cast<size_t>(n_tokens * outs[j].w.n_out);
    bytes = AlignUp(bytes + (jobs[j].n_panels - 1) * panel_floats * sizeof(float));
  }
  std::vector<uint8_t> local;
  std::vector<uint8_t>& buf = scratch != nullptr ? *scratch : local;
  if (buf.size() < bytes) buf.resize(bytes);
  for (size_t f = 0; f < n_formats; ++f) ConvertActivations(formats[f], x, n_in, n_tokens, buf.data(), pool);
  auto partial = [&](size_t j, int64_t panel) {
    return reinterpret_cast<float*>(buf.data() + jobs[j].partial_offset) +
           (panel - 1) * n_tokens * outs[j].w.n_out;
  };

  // Tasks [begin, end) of the concatenated tiles of all weights.
  auto body = [&](int64_t begin, int64_t end, int) {
    for (size_t j = 0; j < outs.size(); ++j) {
      const Job& job = jobs[j];
      const WeightView& w = outs[j].w;
      const uint8_t* a = buf.data() + job.act->offset;
      const int nc = static_cast<int>(n_tokens);
      for (int64_t p = 0; p < job.n_panels; ++p) {
        const int64_t first = job.first_task + p * job.tiles;
        const int64_t t0 = std::max(begin - first, int64_t{0}), t1 = std::min(end - first, job.tiles);
        if (t0 >= t1) continue;
        const int64_t r0 = t0 * job.tile, r1 = std::min(t1 * job.tile, w.n_out);
        const int nr = static_cast<int>(r1 - r0);
        float* y = (p == 0 ? outs[j].y : partial(j, p)) + r0;
        if (w.interleaved()) {
          job.tt->gemm_x8(n_in, w.data, w.n_out, p, r0, nr, a, job.act->stride,
                          buf.data() + job.act->sums_offset, nc, y, static_cast<size_t>(w.n_out));
        } else {
          const void* wr = static_cast<const char*>(w.data) + r0 * job.w_stride;
          job.tt->gemm(n_in, wr, job.w_stride, nr, a, job.act->stride, nc, y, static_cast<size_t>(w.n_out));
        }
      }
    }
  };
  if (pool != nullptr) {
    pool->ParallelFor(n_tasks, body);
  } else {
    body(0, n_tasks, 0);
  }

  // Each product is its first panel's plus the others', in panel order.
  auto add_panels = [&](int64_t begin, int64_t end, int) {
    for (size_t j = 0; j < outs.size(); ++j) {
      const int64_t n_out = outs[j].w.n_out;
      for (int64_t p = 1; p < jobs[j].n_panels; ++p) {
        const float* part = partial(j, p);
        for (int64_t i = begin * n_out; i < end * n_out; ++i) outs[j].y[i] += part[i];
      }
    }
  };
  if (!panels) return Status::Ok();
  if (pool != nullptr && n_tokens >= kParallelRowTokens) {
    pool->ParallelFor(n_tokens, add_panels);
  } else {
    add_panels(0, n_tokens, 0);
  }
  return Status::Ok();
}

}  // namespace ss::engine
