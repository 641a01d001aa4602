#pragma once
// Random-weight Llama GGUF files of any shape, for tests and benchmarks.
// Deterministic: the same spec and seed give the same bytes. The tokenizer is
// self-contained SentencePiece-style: <unk> <s> </s>, the 256 byte tokens,
// '▁' and the printable ASCII characters, then made-up words up to n_vocab
// ("▁kamo": they print like a real vocabulary's tokens),
// so any text tokenizes (at worst to bytes) without an external vocabulary.

#include <cstdint>
#include <string>

#include "gguf/types.h"
#include "util/status.h"

namespace ss::model {

struct TestModelSpec {
  std::string name = "shardswarm-test";
  int n_vocab = 32000;
  int n_embd = 2048;
  int n_layer = 22;
  int n_head = 32;
  int n_head_kv = 4;
  int n_ff = 5632;
  int n_ctx = 2048;
  float rope_base = 10000.0f;
  gguf::TensorType type = gguf::TensorType::Q8_0;  // F32, F16, Q8_0 or Q4_0
  bool tied = false;                               // reuse token_embd as the output matrix
  uint64_t seed = 1;
};

// The minimum vocabulary: 3 specials + 256 bytes + '▁' + 94 printable ASCII.
inline constexpr int kTestVocabMin = 3 + 256 + 1 + 94;

Status WriteTestModel(const TestModelSpec& spec, const std::string& path);

}  // namespace ss::model
