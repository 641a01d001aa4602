#include "engine/stage.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>
#include <unordered_map>

#include "engine/ops.h"
#include "engine/quants.h"
#include "engine/vec_dot.h"
#include "gguf/shard_keys.h"
#include "util/half.h"

namespace ss::engine {
namespace {

// A file's own layer range: a shard's keys, or the whole model.
Status FileRange(const gguf::File& f, const Config& c, int* start, int* end) {
  auto keys = gguf::ReadShardKeys(f);
  if (!keys.ok()) return keys.status();
  *start = *keys ? (*keys)->layer_start : 0;
  *end = *keys ? (*keys)->layer_end : c.n_layer;
  return Status::Ok();
}

// Bytes of cache rows attention prefetches per piece of its tasks: a quarter
// of Zen 4's 1 MiB L2 (more on recent Intel cores), so they are still there
// when read.
constexpr int64_t kAttentionPrefetchBytes = 256 << 10;

// Asks for [p, p + bytes) to come into the cache, without waiting for it.
void PrefetchBytes(const uint8_t* p, size_t bytes) {
  for (size_t off = 0; off < bytes; off += 64) __builtin_prefetch(p + off, 0, 3);
}

}  // namespace

Result<std::unique_ptr<Stage>> Stage::Open(const std::string& path, const StageOptions& o) {
  // Resident, on huge pages: every token streams all of the stage's weights.
  auto file = gguf::File::Open(path, FileLoad::kResident);
  if (!file.ok()) return file.status();
  auto config = Config::FromGguf(**file);
  if (!config.ok()) return config.status();
  int start = 0, end = 0;
  SS_RETURN_IF_ERROR(FileRange(**file, *config, &start, &end));
  if (o.layer_start >= 0 || o.layer_end >= 0) {
    int s = o.layer_start >= 0 ? o.layer_start : start, e = o.layer_end >= 0 ? o.layer_end : end;
    if (s < start || e > end || s >= e)
      return Status::Error(path + ": layers [" + std::to_string(s) + ", " + std::to_string(e) +
                           ") are not inside the file's layers [" + std::to_string(start) + ", " +
                           std::to_string(end) + ")");
    start = s;
    end = e;
  }
  if (start < 0 || end > config->n_layer || start >= end)
    return Status::Error(path + ": invalid layer range [" + std::to_string(start) + ", " +
                         std::to_string(end) + ")");
  if (o.n_ctx > config->n_ctx)
    return Status::Error("a context of " + std::to_string(o.n_ctx) +
                         " tokens is beyond the model's maximum of " + std::to_string(config->n_ctx) +
                         "; use -c " + std::to_string(config->n_ctx) + " or less (0: the model's)");
  if (o.n_ctx < 0)
    return Status::Error("the context size must be 0 (the model's) or more, not " + std::to_string(o.n_ctx));
  if (o.n_threads < 0)
    return Status::Error("the thread count must be 0 (all usable cores) or more, not " +
                         std::to_string(o.n_threads));
  const int n_ctx = o.n_ctx > 0 ? o.n_ctx : config->n_ctx;
  std::unique_ptr<Stage> stage(new Stage(std::move(file.value()), *config, start, end, n_ctx, o));
  auto w = LoadStageWeights(*stage->file_, stage->config_, start, end, stage->is_first(), stage->is_last());
  if (!w.ok()) return w.status();
  stage->w_ = std::move(w.value());
  InterleaveStageWeights(*stage->file_, &stage->w_);
  return stage;
}

Stage::Stage(std::unique_ptr<gguf::File> file, Config config, int start, int end, int n_ctx,
             const StageOptions& o)
    : file_(std::move(file)),
      config_(std::move(config)),
      start_(start),
      end_(end),
      n_ctx_(n_ctx),
      kv_(end - start, config_.n_head_kv, config_.head_dim, n_ctx, o.kv_type, o.kv_max_bytes),
      pool_(o.n_threads > 0 ? std::min(o.n_threads, ThreadPool::UsableCores()) : ThreadPool::UsableCores()) {
  const size_t group = static_cast<size_t>(config_.n_head / config_.n_head_kv);
  scores_.resize(static_cast<size_t>(pool_.size()), std::vector<float>(group * static_cast<size_t>(n_ctx_)));
  q16_.resize(static_cast<size_t>(pool_.size()), std::vector<uint16_t>(group * config_.head_dim));
}

Status Stage::CheckRows(const std::vector<BatchRow>& rows, std::vector<KvCache::Session*>* sessions) {
  if (rows.empty()) return Status::Error("empty batch");
  // Per session: first position and row count; positions must be consecutive.
  struct Span {
    int first, count;
  };
  std::unordered_map<uint64_t, Span> spans;
  for (const BatchRow& r : rows) {
    if (is_first() && (r.token < 0 || r.token >= config_.n_vocab))
      return Status::Error("token id " + std::to_string(r.token) + " is outside the vocabulary of " +
                           std::to_string(config_.n_vocab));
    auto [it, fresh] = spans.try_emplace(r.session, Span{r.pos, 0});
    if (r.pos != it->second.first + it->second.count)
      return Status::Error("session " + std::to_string(r.session) + ": position " + std::to_string(r.pos) +
                           " does not follow position " +
                           std::to_string(it->second.first + it->second.count - 1) + " in the batch");
    it->second.count++;
  }
  std::unordered_map<uint64_t, KvCache::Session*> prepared;
  for (const auto& [id, span] : spans) {
    auto s = kv_.Prepare(id, span.first, span.count);
    if (!s.ok()) return s.status();
    prepared[id] = *s;
  }
  sessions->clear();
  for (const BatchRow& r : rows) sessions->push_back(prepared[r.session]);
  return Status::Ok();
}

void Stage::Embed(const std::vector<BatchRow>& rows) {
  const int64_t E = config_.n_embd;
  const size_t row_bytes = RowBytes(w_.token_embd.type, E);
  const auto* base = static_cast<const uint8_t*>(w_.token_embd.data);
  for (size_t i = 0; i < rows.size(); ++i)
    DequantizeRow(w_.token_embd.type, base + static_cast<size_t>(rows[i].token) * row_bytes, &x_[i * E], E);
}

// Causal attention of every (row, head) over its session's cache; llama.cpp's
// rounding for an F16 cache: Q and the softmax weights in F16. A task is one
// row's KV head with the query heads that share it, so each K and V row is
// read once for all of them: their scores are one gemm over the cache rows,
// their outputs weighted sums of the V rows.
void Stage::Attention(int l, const std::vector<BatchRow>& rows,
                      const std::vector<KvCache::Session*>& sessions) {
  const int hd = config_.head_dim, n_head_kv = config_.n_head_kv, group = config_.n_head / config_.n_head_kv;
  const int64_t E = config_.n_embd;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const bool f16 = kv_.type() == KvType::kF16;
  const size_t elem = f16 ? sizeof(uint16_t) : sizeof(float);
  const TypeTraits& kv_traits = *GetTypeTraits(f16 ? gguf::TensorType::F16 : gguf::TensorType::F32);
  const int layer = l - start_;
  struct Task {
    size_t r;  // row
    int g;     // KV head
    const uint8_t *k, *v;
    int n;  // positions: the row's and those before it
  };
  auto task_of = [&](int64_t task) {
    const size_t r = static_cast<size_t>(task / n_head_kv);
    const int g = static_cast<int>(task % n_head_kv);
    const KvCache::Session& s = *sessions[r];
    const size_t offset = kv_.Offset(s, g, 0);
    return Task{r, g, s.k[layer].data() + offset, s.v[layer].data() + offset, rows[r].pos + 1};
  };
  pool_.ParallelFor(static_cast<int64_t>(rows.size()) * n_head_kv, [&](int64_t begin, int64_t end, int tid) {
    // The cache rows were written a whole layer of weights ago and have left
    // the caches; asked for up front, their misses overlap instead of each
    // head's K and then V waiting as one stream (measured at 144 positions:
    // attention -13 %, decode +1-1.7 %). A prefill's rows share their
    // session's K and V, so the first tasks' worth is enough.
    for (int64_t task = begin, left = kAttentionPrefetchBytes; task < end && left > 0; ++task) {
      const Task t = task_of(task);
      const size_t bytes = std::min(static_cast<size_t>(t.n) * hd * elem, static_cast<size_t>(left / 2));
      PrefetchBytes(t.k, bytes);
      PrefetchBytes(t.v, bytes);
      left -= static_cast<int64_t>(2 * bytes);
    }
    float* scores = scores_[static_cast<size_t>(tid)].data();  // [group][n_ctx]
    uint16_t* q16 = q16_[static_cast<size_t>(tid)].data();     // [group][head_dim]
    for (int64_t task = begin; task < end; ++task) {
      const Task t = task_of(task);
      const int n = t.n;
      const float* q = &q_[t.r * E + static_cast<size_t>(t.g) * group * hd];
      float* out = &att_[t.r * E + static_cast<size_t>(t.g) * group * hd];
      if (f16) FloatToHalfRow(q, q16, static_cast<int64_t>(group) * hd);
      kv_traits.gemm(hd, t.k, hd * elem, n, f16 ? static_cast<const void*>(q16) : q, hd * elem, group, scores,
                     static_cast<size_t>(n_ctx_));
      // With an F16 cache the weights are rounded to F16, as llama.cpp multiplies V.
      for (int h = 0; h < group; ++h) Softmax(scores + static_cast<size_t>(h) * n_ctx_, n, scale, f16);
      // The group's heads share each V row as it is read.
      if (f16) {
        WeightedSumF16(group, scores, n_ctx_, n, reinterpret_cast<const uint16_t*>(t.v),
                       static_cast<size_t>(hd), hd, out, hd);
      } else {
        WeightedSumF32(group, scores, n_ctx_, n, reinterpret_cast<const float*>(t.v), static_cast<size_t>(hd),
                       hd, out, hd);
      }
    }
  });
}

Status Stage::Layer(int l, const std::vector<BatchRow>& rows,
                    const std::vector<KvCache::Session*>& sessions) {
  const LayerWeights& w = w_.layers[static_cast<size_t>(l - start_)];
  const int64_t n = static_cast<int64_t>(rows.size()), E = config_.n_embd, F = config_.n_ff;
  const int64_t kv_dim = kv_.kv_dim();
  const int layer = l - start_;

  // Attention block: RMS norm, then the q, k and v projections of all rows at once.
  for (int64_t i = 0; i < n; ++i) RmsNorm(&x_[i * E], w.attn_norm, E, config_.rms_eps, &xb_[i * E]);
  const MatMulOut qkv[] = {{w.wq, q_.data()}, {w.wk, k_.data()}, {w.wv, v_.data()}};
  SS_RETURN_IF_ERROR(MatMuls(qkv, xb_.data(), n, &pool_, &act_));
  // RoPE on q and k at each row's position; k and v into its session's cache there.
  for (int64_t i = 0; i < n; ++i) {
    const int pos = rows[i].pos;
    const float* cos = &rope_[static_cast<size_t>(i * config_.rope_dim)];
    const float* sin = cos + config_.rope_dim / 2;
    RopeNormalWithAngles(&q_[i * E], config_.n_head, config_.head_dim, config_.rope_dim, cos, sin);
    RopeNormalWithAngles(&k_[i * kv_dim], config_.n_head_kv, config_.head_dim, config_.rope_dim, cos, sin);
    kv_.Store(*sessions[i], layer, pos, &k_[i * kv_dim], &v_[i * kv_dim]);
  }
  // Each query head over its session's cache, then the output projection and the residual.
  Attention(l, rows, sessions);
  SS_RETURN_IF_ERROR(MatMul(w.wo, att_.data(), n, xb_.data(), &pool_, &act_));
  for (int64_t i = 0; i < n * E; ++i) x_[i] += xb_[i];

  // Feed-forward block: RMS norm, the gate and up projections, SiLU(gate) * up,
  // the down projection and the residual.
  for (int64_t i = 0; i < n; ++i) RmsNorm(&x_[i * E], w.ffn_norm, E, config_.rms_eps, &xb_[i * E]);
  const MatMulOut gate_up[] = {{w.w_gate, gate_.data()}, {w.w_up, up_.data()}};
  SS_RETURN_IF_ERROR(MatMuls(gate_up, xb_.data(), n, &pool_, &act_));
  // Row by row, on the pool for a prefill (a row's result is the same wherever it runs).
  auto silu_mul = [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) SiluMul(&gate_[i * F], &up_[i * F], F, &gate_[i * F]);
  };
  if (n >= 4) {
    pool_.ParallelFor(n, silu_mul);
  } else {
    silu_mul(0, n, 0);
  }
  SS_RETURN_IF_ERROR(MatMul(w.w_down, gate_.data(), n, xb_.data(), &pool_, &act_));
  for (int64_t i = 0; i < n * E; ++i) x_[i] += xb_[i];
  return Status::Ok();
}

Status Stage::Logits(const std::vector<BatchRow>& rows, std::vector<float>* out) {
  const int64_t E = config_.n_embd;
  int64_t m = 0;
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i].logits) RmsNorm(&x_[i * E], w_.output_norm, E, config_.rms_eps, &xb_[(m++) * E]);
  out->resize(static_cast<size_t>(m) * static_cast<size_t>(config_.n_vocab));
  return MatMul(w_.output, xb_.data(), m, out->data(), &pool_, &act_);
}

Status Stage::Forward(const std::vector<BatchRow>& rows, const float* hidden_in, std::vector<float>* out) {
  std::vector<KvCache::Session*> sessions;
  SS_RETURN_IF_ERROR(CheckRows(rows, &sessions));
  const size_t n = rows.size(), E = static_cast<size_t>(config_.n_embd),
               KV = static_cast<size_t>(kv_.kv_dim()), F = static_cast<size_t>(config_.n_ff);
  x_.resize(n * E);
  xb_.resize(n * E);
  q_.resize(n * E);
  att_.resize(n * E);
  k_.resize(n * KV);
  v_.resize(n * KV);
  gate_.resize(n * F);
  up_.resize(n * F);
  const int rd = config_.rope_dim;
  rope_.resize(n * static_cast<size_t>(rd));
  for (size_t i = 0; i < n; ++i)
    RopeAngles(rows[i].pos, rd, config_.rope_base, &rope_[i * rd], &rope_[i * rd + rd / 2]);
  if (is_first()) {
    Embed(rows);
  } else {
    if (!hidden_in)
      return Status::Error("this stage starts at layer " + std::to_string(start_) +
                           " and needs hidden states");
    std::memcpy(x_.data(), hidden_in, sizeof(float) * n * E);
  }
  for (int l = start_; l < end_; ++l) SS_RETURN_IF_ERROR(Layer(l, rows, sessions));
  // Only now are the new positions valid: after a failed batch a session holds
  // just the positions before the batch's first row.
  for (size_t i = 0; i < n; ++i) sessions[i]->length = std::max(sessions[i]->length, rows[i].pos + 1);
  if (is_last()) return Logits(rows, out);
  out->assign(x_.begin(), x_.end());
  return Status::Ok();
}

}  // namespace ss::engine
