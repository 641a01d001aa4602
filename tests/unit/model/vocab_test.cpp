#include "model/vocab.h"

#include <gtest/gtest.h>

#include "testing.h"
#include "vocab_fixture.h"

namespace ss::model {
namespace {

using gguf::Value;
using testing::SetKey;
using testing::SpmVocab;
using testing::WriteVocabFile;

// The error Vocab::Load gives for this metadata ("" when it loads).
std::string LoadError(const std::vector<gguf::KeyValue>& kvs) {
  ss::testing::TempDir dir;
  auto file = WriteVocabFile(dir, kvs);
  auto vocab = Vocab::Load(*file);
  return vocab.ok() ? "" : vocab.status().message();
}

std::vector<gguf::KeyValue> BpeVocab() {
  return {
      {"tokenizer.ggml.model", Value::String("gpt2")},
      {"tokenizer.ggml.pre", Value::String("llama-bpe")},
      {"tokenizer.ggml.tokens", Value::StringArray({"a", "b", "ab", "<|begin_of_text|>"})},
      {"tokenizer.ggml.token_type", Value::I32Array({1, 1, 1, 3})},
      {"tokenizer.ggml.merges", Value::StringArray({"a b"})},
      {"tokenizer.ggml.bos_token_id", Value::U32(3)},
      {"tokenizer.ggml.eos_token_id", Value::U32(3)},
  };
}

TEST(Vocab, SpmDefaultsFollowLlamaCpp) {
  ss::testing::TempDir dir;
  auto file = WriteVocabFile(dir, SpmVocab({"\xE2\x96\x81", "a"}));
  auto vocab = Vocab::Load(*file);
  ASSERT_TRUE(vocab.ok()) << vocab.status().message();
  EXPECT_EQ(vocab->type(), VocabType::kSpm);
  EXPECT_EQ(vocab->size(), 3 + 256 + 2);
  EXPECT_EQ(vocab->bos(), 1);
  EXPECT_EQ(vocab->eos(), 2);
  EXPECT_EQ(vocab->unk(), 0);
  EXPECT_TRUE(vocab->add_bos());
  EXPECT_FALSE(vocab->add_eos());
  EXPECT_TRUE(vocab->add_space_prefix());
  EXPECT_EQ(vocab->ByteToken('A'), 3 + 'A');
  EXPECT_EQ(vocab->Find("a"), 260);
  EXPECT_EQ(vocab->Find("zzz"), kNoToken);
  EXPECT_TRUE(vocab->IsEog(2));
  EXPECT_FALSE(vocab->IsEog(1));
}

TEST(Vocab, MetadataFlagsOverrideDefaults) {
  auto kvs = SpmVocab({"a"});
  SetKey(kvs, "tokenizer.ggml.add_bos_token", Value::Bool(false));
  SetKey(kvs, "tokenizer.ggml.add_eos_token", Value::Bool(true));
  ss::testing::TempDir dir;
  auto vocab = Vocab::Load(*WriteVocabFile(dir, kvs));
  ASSERT_TRUE(vocab.ok()) << vocab.status().message();
  EXPECT_FALSE(vocab->add_bos());
  EXPECT_TRUE(vocab->add_eos());
}

TEST(Vocab, BpeLoadsMergesAndLlama3Flags) {
  ss::testing::TempDir dir;
  auto vocab = Vocab::Load(*WriteVocabFile(dir, BpeVocab()));
  ASSERT_TRUE(vocab.ok()) << vocab.status().message();
  EXPECT_EQ(vocab->type(), VocabType::kBpe);
  EXPECT_EQ(vocab->pre_tokenizer(), PreTokenizer::kLlama3);
  EXPECT_TRUE(vocab->add_bos());  // llama-bpe implies BOS
  EXPECT_TRUE(vocab->ignore_merges());
  EXPECT_FALSE(vocab->add_space_prefix());
  EXPECT_EQ(vocab->MergeRank("a", "b"), 0);
  EXPECT_EQ(vocab->MergeRank("b", "a"), -1);
  EXPECT_EQ(vocab->special_tokens(), std::vector<int32_t>{3});
}

TEST(Vocab, ErrorsNameTheKey) {
  struct Case {
    const char* what;
    std::vector<gguf::KeyValue> kvs;
    const char* expected;  // substring of the error
  };
  auto spm = [](auto edit) {
    auto kvs = SpmVocab({"a"});
    edit(kvs);
    return kvs;
  };
  auto bpe = [](auto edit) {
    auto kvs = BpeVocab();
    edit(kvs);
    return kvs;
  };
  const Case cases[] = {
      {"no model", spm([](auto& k) { k.erase(k.begin()); }), "'tokenizer.ggml.model' is missing"},
      {"unsupported model", spm([](auto& k) { SetKey(k, "tokenizer.ggml.model", Value::String("bert")); }),
       "tokenizer 'bert', which is not supported"},
      {"bos out of range", spm([](auto& k) { SetKey(k, "tokenizer.ggml.bos_token_id", Value::U32(99999)); }),
       "'tokenizer.ggml.bos_token_id' = 99999 is not a token id"},
      {"negative eos", spm([](auto& k) { SetKey(k, "tokenizer.ggml.eos_token_id", Value::I32(-5)); }),
       "'tokenizer.ggml.eos_token_id' = -5"},
      {"scores too short", spm([](auto& k) { SetKey(k, "tokenizer.ggml.scores", Value::F32Array({1.0f})); }),
       "'tokenizer.ggml.scores' has 1 entries, expected 260"},
      {"tokens not strings", spm([](auto& k) {
         SetKey(k, "tokenizer.ggml.tokens", Value::I32Array({1, 2}));
       }),
       "'tokenizer.ggml.tokens' is not a string array"},
      {"flag not bool", spm([](auto& k) { SetKey(k, "tokenizer.ggml.add_bos_token", Value::U32(1)); }),
       "'tokenizer.ggml.add_bos_token' is not a bool"},
      {"duplicate token", spm([](auto& k) {
         SetKey(k, "tokenizer.ggml.tokens", Value::StringArray({"x", "x"}));
         SetKey(k, "tokenizer.ggml.scores", Value::F32Array({0, 0}));
         SetKey(k, "tokenizer.ggml.token_type", Value::I32Array({1, 1}));
       }),
       "has token 'x' twice (ids 0 and 1)"},
      {"no merges", bpe([](auto& k) { k.erase(k.begin() + 4); }), "'tokenizer.ggml.merges' is missing"},
      {"merge of unknown token",
       bpe([](auto& k) { SetKey(k, "tokenizer.ggml.merges", Value::StringArray({"a z"})); }),
       "'tokenizer.ggml.merges' entry 0 'a z' refers to a token not in the vocabulary"},
      {"merge without space",
       bpe([](auto& k) { SetKey(k, "tokenizer.ggml.merges", Value::StringArray({"ab"})); }),
       "entry 0 'ab' is not 'left right'"},
      {"unknown pre-tokenizer", bpe([](auto& k) { SetKey(k, "tokenizer.ggml.pre", Value::String("qwen9")); }),
       "'tokenizer.ggml.pre' names pre-tokenizer 'qwen9', which is not supported"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string error = LoadError(c.kvs);
    EXPECT_NE(error.find(c.expected), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace ss::model
