#pragma once
// The generation loop, the same for `generate`, the swarm's last stage and
// the tests: feed the prompt, then each sampled token, until the completion
// is done, the context is full or the consumer is gone. The model and the
// sampler hide behind one function, so the loop neither knows nor cares
// whether the layers run here (LocalModel) or across the swarm.

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "model/completion.h"
#include "util/status.h"

namespace ss::model {

// Feeds `tokens` at positions pos, pos+1, ... and returns the token sampled
// from the logits after the last of them.
using NextTokenFn = std::function<Result<int32_t>(int pos, std::span<const int32_t> tokens)>;
// Receives each step; false stops generation (the client is gone).
using StepFn = std::function<bool(const Step&)>;

struct GenerationResult {
  std::vector<int32_t> tokens;                // generated, in order (the prompt excluded)
  FinishReason reason = FinishReason::kNone;  // kNone: on_step cancelled
  bool context_full = false;                  // the reason is kLength because of n_ctx
  double prompt_seconds = 0;                  // the prompt's call of `next`
  double generation_seconds = 0;              // every later call, and the steps
  int n_forward = 0;                          // calls of `next`, the prompt's included
};

// The prompt (non-empty, shorter than n_ctx) is fed once at position 0 even
// when `completion` is already done (max_tokens 0 still evaluates it, as
// llama-server does). Every token sampled is pushed into `completion` and its
// step passed to `on_step` (may be empty: no callback); the step that is done
// carries the completion's remaining text too. A sampled token is fed only if
// its position leaves room for the one after it. Errors are `next`'s.
Result<GenerationResult> Generate(std::span<const int32_t> prompt, const NextTokenFn& next,
                                  Completion& completion, int n_ctx, const StepFn& on_step);

}  // namespace ss::model
