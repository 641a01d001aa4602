#include "gateway/openai_request.h"

#include <gtest/gtest.h>

namespace ss::gateway {
namespace {

CompletionRequest Ok(const std::string& body, ApiKind kind = ApiKind::kCompletion) {
  auto r = ParseCompletionRequest(body, kind);
  EXPECT_TRUE(r.ok()) << body << ": " << r.status().message();
  return r.ok() ? *r : CompletionRequest{};
}

std::string Refusal(const std::string& body, ApiKind kind = ApiKind::kCompletion) {
  auto r = ParseCompletionRequest(body, kind);
  EXPECT_FALSE(r.ok()) << body;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().message();
  return r.status().message();
}

TEST(OpenAiRequest, CompletionWithEverySamplingParameter) {
  CompletionRequest r =
      Ok(R"({"model": "m", "prompt": "Hi", "max_tokens": 5, "temperature": 0.5, "top_p": 0.9,
    "top_k": 7, "min_p": 0.1, "seed": 42, "presence_penalty": 0.5, "frequency_penalty": -0.5,
    "repeat_penalty": 1.2, "stop": "\n", "stream": true, "stream_options": {"include_usage": true}})");
  EXPECT_EQ(r.prompt, "Hi");
  EXPECT_EQ(*r.max_tokens, 5);
  EXPECT_FLOAT_EQ(r.sampling.temperature, 0.5f);
  EXPECT_FLOAT_EQ(r.sampling.top_p, 0.9f);
  EXPECT_EQ(r.sampling.top_k, 7);
  EXPECT_FLOAT_EQ(r.sampling.min_p, 0.1f);
  EXPECT_EQ(r.sampling.seed, 42u);
  EXPECT_TRUE(r.seed_given);
  EXPECT_FLOAT_EQ(r.sampling.repeat_penalty, 1.2f);
  EXPECT_EQ(r.stop, std::vector<std::string>{"\n"});
  EXPECT_TRUE(r.stream);
  EXPECT_TRUE(r.include_usage);
}

TEST(OpenAiRequest, DefaultsMatchGenerate) {
  CompletionRequest r = Ok(R"({"prompt": "Hi"})");
  model::SamplingParams d;
  EXPECT_FALSE(r.max_tokens);
  EXPECT_EQ(r.sampling.temperature, d.temperature);
  EXPECT_EQ(r.sampling.top_k, d.top_k);
  EXPECT_FALSE(r.seed_given);
  EXPECT_FALSE(r.stream);
}

TEST(OpenAiRequest, PromptForms) {
  EXPECT_EQ(Ok(R"({"prompt": ["one"]})").prompt, "one");
  EXPECT_EQ(Ok(R"({"prompt": [1, 15043]})").prompt_tokens, (std::vector<int32_t>{1, 15043}));
  EXPECT_NE(Refusal(R"({"prompt": ["a", "b"]})").find("several prompts"), std::string::npos);
  EXPECT_NE(Refusal(R"({"prompt": [1, -2]})").find("non-negative"), std::string::npos);
  EXPECT_NE(Refusal(R"({"prompt": 3})").find("'prompt' must be"), std::string::npos);
  EXPECT_NE(Refusal("{\"prompt\": \"\\udc00\"}").find("not valid JSON"), std::string::npos);
}

TEST(OpenAiRequest, ChatMessages) {
  CompletionRequest r = Ok(R"({"messages": [{"role": "developer", "content": "Be brief."},
    {"role": "user", "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "there"}]},
    {"role": "assistant", "content": null}], "max_completion_tokens": 9})",
                           ApiKind::kChat);
  ASSERT_EQ(r.messages.size(), 3u);
  EXPECT_EQ(r.messages[0].role, "system");
  EXPECT_EQ(r.messages[1].content, "Hi there");
  EXPECT_EQ(r.messages[2].content, "");
  EXPECT_EQ(*r.max_tokens, 9);
  EXPECT_NE(Refusal(R"({"messages": []})", ApiKind::kChat).find("'messages' is required"), std::string::npos);
  EXPECT_NE(Refusal(R"({"messages": "hi"})", ApiKind::kChat).find("'messages' must be a list of"),
            std::string::npos);
  EXPECT_NE(Refusal(R"({"messages": [{"role": "tool", "content": "x"}]})", ApiKind::kChat).find("role"),
            std::string::npos);
  EXPECT_NE(Refusal(R"({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]})", ApiKind::kChat)
                .find("may hold only"),
            std::string::npos);
  // Only an assistant turn may come without content (audit: a user message
  // without it was read as an empty prompt).
  EXPECT_NE(Refusal(R"({"messages": [{"role": "user"}]})", ApiKind::kChat)
                .find("'messages[0].content' is required for a user message"),
            std::string::npos);
  EXPECT_NE(
      Refusal(R"({"messages": [{"role": "system", "content": "x"}, {"role": "user", "content": null}]})",
              ApiKind::kChat)
          .find("'messages[1].content' is required"),
      std::string::npos);
  EXPECT_EQ(Ok(R"({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant"}]})", ApiKind::kChat)
                .messages[1]
                .content,
            "");
}

// Fuzz-campaign findings: an integer beyond int64 overflowed the range
// check (undefined behaviour), and a deeply nested value overflowed the stack
// when copied ("stop") or printed in the error ("stream").
TEST(OpenAiRequest, HugeIntegersAndDeepNestingAreRefused) {
  EXPECT_NE(Refusal(R"({"prompt": "x", "seed": 9223372036854775808})").find("'seed' must be between"),
            std::string::npos);
  EXPECT_NE(
      Refusal(R"({"prompt": "x", "max_tokens": 18446744073709551615})").find("'max_tokens' must be between"),
      std::string::npos);
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  for (const char* field : {"stop", "stream", "messages"})
    EXPECT_EQ(Refusal(std::string(R"({"prompt": "x", ")") + field + "\": " + deep + "}"),
              "the request body is nested deeper than 64 levels");
}

TEST(OpenAiRequest, WrongTypesAndRangesNameTheParameter) {
  EXPECT_NE(Refusal("not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(Refusal("[]").find("JSON object"), std::string::npos);
  EXPECT_NE(Refusal(R"({"prompt": "x", "max_tokens": 1.5})").find("'max_tokens' must be an integer"),
            std::string::npos);
  EXPECT_NE(Refusal(R"({"prompt": "x", "max_tokens": -1})").find("'max_tokens' must be between"),
            std::string::npos);
  EXPECT_NE(Refusal(R"({"prompt": "x", "temperature": "hot"})").find("'temperature' must be a number"),
            std::string::npos);
  EXPECT_NE(Refusal(R"({"prompt": "x", "top_p": 0})").find("'top_p'"), std::string::npos);
  EXPECT_NE(Refusal(R"({"prompt": "x", "top_k": -3})").find("'top_k'"), std::string::npos);
  EXPECT_NE(Refusal(R"({"prompt": "x", "stream": "yes"})").find("'stream'"), std::string::npos);
  EXPECT_NE(Refusal(R"({"prompt": "x", "stop": ["a","b","c","d","e"]})").find("at most 4"),
            std::string::npos);
  EXPECT_NE(Refusal(R"({"prompt": "x", "stop": [""]})").find("empty"), std::string::npos);
  EXPECT_NE(Refusal(R"({"prompt": "x", "model": 5})").find("'model'"), std::string::npos);
}

TEST(OpenAiRequest, UnsupportedParametersOnlyWhenNotDefault) {
  Ok(R"({"prompt": "x", "n": 1, "logprobs": null, "echo": false, "logit_bias": {}, "tools": [],
    "response_format": {"type": "text"}, "best_of": 1, "user": "me", "whatever": {"a": 1}})");
  EXPECT_NE(Refusal(R"({"prompt": "x", "n": 3})").find("'n' must be 1"), std::string::npos);
  EXPECT_NE(Refusal(R"({"prompt": "x", "echo": true})").find("'echo' is not supported"), std::string::npos);
  EXPECT_NE(Refusal(R"({"prompt": "x", "logprobs": 2})").find("'logprobs'"), std::string::npos);
  EXPECT_NE(Refusal(R"({"prompt": "x", "logit_bias": {"1": 5}})").find("'logit_bias'"), std::string::npos);
  EXPECT_NE(Refusal(R"({"prompt": "x", "response_format": {"type": "json_object"}})").find("response_format"),
            std::string::npos);
}

TEST(OpenAiRequest, SeedIsTakenModulo2To32) {
  EXPECT_EQ(Ok(R"({"prompt": "x", "seed": 4294967297})").sampling.seed, 1u);
  EXPECT_EQ(Ok(R"({"prompt": "x", "seed": -1})").sampling.seed, 4294967295u);
}

}  // namespace
}  // namespace ss::gateway
