// Untrusted JSON: valid text parses, invalid text and nesting beyond the
// bound are errors that say which, and a very deep document (as a hostile
// peer sends) is refused without building it.
#include "util/json_parse.h"

#include <gtest/gtest.h>

#include <string>

namespace ss {
namespace {

std::string Nested(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(ParseUntrustedJson, ParsesValidText) {
  auto j =
      ParseUntrustedJson(R"({"prompt": "hi", "messages": [{"role": "user", "content": [{"text": "x"}]}]})");
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_EQ((*j)["messages"][0]["content"][0]["text"], "x");
}

TEST(ParseUntrustedJson, BoundsTheNesting) {
  EXPECT_TRUE(ParseUntrustedJson(Nested(kMaxJsonDepth)).ok());
  auto deep = ParseUntrustedJson(Nested(kMaxJsonDepth + 1));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().message(), "nested deeper than 64 levels");
  // A million levels: refused, and nothing that deep is built or copied.
  auto hostile = ParseUntrustedJson(R"({"stop": )" + Nested(1000000) + "}");
  ASSERT_FALSE(hostile.ok());
  EXPECT_EQ(hostile.status().message(), "nested deeper than 64 levels");
  EXPECT_TRUE(ParseUntrustedJsonOrDiscarded(Nested(200)).is_discarded());
}

TEST(ParseUntrustedJson, SaysWhatIsWrong) {
  auto bad = ParseUntrustedJson(R"({"prompt": "hi",)");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().rfind("not valid JSON: parse error at line 1", 0), 0u)
      << bad.status().message();
  auto huge = ParseUntrustedJson(R"({"temperature": 1e400})");
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("1e400"), std::string::npos) << huge.status().message();
  EXPECT_TRUE(ParseUntrustedJsonOrDiscarded("{").is_discarded());
}

}  // namespace
}  // namespace ss
