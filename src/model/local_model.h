#pragma once
// A NextTokenFn over a model running in this process: the pipeline's stages
// compute logits, the sampler picks the token. One KV session per LocalModel.
//
// The pipeline must outlive it; one thread at a time.

#include <cstdint>
#include <span>
#include <vector>

#include "engine/pipeline.h"
#include "model/sampler.h"
#include "util/status.h"

namespace ss::model {

class LocalModel {
 public:
  LocalModel(engine::Pipeline& pipeline, Sampler sampler, uint64_t session = 1);
  ~LocalModel();
  LocalModel(const LocalModel&) = delete;
  LocalModel& operator=(const LocalModel&) = delete;

  // A NextTokenFn: forwards `tokens` at positions pos.. in batches of at most
  // kMaxBatchRows rows (logits for the very last row only), then samples.
  // Every token enters the sampler's history once: fed tokens at positions
  // not yet accepted, and the sampled one as it is sampled (so feeding it
  // back next call does not count it twice).
  Result<int32_t> Next(int pos, std::span<const int32_t> tokens);

  // The logits the last Next() sampled from: [n_vocab].
  const std::vector<float>& last_logits() const { return logits_; }

  static constexpr int kMaxBatchRows = 512;

 private:
  engine::Pipeline& pipeline_;
  Sampler sampler_;
  uint64_t session_;
  int n_accepted_ = 0;  // positions [0, n_accepted_) are in the sampler's history
  std::vector<float> logits_;
};

}  // namespace ss::model
