#pragma once
// Byte-level BPE pre-tokenization: cuts text into words with the regex set
// llama.cpp uses for the vocabulary's pre-tokenizer, run with PCRE2. Merges
// never cross a word boundary, so this decides much of the final tokenization.

#include <memory>
#include <string_view>
#include <vector>

#include "model/vocab.h"
#include "util/status.h"

namespace ss::model {

class WordSplitter {
 public:
  static Result<WordSplitter> Create(PreTokenizer kind);
  WordSplitter(WordSplitter&&) noexcept;
  WordSplitter& operator=(WordSplitter&&) noexcept;
  ~WordSplitter();

  // Words of `text` (views into it, in order, covering all of it). `text`
  // must be valid UTF-8: PCRE2's own check is skipped.
  std::vector<std::string_view> Split(std::string_view text) const;

 private:
  struct Regex;
  WordSplitter() = default;
  // Each regex refines the previous pieces: a match and the text between
  // matches both become pieces, as in llama.cpp's unicode_regex_split.
  std::vector<std::unique_ptr<Regex>> regexes_;
};

}  // namespace ss::model
