#pragma once
// Streaming detokenization: feed tokens one at a time, get text that never
// ends inside a UTF-8 character. A token that is only the first bytes of a
// character (SPM byte tokens, BPE tokens cutting an emoji) is held back until
// the character is complete.
//
// Bytes are passed through exactly: the concatenation of every Push() and the
// final Flush() equals Tokenizer::Detokenize(tokens, false, render_special)
// for SPM vocabularies, and the plain concatenation of pieces for BPE ones
// (llama.cpp's streaming output; its clean_spaces post-pass applies only to
// whole-sequence detokenization). Invalid UTF-8 in the pieces is emitted
// as-is, not replaced by U+FFFD: an unfinished sequence is held back only
// while it can still become a valid character, and Flush() emits whatever is
// left.

#include <cstdint>
#include <string>

#include "model/tokenizer.h"

namespace ss::model {

struct DetokenizerOptions {
  // The first token pushed starts the text (as in llama_detokenize): with an
  // SPM vocabulary (add_space_prefix) it loses one leading space. A BOS token
  // counts as that first token, so after BOS the next token keeps its space,
  // as llama.cpp does. Set false when continuing text after a prompt.
  bool sequence_start = true;
  // Control and unknown tokens render as their text instead of nothing.
  bool render_special = false;
};

class Detokenizer {
 public:
  // `tokenizer` must outlive the detokenizer.
  explicit Detokenizer(const Tokenizer& tokenizer, DetokenizerOptions options = {});

  // Text that became complete with this token (possibly empty).
  std::string Push(int32_t token);
  // Whatever is still held back; the detokenizer starts over afterwards.
  std::string Flush();

 private:
  const Tokenizer& tokenizer_;
  DetokenizerOptions options_;
  bool strip_space_;
  std::string pending_;
};

}  // namespace ss::model
