#pragma once
// One completion's text: generated token ids in, text deltas out, and the
// decision when to stop (an end-of-generation token, a stop string, the token
// budget). Stop strings work as in llama-server and the OpenAI API: the text
// before the first occurrence of any of them is emitted, the stop string and
// everything after it never is; text that could still begin a stop string is
// held back until it cannot, so no client ever sees part of one.
//
// Not thread-safe; the tokenizer must outlive the completion. It knows nothing
// of the context length: the caller ends generation with Stop() when the
// context is full.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/detokenizer.h"
#include "model/tokenizer.h"

namespace ss::model {

enum class FinishReason {
  kNone,    // still running; at the end of a generation: it was cancelled
  kStop,    // an end-of-generation token or a stop string
  kLength,  // max_tokens reached, or the context is full
};
// "stop", "length", or "cancelled" for kNone (OpenAI's finish_reason names).
std::string_view FinishReasonName(FinishReason reason);

struct CompletionOptions {
  int max_tokens = -1;            // < 0: no limit; 0: done before any token
  std::vector<std::string> stop;  // empty strings are ignored
  bool ignore_eos = false;        // end-of-generation tokens are text like any other
};

struct Step {
  std::string text;  // newly complete text (possibly empty)
  bool done = false;
  FinishReason reason = FinishReason::kNone;
  int32_t token = kNoToken;  // the token pushed (kNoToken in a step from Stop())
};

class Completion {
 public:
  Completion(const Tokenizer& tokenizer, CompletionOptions options);

  // The next generated token; call only while !done(). An end-of-generation
  // token adds no text. A step that is done holds everything up to the stop
  // except Finish()'s rest.
  Step Push(int32_t token);
  // Ends generation for a reason of the caller's (kLength: the context is
  // full; kNone: cancelled); the step's text is Finish()'s.
  Step Stop(FinishReason reason);
  // Once done: the text still held back (a stop string's possible beginning,
  // an unfinished UTF-8 character); empty after a stop string matched. Call
  // once; later calls return "".
  std::string Finish();

  bool done() const { return done_; }
  FinishReason reason() const { return reason_; }
  int n_generated() const { return n_generated_; }

 private:
  // Emits what can no longer be part of a stop string; ends on a match.
  std::string Scan();
  size_t HeldBackFrom() const;

  const Tokenizer& tokenizer_;
  CompletionOptions options_;
  Detokenizer detok_;
  std::string pending_;  // detokenized, not yet emitted
  bool done_ = false;
  bool matched_ = false;   // a stop string ended generation
  bool finished_ = false;  // Finish() was called
  FinishReason reason_ = FinishReason::kNone;
  int n_generated_ = 0;
};

}  // namespace ss::model
