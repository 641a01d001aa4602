#pragma once
// The tokenizer vocabulary of a GGUF model: token texts, scores and types,
// BPE merges, special token ids and the flags that steer tokenization, read
// from the `tokenizer.ggml.*` keys with llama.cpp's defaults for absent ones.
// Malformed metadata is an error naming the key.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gguf/reader.h"
#include "util/status.h"

namespace ss::model {

inline constexpr int32_t kNoToken = -1;

// tokenizer.ggml.model: "llama" is SentencePiece, "gpt2" byte-level BPE.
enum class VocabType { kSpm, kBpe };

// tokenizer.ggml.token_type values (llama.cpp's llama_token_type).
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

// The BPE pre-tokenizer (tokenizer.ggml.pre) families we implement.
enum class PreTokenizer {
  kDefault,  // absent or "default": llama.cpp's fallback regex set
  kLlama3,   // "llama3", "llama-v3", "llama-bpe", "falcon3"
  kGpt2,     // "gpt-2" and the other plain GPT-2 regex users
};

class Vocab {
 public:
  static Result<Vocab> Load(const gguf::File& file);

  VocabType type() const { return type_; }
  PreTokenizer pre_tokenizer() const { return pre_; }
  const std::string& pre_name() const { return pre_name_; }
  int32_t size() const { return static_cast<int32_t>(texts_.size()); }
  bool Contains(int32_t id) const { return id >= 0 && id < size(); }

  // Callers pass ids in [0, size()).
  const std::string& Text(int32_t id) const { return texts_[id]; }
  float Score(int32_t id) const { return scores_[id]; }
  TokenType Type(int32_t id) const { return types_[id]; }
  bool IsControlOrUnknown(int32_t id) const;

  // The id whose text is exactly `text`, or kNoToken.
  int32_t Find(std::string_view text) const;
  // The merge rank of the pair, or -1 when the pair does not merge (BPE only).
  int MergeRank(std::string_view left, std::string_view right) const;
  // The token for one raw byte: "<0xXX>" (or the byte itself) for SPM, the
  // byte's GPT-2 code point for BPE; kNoToken if the vocabulary lacks it.
  int32_t ByteToken(uint8_t byte) const;

  int32_t bos() const { return bos_; }
  int32_t eos() const { return eos_; }
  int32_t eot() const { return eot_; }
  int32_t unk() const { return unk_; }
  int32_t pad() const { return pad_; }
  bool add_bos() const { return add_bos_; }
  bool add_eos() const { return add_eos_; }
  bool add_space_prefix() const { return add_space_prefix_; }
  bool ignore_merges() const { return ignore_merges_; }
  bool clean_spaces() const { return clean_spaces_; }

  // End of generation: EOS, EOT and the end-of-turn markers llama.cpp knows.
  bool IsEog(int32_t id) const;
  // Control, user-defined and unknown tokens, longest text first: the order
  // in which their texts are cut out of the input before tokenizing.
  const std::vector<int32_t>& special_tokens() const { return special_tokens_; }

 private:
  Status LoadModel(const gguf::File& file);
  Status LoadTokens(const gguf::File& file);
  Status LoadMerges(const gguf::File& file);
  Status LoadSpecialIds(const gguf::File& file);
  Status LoadFlags(const gguf::File& file);
  void FindEndOfGeneration();
  void BuildSpecialList();

  VocabType type_ = VocabType::kSpm;
  PreTokenizer pre_ = PreTokenizer::kDefault;
  std::string pre_name_;
  std::vector<std::string> texts_;
  std::vector<float> scores_;
  std::vector<TokenType> types_;
  std::unordered_map<std::string, int32_t> ids_;
  std::unordered_map<std::string, int> merge_ranks_;  // key: left '\n' right
  std::vector<int32_t> special_tokens_;
  std::vector<int32_t> eog_;

  int32_t bos_ = kNoToken, eos_ = kNoToken, eot_ = kNoToken, unk_ = kNoToken, pad_ = kNoToken;
  bool add_bos_ = false, add_eos_ = false, add_space_prefix_ = false;
  bool ignore_merges_ = false, clean_spaces_ = false;
};

}  // namespace ss::model
