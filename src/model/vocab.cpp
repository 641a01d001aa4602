#include "model/vocab.h"

#include <algorithm>
#include <cstdint>

#include "model/byte_encoding.h"

namespace ss::model {
namespace {

constexpr const char* kModelKey = "tokenizer.ggml.model";
constexpr const char* kPreKey = "tokenizer.ggml.pre";
constexpr const char* kTokensKey = "tokenizer.ggml.tokens";
constexpr const char* kScoresKey = "tokenizer.ggml.scores";
constexpr const char* kTypesKey = "tokenizer.ggml.token_type";
constexpr const char* kMergesKey = "tokenizer.ggml.merges";

std::string MergeKey(std::string_view left, std::string_view right) {
  std::string key;
  key.reserve(left.size() + right.size() + 1);
  key.append(left).append(1, '\n').append(right);
  return key;
}

Status KeyError(const gguf::File& file, const std::string& key, const std::string& what) {
  return Status::Error(file.path() + ": metadata key '" + key + "' " + what);
}

// An array value of `key` with exactly `n` elements (any n when n < 0).
Result<const gguf::Value*> FindArray(const gguf::File& file, const std::string& key, int64_t n) {
  const gguf::Value* v = file.Find(key);
  if (!v) return KeyError(file, key, "is missing");
  if (!v->is_array()) return KeyError(file, key, "is not an array");
  if (n >= 0 && static_cast<int64_t>(v->ArraySize()) != n)
    return KeyError(file, key,
                    "has " + std::to_string(v->ArraySize()) + " entries, expected " + std::to_string(n));
  return v;
}

// Which pre-tokenizer a tokenizer.ggml.pre name selects, as llama.cpp maps them.
Result<PreTokenizer> PreTokenizerFor(const std::string& name) {
  if (name.empty() || name == "default") return PreTokenizer::kDefault;
  for (const char* n : {"llama3", "llama-v3", "llama-bpe", "falcon3", "dbrx", "smaug-bpe"})
    if (name == n) return PreTokenizer::kLlama3;
  for (const char* n : {"gpt-2", "phi-2", "roberta-bpe", "mpt", "olmo", "jais"})
    if (name == n) return PreTokenizer::kGpt2;
  return Status::Error("names pre-tokenizer '" + name + "', which is not supported");
}

}  // namespace

Result<Vocab> Vocab::Load(const gguf::File& file) {
  Vocab v;
  SS_RETURN_IF_ERROR(v.LoadModel(file));
  SS_RETURN_IF_ERROR(v.LoadTokens(file));
  if (v.type_ == VocabType::kBpe) SS_RETURN_IF_ERROR(v.LoadMerges(file));
  SS_RETURN_IF_ERROR(v.LoadSpecialIds(file));
  SS_RETURN_IF_ERROR(v.LoadFlags(file));
  v.FindEndOfGeneration();
  v.BuildSpecialList();
  return v;
}

// Model family, pre-tokenizer and the family defaults llama.cpp starts from.
Status Vocab::LoadModel(const gguf::File& file) {
  auto model = file.GetString(kModelKey);
  if (!model.ok()) return model.status();
  const gguf::Value* pre = file.Find(kPreKey);
  if (pre && !pre->is_string()) return KeyError(file, kPreKey, "is not a string");
  pre_name_ = pre ? pre->AsString() : "";
  if (*model == "llama") {  // SentencePiece has no pre-tokenizer: the name is only recorded
    type_ = VocabType::kSpm;
    bos_ = 1, eos_ = 2, unk_ = 0;
    add_bos_ = true, add_space_prefix_ = true;
    return Status::Ok();
  }
  if (*model != "gpt2")
    return KeyError(file, kModelKey,
                    "names tokenizer '" + *model + "', which is not supported (llama or gpt2)");
  type_ = VocabType::kBpe;
  bos_ = 11, eos_ = 11;
  clean_spaces_ = true;
  auto kind = PreTokenizerFor(pre_name_);
  if (!kind.ok()) return KeyError(file, kPreKey, kind.status().message());
  pre_ = *kind;
  if (pre_ == PreTokenizer::kLlama3) ignore_merges_ = true, add_bos_ = true;
  return Status::Ok();
}

Status Vocab::LoadTokens(const gguf::File& file) {
  auto tokens = FindArray(file, kTokensKey, -1);
  if (!tokens.ok()) return tokens.status();
  if ((*tokens)->elem_type() != gguf::ValueType::STRING)
    return KeyError(file, kTokensKey, "is not a string array");
  const int64_t n = static_cast<int64_t>((*tokens)->ArraySize());
  if (n == 0 || n > INT32_MAX) return KeyError(file, kTokensKey, "has " + std::to_string(n) + " tokens");
  texts_ = (*tokens)->Strings();
  scores_.assign(n, 0.0f);
  types_.assign(n, TokenType::kNormal);

  if (file.Find(kScoresKey)) {
    auto scores = FindArray(file, kScoresKey, n);
    if (!scores.ok()) return scores.status();
    const gguf::ValueType elem = (*scores)->elem_type();
    if (elem != gguf::ValueType::FLOAT32 && elem != gguf::ValueType::FLOAT64)
      return KeyError(file, kScoresKey, "is not a float array");
    for (int64_t i = 0; i < n; ++i) scores_[i] = static_cast<float>((*scores)->DoubleAt(i));
  }
  if (file.Find(kTypesKey)) {
    auto types = FindArray(file, kTypesKey, n);
    if (!types.ok()) return types.status();
    const gguf::ValueType elem = (*types)->elem_type();
    if (elem == gguf::ValueType::STRING || elem == gguf::ValueType::FLOAT32 ||
        elem == gguf::ValueType::FLOAT64)
      return KeyError(file, kTypesKey, "is not an integer array");
    for (int64_t i = 0; i < n; ++i) {
      const int64_t t = (*types)->IntAt(i);
      // llama.cpp treats unknown type numbers as undefined; so do we.
      types_[i] = t >= 0 && t <= 6 ? static_cast<TokenType>(t) : TokenType::kUndefined;
    }
  }
  ids_.reserve(n);
  for (int32_t i = 0; i < n; ++i) {
    // llama.cpp renames empty tokens so that every text is unique and non-empty.
    if (texts_[i].empty()) texts_[i] = "[EMPTY_" + std::to_string(i) + "]";
    auto [it, inserted] = ids_.emplace(texts_[i], i);
    if (!inserted)
      return KeyError(file, kTokensKey,
                      "has token '" + texts_[i] + "' twice (ids " + std::to_string(it->second) + " and " +
                          std::to_string(i) + ")");
  }
  return Status::Ok();
}

Status Vocab::LoadMerges(const gguf::File& file) {
  auto merges = FindArray(file, kMergesKey, -1);
  if (!merges.ok()) return merges.status();
  if ((*merges)->elem_type() != gguf::ValueType::STRING)
    return KeyError(file, kMergesKey, "is not a string array");
  const auto& list = (*merges)->Strings();
  merge_ranks_.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string& m = list[i];
    // Split at the first space after the first byte, as llama.cpp does.
    const size_t space = m.size() > 1 ? m.find(' ', 1) : std::string::npos;
    const std::string where = "entry " + std::to_string(i) + " '" + m + "'";
    if (space == std::string::npos) return KeyError(file, kMergesKey, where + " is not 'left right'");
    std::string_view left(m.data(), space), right(m.data() + space + 1, m.size() - space - 1);
    if (Find(left) == kNoToken || Find(right) == kNoToken)
      return KeyError(file, kMergesKey, where + " refers to a token not in the vocabulary");
    merge_ranks_.emplace(MergeKey(left, right), static_cast<int>(i));
  }
  return Status::Ok();
}

Status Vocab::LoadSpecialIds(const gguf::File& file) {
  const std::pair<const char*, int32_t*> keys[] = {
      {"tokenizer.ggml.bos_token_id", &bos_},     {"tokenizer.ggml.eos_token_id", &eos_},
      {"tokenizer.ggml.eot_token_id", &eot_},     {"tokenizer.ggml.unknown_token_id", &unk_},
      {"tokenizer.ggml.padding_token_id", &pad_},
  };
  for (const auto& [key, id] : keys) {
    const gguf::Value* v = file.Find(key);
    if (!v) continue;
    if (!v->is_integer()) return KeyError(file, key, "is not an integer");
    if (!Contains(static_cast<int32_t>(v->AsInt())) || v->AsInt() != static_cast<int32_t>(v->AsInt()))
      return KeyError(file, key,
                      "= " + std::to_string(v->AsInt()) + " is not a token id (vocabulary has " +
                          std::to_string(size()) + " tokens)");
    *id = static_cast<int32_t>(v->AsInt());
  }
  // Family defaults that do not exist in this vocabulary mean "none".
  for (int32_t* id : {&bos_, &eos_, &unk_})
    if (!Contains(*id)) *id = kNoToken;
  return Status::Ok();
}

Status Vocab::LoadFlags(const gguf::File& file) {
  const std::pair<const char*, bool*> keys[] = {
      {"tokenizer.ggml.add_bos_token", &add_bos_},
      {"tokenizer.ggml.add_eos_token", &add_eos_},
      {"tokenizer.ggml.add_space_prefix", &add_space_prefix_},
  };
  for (const auto& [key, flag] : keys) {
    const gguf::Value* v = file.Find(key);
    if (!v) continue;
    if (v->type() != gguf::ValueType::BOOL) return KeyError(file, key, "is not a bool");
    *flag = v->AsBool();
  }
  if (add_bos_ && bos_ == kNoToken)
    return KeyError(file, "tokenizer.ggml.bos_token_id", "is needed (add_bos_token is set) but missing");
  if (add_eos_ && eos_ == kNoToken)
    return KeyError(file, "tokenizer.ggml.eos_token_id", "is needed (add_eos_token is set) but missing");
  return Status::Ok();
}

// llama.cpp recognises end-of-turn markers by their text and forces them to
// be control tokens, so they are never printed and always stop generation.
void Vocab::FindEndOfGeneration() {
  static const char* const kEotTexts[] = {"<|eot_id|>",    "<|im_end|>",    "<|end|>",
                                          "<end_of_turn>", "<|endoftext|>", "<EOT>"};
  for (const char* text : kEotTexts) {
    const int32_t id = Find(text);
    if (id == kNoToken) continue;
    if (eot_ == kNoToken) eot_ = id;
    types_[id] = TokenType::kControl;
    eog_.push_back(id);
  }
  const int32_t eom = Find("<|eom_id|>");
  if (eom != kNoToken) types_[eom] = TokenType::kControl, eog_.push_back(eom);
  for (int32_t id : {eos_, eot_})
    if (id != kNoToken) eog_.push_back(id);
  std::sort(eog_.begin(), eog_.end());
  eog_.erase(std::unique(eog_.begin(), eog_.end()), eog_.end());
}

void Vocab::BuildSpecialList() {
  for (int32_t id = 0; id < size(); ++id) {
    const TokenType t = types_[id];
    if (t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown)
      special_tokens_.push_back(id);
  }
  // Longest first so that a longer special token wins over one it contains.
  std::stable_sort(special_tokens_.begin(), special_tokens_.end(),
                   [&](int32_t a, int32_t b) { return texts_[a].size() > texts_[b].size(); });
}

bool Vocab::IsControlOrUnknown(int32_t id) const {
  return types_[id] == TokenType::kControl || types_[id] == TokenType::kUnknown;
}

int32_t Vocab::Find(std::string_view text) const {
  auto it = ids_.find(std::string(text));
  return it == ids_.end() ? kNoToken : it->second;
}

int Vocab::MergeRank(std::string_view left, std::string_view right) const {
  auto it = merge_ranks_.find(MergeKey(left, right));
  return it == merge_ranks_.end() ? -1 : it->second;
}

int32_t Vocab::ByteToken(uint8_t byte) const {
  if (type_ == VocabType::kBpe) return Find(ByteToUnicode(byte));
  static const char kHex[] = "0123456789ABCDEF";
  const char name[] = {'<', '0', 'x', kHex[byte >> 4], kHex[byte & 15], '>'};
  const int32_t id = Find(std::string_view(name, sizeof(name)));
  return id != kNoToken ? id : Find(std::string_view(reinterpret_cast<const char*>(&byte), 1));
}

bool Vocab::IsEog(int32_t id) const { return std::binary_search(eog_.begin(), eog_.end(), id); }

}  // namespace ss::model
