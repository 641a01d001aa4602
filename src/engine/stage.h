#pragma once
// A stage runs layers [start, end) of a Llama model on a batch of rows from
// any number of sessions. Each row carries its session and position; the
// first stage embeds the rows' tokens, later stages take hidden states; the
// last stage applies the output norm and returns logits for the rows that ask
// for them, other stages return hidden states. A full model file is a stage
// of all layers; a shard file is the stage of its layer range.
//
// Within a batch, a session's rows must have consecutive positions starting
// at most at the number of positions its cache holds (starting earlier
// rewinds the session, as a retry after failover needs).

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/config.h"
#include "engine/kv_cache.h"
#include "engine/weights.h"
#include "gguf/reader.h"
#include "util/status.h"
#include "util/thread_pool.h"

namespace ss::engine {

struct StageOptions {
  int layer_start = -1;  // -1: the file's own range (a shard's, or all layers)
  int layer_end = -1;
  // 0: the cores this process may use (ThreadPool::UsableCores); more than
  // those is capped to them (threads beyond the cores only wait on each other).
  int n_threads = 0;
  int n_ctx = 0;  // 0: the model's context length; beyond it Open fails, naming it
  KvType kv_type = KvType::kF16;
  uint64_t kv_max_bytes = 4ull << 30;
};

struct BatchRow {
  uint64_t session = 0;
  int pos = 0;
  int32_t token = 0;    // first stage only
  bool logits = false;  // last stage: compute this row's logits
};

class Stage {
 public:
  static Result<std::unique_ptr<Stage>> Open(const std::string& path, const StageOptions& options);

  // hidden_in: [rows][n_embd] (ignored by the first stage). out: [rows][n_embd]
  // hidden states, or on the last stage [rows with logits][n_vocab] logits.
  Status Forward(const std::vector<BatchRow>& rows, const float* hidden_in, std::vector<float>* out);
  void CloseSession(uint64_t session) { kv_.Close(session); }

  const Config& config() const { return config_; }
  const gguf::File& file() const { return *file_; }
  int layer_start() const { return start_; }
  int layer_end() const { return end_; }
  bool is_first() const { return start_ == 0; }
  bool is_last() const { return end_ == config_.n_layer; }
  int n_ctx() const { return n_ctx_; }
  int n_threads() const { return pool_.size(); }
  const KvCache& kv_cache() const { return kv_; }

 private:
  Stage(std::unique_ptr<gguf::File> file, Config config, int start, int end, int n_ctx,
        const StageOptions& o);
  Status CheckRows(const std::vector<BatchRow>& rows, std::vector<KvCache::Session*>* sessions);
  void Embed(const std::vector<BatchRow>& rows);
  Status Layer(int l, const std::vector<BatchRow>& rows, const std::vector<KvCache::Session*>& sessions);
  void Attention(int l, const std::vector<BatchRow>& rows, const std::vector<KvCache::Session*>& sessions);
  Status Logits(const std::vector<BatchRow>& rows, std::vector<float>* out);

  std::unique_ptr<gguf::File> file_;
  Config config_;
  int start_, end_, n_ctx_;
  StageWeights w_;
  KvCache kv_;
  ThreadPool pool_;

  // Scratch, sized for the largest batch seen.
  std::vector<float> x_, xb_, q_, k_, v_, att_, gate_, up_;
  // Per row: its position's rope cos, then sin (rope_dim / 2 each), shared by all layers.
  std::vector<float> rope_;
  std::vector<uint8_t> act_;
  std::vector<std::vector<float>> scores_;  // per thread: [query heads per KV head][n_ctx]
  std::vector<std::vector<uint16_t>> q16_;  // per thread: those heads' F16 queries
};

}  // namespace ss::engine
