#include "model/generator.h"

#include <string>

#include "util/clock.h"

namespace ss::model {

Result<GenerationResult> Generate(std::span<const int32_t> prompt, const NextTokenFn& next,
                                  Completion& completion, int n_ctx, const StepFn& on_step) {
  const int n_prompt = static_cast<int>(prompt.size());
  if (n_prompt == 0) return Status::InvalidArgument("the prompt has no tokens");
  if (n_prompt >= n_ctx)
    return Status::InvalidArgument("the prompt has " + std::to_string(n_prompt) +
                                   " tokens but the context holds " + std::to_string(n_ctx) + "; shorten it");
  GenerationResult r;
  const double t0 = MonotonicSeconds();
  SS_ASSIGN_OR_RETURN(int32_t token, next(0, prompt));
  r.n_forward = 1;
  const double t1 = MonotonicSeconds();
  r.prompt_seconds = t1 - t0;

  for (int pos = n_prompt; !completion.done(); ++pos) {
    Step step = completion.Push(token);
    r.tokens.push_back(token);
    if (!step.done && pos + 1 >= n_ctx) {
      // The sampled token would fill the last position: nothing could follow it.
      r.context_full = true;
      std::string text = std::move(step.text);
      step = completion.Stop(FinishReason::kLength);
      step.text = text + step.text;
      step.token = token;
    } else if (step.done) {
      step.text += completion.Finish();
    }
    if (on_step && !on_step(step) && !step.done) {
      completion.Stop(FinishReason::kNone);
      break;
    }
    if (step.done) break;
    SS_ASSIGN_OR_RETURN(token, next(pos, std::span<const int32_t>(&token, 1)));
    ++r.n_forward;
  }
  r.reason = completion.reason();
  r.generation_seconds = MonotonicSeconds() - t1;
  return r;
}

}  // namespace ss::model
