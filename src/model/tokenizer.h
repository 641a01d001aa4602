#pragma once
// Text to token ids and back, matching llama.cpp (llama_tokenize,
// llama_token_to_piece, llama_detokenize) for SentencePiece and byte-level
// BPE vocabularies. Input must be valid UTF-8: unlike llama.cpp, which
// tokenizes invalid bytes somehow, we refuse it with the offending offset.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/reader.h"
#include "model/vocab.h"
#include "model/word_splitter.h"
#include "util/status.h"

namespace ss::model {

class Tokenizer {
 public:
  static Result<Tokenizer> Create(Vocab vocab);
  static Result<Tokenizer> Load(const gguf::File& file);  // Vocab::Load + Create

  const Vocab& vocab() const { return vocab_; }

  // add_special: BOS/EOS as the vocabulary's add_bos/add_eos flags say.
  // parse_special: texts of control tokens (e.g. "<|begin_of_text|>") in
  // `text` become those tokens; user-defined tokens are always recognised.
  Result<std::vector<int32_t>> Tokenize(std::string_view text, bool add_special, bool parse_special) const;

  // The raw bytes a token stands for (SPM: U+2581 becomes a space, <0xXX> its
  // byte; BPE: the GPT-2 byte encoding undone). Control and unknown tokens
  // give "" unless render_special; ids outside the vocabulary give "".
  const std::string& TokenToPiece(int32_t id, bool render_special = false) const;

  // A whole sequence as llama_detokenize gives it: pieces concatenated; for
  // vocabularies with add_space_prefix (SPM), the first token loses one
  // leading space, unless the sequence starts with BOS and remove_special
  // drops it (llama.cpp keeps the space then); remove_special also drops a
  // final EOS when add_eos is set; BPE vocabularies then get llama.cpp's
  // clean-up of spaces before punctuation and contractions.
  std::string Detokenize(const std::vector<int32_t>& tokens, bool remove_special = false,
                         bool render_special = false) const;

 private:
  explicit Tokenizer(Vocab vocab) : vocab_(std::move(vocab)) {}
  struct Fragment {
    int32_t token;  // kNoToken for text
    std::string_view text;
  };
  std::vector<Fragment> PartitionSpecial(std::string_view text, bool parse_special) const;
  Status EncodeSpm(const std::vector<Fragment>& fragments, std::vector<int32_t>& out) const;
  void EncodeBpe(const std::vector<Fragment>& fragments, std::vector<int32_t>& out) const;
  std::string ComputePiece(int32_t id) const;

  Vocab vocab_;
  std::optional<WordSplitter> splitter_;  // BPE only
  std::vector<std::string> pieces_;       // every token's piece, special ones rendered
};

}  // namespace ss::model
