// The loop alone: the model is a scripted NextTokenFn, which records what it
// was fed and returns the next token of its script.
#include "model/generator.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "gguf/reader.h"
#include "testing.h"

namespace ss::model {
namespace {

const Tokenizer& Spm() {
  static const Tokenizer t = [] {
    auto file = gguf::File::Open(ss::testing::TestdataDir() + "/tokenizer/ggml-vocab-llama-spm.gguf");
    EXPECT_TRUE(file.ok()) << file.status().message();
    auto tokenizer = Tokenizer::Load(**file);
    EXPECT_TRUE(tokenizer.ok()) << tokenizer.status().message();
    return std::move(tokenizer).value();
  }();
  return t;
}

int32_t Id(const std::string& spm_piece) { return Spm().vocab().Find(spm_piece); }

struct Script {
  std::vector<int32_t> tokens;  // returned in order
  std::vector<std::pair<int, std::vector<int32_t>>> fed;
  NextTokenFn Fn() {
    return [this](int pos, std::span<const int32_t> t) -> Result<int32_t> {
      fed.push_back({pos, std::vector<int32_t>(t.begin(), t.end())});
      if (fed.size() > tokens.size()) return Status::Error("script exhausted");
      return tokens[fed.size() - 1];
    };
  }
};

using Fed = std::vector<std::pair<int, std::vector<int32_t>>>;

const std::vector<int32_t> kPrompt = {1, 15043, 3186};

TEST(Generator, FeedsThePromptOnceThenEachSampledToken) {
  const int32_t a = Id("\xE2\x96\x81Hello"), b = Id("\xE2\x96\x81world"), c = Id("!");
  Script s{{a, b, c, a}};
  Completion completion(Spm(), {3, {}, false});
  std::string text;
  std::vector<int32_t> stepped;
  auto r = Generate(kPrompt, s.Fn(), completion, 512, [&](const Step& step) {
    text += step.text;
    stepped.push_back(step.token);
    return true;
  });
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(s.fed, (Fed{{0, kPrompt}, {3, {a}}, {4, {b}}}));
  EXPECT_EQ(r->tokens, (std::vector<int32_t>{a, b, c}));
  EXPECT_EQ(stepped, r->tokens);
  EXPECT_EQ(r->reason, FinishReason::kLength);
  EXPECT_FALSE(r->context_full);
  EXPECT_EQ(r->n_forward, 3);
  EXPECT_EQ(text, " Hello world!");
}

TEST(Generator, EndOfGenerationAndStopStrings) {
  const int32_t a = Id("\xE2\x96\x81Hello"), b = Id("\xE2\x96\x81world"), eos = Spm().vocab().eos();
  Script s{{a, eos, b}};
  Completion completion(Spm(), {-1, {}, false});
  auto r = Generate(kPrompt, s.Fn(), completion, 512, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->tokens, (std::vector<int32_t>{a, eos}));
  EXPECT_EQ(r->reason, FinishReason::kStop);
  EXPECT_EQ(s.fed.size(), 2u);

  // The step that is done carries what the completion still held.
  Script t{{a, b}};
  Completion stopping(Spm(), {1, {"o!"}, false});  // " Hell", then "o" is held
  std::string text;
  std::vector<bool> done;
  r = Generate(kPrompt, t.Fn(), stopping, 512, [&](const Step& step) {
    text += step.text;
    done.push_back(step.done);
    return true;
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(text, " Hello");
  EXPECT_EQ(done, (std::vector<bool>{true}));
  EXPECT_EQ(r->reason, FinishReason::kLength);
}

TEST(Generator, StopsWhenTheContextIsFull) {
  const int32_t a = Id("\xE2\x96\x81Hello"), b = Id("\xE2\x96\x81world");
  Script s{{a, b, a, b}};
  Completion completion(Spm(), {-1, {"d!"}, false});  // holds the "d"
  std::string text;
  std::vector<Step> steps;
  // Positions 0-2 hold the prompt, 3 holds a; b, sampled for position 4,
  // would leave no room for a token after it, so it is not fed.
  auto r = Generate(kPrompt, s.Fn(), completion, 5, [&](const Step& step) {
    steps.push_back(step);
    return true;
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(s.fed, (Fed{{0, kPrompt}, {3, {a}}}));
  EXPECT_EQ(r->tokens, (std::vector<int32_t>{a, b}));
  EXPECT_TRUE(r->context_full);
  EXPECT_EQ(r->reason, FinishReason::kLength);
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[1].token, b);
  EXPECT_TRUE(steps[1].done);
  EXPECT_EQ(steps[0].text + steps[1].text, " Hello world");

  Completion c2(Spm(), {-1, {}, false});
  auto full = Generate(kPrompt, s.Fn(), c2, 3, {});
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().message(), "the prompt has 3 tokens but the context holds 3; shorten it");
}

TEST(Generator, OnStepFalseCancels) {
  const int32_t a = Id("\xE2\x96\x81Hello"), b = Id("\xE2\x96\x81world");
  Script s{{a, b, a, b}};
  Completion completion(Spm(), {-1, {}, false});
  int calls = 0;
  auto r = Generate(kPrompt, s.Fn(), completion, 512, [&](const Step&) { return ++calls < 2; });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(s.fed, (Fed{{0, kPrompt}, {3, {a}}}));
  EXPECT_EQ(r->tokens, (std::vector<int32_t>{a, b}));
  EXPECT_EQ(r->reason, FinishReason::kNone);
  EXPECT_TRUE(completion.done());
}

TEST(Generator, MaxTokensZeroEvaluatesThePromptOnly) {
  Script s{{Id("\xE2\x96\x81Hello")}};
  Completion completion(Spm(), {0, {}, false});
  int calls = 0;
  auto r = Generate(kPrompt, s.Fn(), completion, 512, [&](const Step&) { return ++calls > 0; });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(s.fed, (Fed{{0, kPrompt}}));
  EXPECT_TRUE(r->tokens.empty());
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(r->reason, FinishReason::kLength);
}

TEST(Generator, ModelErrorsAreReturned) {
  Script s{{Id("\xE2\x96\x81Hello")}};  // one token, then "script exhausted"
  Completion completion(Spm(), {-1, {}, false});
  auto r = Generate(kPrompt, s.Fn(), completion, 512, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "script exhausted");
  Completion c2(Spm(), {-1, {}, false});
  EXPECT_FALSE(Generate({}, s.Fn(), c2, 512, {}).ok());
}

}  // namespace
}  // namespace ss::model
