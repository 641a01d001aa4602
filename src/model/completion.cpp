#include "model/completion.h"

#include <algorithm>

namespace ss::model {

std::string_view FinishReasonName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kNone:
      break;
  }
  return "cancelled";
}

Completion::Completion(const Tokenizer& tokenizer, CompletionOptions options)
    : tokenizer_(tokenizer), options_(std::move(options)), detok_(tokenizer, {/*sequence_start=*/false}) {
  std::erase(options_.stop, std::string());
  if (options_.max_tokens == 0) {
    done_ = true;
    reason_ = FinishReason::kLength;
  }
}

Step Completion::Push(int32_t token) {
  Step step;
  step.token = token;
  if (done_) {
    step.done = true;
    step.reason = reason_;
    return step;
  }
  ++n_generated_;
  if (!options_.ignore_eos && tokenizer_.vocab().IsEog(token)) {
    done_ = true;
    reason_ = FinishReason::kStop;
  } else {
    pending_ += detok_.Push(token);
    step.text = Scan();
    if (!done_ && options_.max_tokens > 0 && n_generated_ >= options_.max_tokens) {
      done_ = true;
      reason_ = FinishReason::kLength;
    }
  }
  step.done = done_;
  step.reason = reason_;
  return step;
}

Step Completion::Stop(FinishReason reason) {
  if (!done_) {
    done_ = true;
    reason_ = reason;
  }
  Step step;
  step.text = Finish();
  step.done = true;
  step.reason = reason_;
  return step;
}

std::string Completion::Finish() {
  std::string out;
  if (!matched_ && !finished_) out = std::move(pending_) + detok_.Flush();
  pending_.clear();
  finished_ = true;
  return out;
}

std::string Completion::Scan() {
  size_t match = std::string::npos;
  for (const std::string& s : options_.stop) match = std::min(match, pending_.find(s));
  if (match != std::string::npos) {
    std::string out = pending_.substr(0, match);
    pending_.clear();
    matched_ = done_ = true;
    reason_ = FinishReason::kStop;
    return out;
  }
  const size_t held = HeldBackFrom();
  std::string out = pending_.substr(0, held);
  pending_.erase(0, held);
  return out;
}

// Where the longest tail of pending_ that begins some stop string starts
// (pending_.size() when none does). No full stop string is in pending_.
size_t Completion::HeldBackFrom() const {
  for (size_t i = 0; i < pending_.size(); ++i) {
    const size_t n = pending_.size() - i;
    for (const std::string& s : options_.stop)
      if (s.size() > n && s.compare(0, n, pending_, i, n) == 0) return i;
  }
  return pending_.size();
}

}  // namespace ss::model
