#include "model/utf8.h"

#include <gtest/gtest.h>

namespace ss::model {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(ValidateUtf8("").ok());
  EXPECT_TRUE(ValidateUtf8("plain ascii").ok());
  EXPECT_TRUE(ValidateUtf8("na\xC3\xAFve \xE6\x9D\xB1 \xF0\x9F\x9A\x80").ok());  // ï 東 🚀
  EXPECT_TRUE(ValidateUtf8("\xF4\x8F\xBF\xBF").ok());                            // U+10FFFF
}

TEST(Utf8, RejectsMalformedTextWithItsOffset) {
  const std::pair<std::string, int> cases[] = {
      {"abc\x80", 3},             // lone continuation byte
      {"ab\xC0\x80", 2},          // overlong NUL
      {"a\xE0\x80\xAF", 1},       // overlong 3-byte
      {"\xED\xA0\x80", 0},        // surrogate U+D800
      {"x\xF4\x90\x80\x80", 1},   // above U+10FFFF
      {"xy\xF5\x80\x80\x80", 2},  // impossible lead byte
      {"caf\xC3", 3},             // cut short at the end
      {"caf\xC3"
       "e",
       3},                     // continuation missing
      {"ok \xF0\x9F\x9A", 3},  // emoji missing its last byte
  };
  for (const auto& [text, offset] : cases) {
    const Status s = ValidateUtf8(text);
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_EQ(s.message(), "invalid UTF-8 at byte " + std::to_string(offset));
  }
}

TEST(Utf8, FindsTheUnfinishedTail) {
  EXPECT_EQ(IncompleteUtf8Suffix(""), 0u);
  EXPECT_EQ(IncompleteUtf8Suffix("abc"), 0u);
  EXPECT_EQ(IncompleteUtf8Suffix("ab\xC3"), 1u);
  EXPECT_EQ(IncompleteUtf8Suffix("ab\xE6\x9D"), 2u);
  EXPECT_EQ(IncompleteUtf8Suffix("ab\xF0\x9F\x9A"), 3u);
  EXPECT_EQ(IncompleteUtf8Suffix("ab\xF0\x9F\x9A\x80"), 0u);  // complete
  EXPECT_EQ(IncompleteUtf8Suffix("ab\x80"), 0u);              // invalid, not unfinished
  EXPECT_EQ(IncompleteUtf8Suffix("ab\xC0"), 0u);              // can never complete
  EXPECT_EQ(IncompleteUtf8Suffix("ab\xED\xA0"), 0u);          // would be a surrogate
}

}  // namespace
}  // namespace ss::model
