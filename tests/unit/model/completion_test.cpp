#include "model/completion.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gguf/reader.h"
#include "testing.h"

namespace ss::model {
namespace {

// llama.cpp's vocabulary-only GGUF files (no tensors).
Tokenizer LoadVocab(const std::string& name) {
  auto file = gguf::File::Open(ss::testing::TestdataDir() + "/tokenizer/" + name);
  EXPECT_TRUE(file.ok()) << file.status().message();
  auto tokenizer = Tokenizer::Load(**file);
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  return std::move(tokenizer).value();
}

const Tokenizer& Spm() {
  static const Tokenizer t = LoadVocab("ggml-vocab-llama-spm.gguf");
  return t;
}

// The id of an SPM piece ("▁" for a space).
int32_t Id(const std::string& text) {
  std::string piece;
  for (char c : text) piece += c == ' ' ? std::string("\xE2\x96\x81") : std::string(1, c);
  const int32_t id = Spm().vocab().Find(piece);
  EXPECT_NE(id, kNoToken) << text;
  return id;
}

CompletionOptions Options(int max_tokens, std::vector<std::string> stop = {}, bool ignore_eos = false) {
  return {max_tokens, std::move(stop), ignore_eos};
}

TEST(Completion, StopStringAcrossTwoTokensIsHeldBackThenDropped) {
  Completion c(Spm(), Options(10, {"o w"}));
  Step a = c.Push(Id(" Hello"));
  EXPECT_EQ(a.text, " Hell");  // "o" may begin "o w"
  EXPECT_FALSE(a.done);
  EXPECT_EQ(a.token, Id(" Hello"));
  Step b = c.Push(Id(" world"));
  EXPECT_EQ(b.text, "");
  EXPECT_TRUE(b.done);
  EXPECT_EQ(b.reason, FinishReason::kStop);
  EXPECT_EQ(c.Finish(), "");  // nothing after the match, ever
  EXPECT_EQ(c.n_generated(), 2);
}

TEST(Completion, PrefixThatIsNotAStopStringIsReleased) {
  Completion c(Spm(), Options(10, {"o w"}));
  EXPECT_EQ(c.Push(Id(" Hello")).text, " Hell");
  Step b = c.Push(Id(" there"));
  EXPECT_EQ(b.text, "o there");
  EXPECT_FALSE(b.done);
  EXPECT_EQ(b.reason, FinishReason::kNone);
}

TEST(Completion, TextBeforeAStopInsideOneTokenIsEmitted) {
  Completion c(Spm(), Options(10, {"ll"}));
  Step a = c.Push(Id(" Hello"));
  EXPECT_EQ(a.text, " He");
  EXPECT_TRUE(a.done);
  EXPECT_EQ(a.reason, FinishReason::kStop);
  EXPECT_EQ(c.Finish(), "");
}

TEST(Completion, EarliestOfSeveralStopStringsWins) {
  for (const std::vector<std::string>& stops :
       {std::vector<std::string>{"world", "o w"}, std::vector<std::string>{"o w", "world"}}) {
    Completion c(Spm(), Options(10, stops));
    std::string text = c.Push(Id(" Hello")).text;
    Step b = c.Push(Id(" world"));
    EXPECT_TRUE(b.done);
    text += b.text + c.Finish();
    EXPECT_EQ(text, " Hell") << stops[0];
  }
  Completion only_world(Spm(), Options(10, {"world", ""}));  // "" is ignored
  std::string text = only_world.Push(Id(" Hello")).text;
  text += only_world.Push(Id(" world")).text;
  EXPECT_TRUE(only_world.done());
  EXPECT_EQ(text, " Hello ");
}

TEST(Completion, MaxTokensEndsWithLengthAndReleasesWhatWasHeld) {
  Completion c(Spm(), Options(2, {"o w"}));
  EXPECT_FALSE(c.Push(Id(" Hi")).done);
  Step b = c.Push(Id(" Hello"));
  EXPECT_EQ(b.text, " Hell");
  EXPECT_TRUE(b.done);
  EXPECT_EQ(b.reason, FinishReason::kLength);
  EXPECT_EQ(c.Finish(), "o");
  EXPECT_EQ(c.Finish(), "");
  EXPECT_EQ(c.n_generated(), 2);
  EXPECT_EQ(FinishReasonName(c.reason()), "length");
}

TEST(Completion, EndOfGenerationStopsWithoutText) {
  const int32_t eos = Spm().vocab().eos();
  ASSERT_TRUE(Spm().vocab().IsEog(eos));
  Completion c(Spm(), Options(10));
  EXPECT_EQ(c.Push(Id(" Hi")).text, " Hi");
  Step s = c.Push(eos);
  EXPECT_EQ(s.text, "");
  EXPECT_TRUE(s.done);
  EXPECT_EQ(s.reason, FinishReason::kStop);
  EXPECT_EQ(FinishReasonName(s.reason), "stop");
  EXPECT_EQ(c.n_generated(), 2);

  // With ignore_eos it is a control token like any other: no text, no stop.
  Completion ignoring(Spm(), Options(10, {}, /*ignore_eos=*/true));
  Step t = ignoring.Push(eos);
  EXPECT_EQ(t.text, "");
  EXPECT_FALSE(t.done);
}

TEST(Completion, MaxTokensZeroIsDoneBeforeAnyToken) {
  Completion c(Spm(), Options(0, {"x"}));
  EXPECT_TRUE(c.done());
  EXPECT_EQ(c.reason(), FinishReason::kLength);
  EXPECT_EQ(c.n_generated(), 0);
  EXPECT_EQ(c.Finish(), "");
}

TEST(Completion, UnfinishedCharacterIsHeldUntilCompleteOrFinished) {
  const int32_t c3 = Spm().vocab().ByteToken(0xC3), a9 = Spm().vocab().ByteToken(0xA9);
  Completion c(Spm(), Options(-1));
  EXPECT_EQ(c.Push(c3).text, "");
  EXPECT_EQ(c.Push(a9).text, "\xC3\xA9");
  EXPECT_EQ(c.Push(c3).text, "");
  EXPECT_EQ(c.Stop(FinishReason::kLength).text, "\xC3");  // the caller's stop (context full)
  EXPECT_EQ(c.reason(), FinishReason::kLength);
}

TEST(Completion, WithoutStopStringsTheTextIsTheDetokenizedSequence) {
  auto ids = Spm().Tokenize("Once upon a time, there was a café", false, false);
  ASSERT_TRUE(ids.ok());
  Completion c(Spm(), Options(-1));
  std::string text;
  for (int32_t id : *ids) text += c.Push(id).text;
  text += c.Stop(FinishReason::kNone).text;
  EXPECT_EQ(text, " Once upon a time, there was a café");
  EXPECT_EQ(FinishReasonName(FinishReason::kNone), "cancelled");
}

TEST(Completion, BpeStopStringAcrossTokens) {
  const Tokenizer bpe = LoadVocab("ggml-vocab-llama-bpe.gguf");
  auto ids = bpe.Tokenize("Hello world, again", false, false);
  ASSERT_TRUE(ids.ok());
  ASSERT_GE(ids->size(), 3u);
  Completion c(bpe, Options(-1, {"lo wor"}));
  std::string text;
  for (int32_t id : *ids) {
    if (c.done()) break;
    text += c.Push(id).text;
  }
  EXPECT_TRUE(c.done());
  text += c.Finish();
  EXPECT_EQ(text, "Hel");
}

}  // namespace
}  // namespace ss::model
