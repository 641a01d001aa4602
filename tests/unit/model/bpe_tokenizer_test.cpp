// Byte-level BPE on a tiny hand-made vocabulary: every pre-tokenizer compiles
// and splits, merges apply by rank, and Llama 3's ignore_merges takes whole
// words that are tokens.
#include <gtest/gtest.h>

#include "model/byte_encoding.h"
#include "model/tokenizer.h"
#include "testing.h"
#include "vocab_fixture.h"

namespace ss::model {
namespace {

using gguf::Value;

// Ids: byte b is id b (its GPT-2 character), then the extra tokens.
enum : int32_t { kAB = 256, kSpaceA, kSpaceAB, kXyz, kEot };

Tokenizer BpeTokenizer(const std::string& pre) {
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b) tokens.push_back(ByteToUnicode(static_cast<uint8_t>(b)));
  for (const char* t : {"ab",
                        "\xC4\xA0"
                        "a",
                        "\xC4\xA0"
                        "ab",
                        "xyz", "<|eot_id|>"})
    tokens.push_back(t);
  std::vector<int32_t> types(tokens.size(), 1);
  types.back() = 3;
  std::vector<gguf::KeyValue> kvs = {
      {"tokenizer.ggml.model", Value::String("gpt2")},
      {"tokenizer.ggml.pre", Value::String(pre)},
      {"tokenizer.ggml.tokens", Value::StringArray(tokens)},
      {"tokenizer.ggml.token_type", Value::I32Array(types)},
      // Ranks: a+b first, then Ġ+a, then Ġa+b.
      {"tokenizer.ggml.merges", Value::StringArray({"a b", "\xC4\xA0 a",
                                                    "\xC4\xA0"
                                                    "a b"})},
  };
  ss::testing::TempDir dir;
  auto tokenizer = Tokenizer::Load(*testing::WriteVocabFile(dir, kvs));
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  return std::move(*tokenizer);
}

std::vector<int32_t> Ids(const Tokenizer& t, std::string_view text, bool parse_special = false) {
  auto ids = t.Tokenize(text, false, parse_special);
  EXPECT_TRUE(ids.ok()) << ids.status().message();
  return ids.ok() ? *ids : std::vector<int32_t>{};
}

TEST(BpeTokenizer, EveryPreTokenizerSplitsAndMerges) {
  for (const char* pre : {"llama-bpe", "gpt-2", "default", ""}) {
    SCOPED_TRACE(pre);
    const Tokenizer t = BpeTokenizer(pre);
    // By rank "a b" merges before "Ġ a", leaving "Ġ" + "ab"; Llama 3 takes the
    // word "Ġab" whole because it is a token (ignore_merges).
    const std::vector<int32_t> expected = std::string(pre) == "llama-bpe"
                                              ? std::vector<int32_t>{kAB, kSpaceAB}
                                              : std::vector<int32_t>{kAB, ' ', kAB};
    EXPECT_EQ(Ids(t, "ab ab"), expected);
    EXPECT_EQ(Ids(t, "b a"), (std::vector<int32_t>{'b', kSpaceA}));
    EXPECT_EQ(t.Detokenize(Ids(t, "ab ab\n\t\xE6\x9D\xB1!")), "ab ab\n\t\xE6\x9D\xB1!");
  }
}

TEST(BpeTokenizer, Llama3TakesWholeWordsThatAreTokens) {
  EXPECT_EQ(Ids(BpeTokenizer("llama-bpe"), "xyz"), (std::vector<int32_t>{kXyz}));
  EXPECT_EQ(Ids(BpeTokenizer("gpt-2"), "xyz"), (std::vector<int32_t>{'x', 'y', 'z'}));
}

TEST(BpeTokenizer, Llama3SplitsDigitsInThrees) {
  EXPECT_EQ(Ids(BpeTokenizer("llama-bpe"), "12345"), (std::vector<int32_t>{'1', '2', '3', '4', '5'}));
}

TEST(BpeTokenizer, ControlTokensAndCleanSpaces) {
  const Tokenizer t = BpeTokenizer("llama-bpe");
  EXPECT_EQ(Ids(t, "ab<|eot_id|>", true), (std::vector<int32_t>{kAB, kEot}));
  EXPECT_EQ(t.TokenToPiece(kEot), "");
  EXPECT_EQ(t.TokenToPiece(kEot, true), "<|eot_id|>");
  EXPECT_EQ(t.TokenToPiece(kSpaceAB), " ab");
  // llama.cpp's clean-up of whole-sequence BPE output.
  EXPECT_EQ(t.Detokenize(Ids(t, "a , b . c ' d 's")), "a, b. c'd's");
}

}  // namespace
}  // namespace ss::model
