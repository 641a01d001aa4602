#include "util/hex.h"

#include <gtest/gtest.h>

namespace ss {
namespace {

TEST(Hex, EncodesLowerCaseAndDecodesEitherCase) {
  const std::string bytes("\x00\x01\x7f\x80\xab\xff", 6);
  EXPECT_EQ(HexEncode(bytes), "00017f80abff");
  EXPECT_EQ(HexDecode("00017f80abff"), bytes);
  EXPECT_EQ(HexDecode("00017F80ABFF"), bytes);
  EXPECT_EQ(HexDecode(""), "");
  EXPECT_EQ(HexEncode(""), "");
}

TEST(Hex, DecodeRefusesOddLengthsAndOtherCharacters) {
  EXPECT_FALSE(HexDecode("abc").has_value());
  EXPECT_FALSE(HexDecode("0g").has_value());
  EXPECT_FALSE(HexDecode(" 0").has_value());
  EXPECT_FALSE(HexDecode(std::string("0\0", 2)).has_value());
}

TEST(Hex, ConstantTimeEqualsComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret2"));
  EXPECT_FALSE(ConstantTimeEquals("secret", ""));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), "a"));
}

TEST(Hex, ShortIdKeepsTwelveCharactersAndMarksTheCut) {
  EXPECT_EQ(ShortId("3f9a12c4b7e0d5a6c7b8e9f0a1b2c3d4"), "3f9a12c4b7e0…");
  EXPECT_EQ(ShortId("3f9a12c4b7e0"), "3f9a12c4b7e0");
  EXPECT_EQ(ShortId("ab"), "ab");
  EXPECT_EQ(ShortId(""), "");
}

}  // namespace
}  // namespace ss
