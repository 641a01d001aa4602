#include "util/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace ss {
namespace {

std::string Decoded(std::string_view text) {
  auto r = Base64Decode(text);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::string(r->begin(), r->end()) : "";
}

// RFC 4648 §10 test vectors.
TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> cases[] = {{"", ""},
                                                       {"f", "Zg=="},
                                                       {"fo", "Zm8="},
                                                       {"foo", "Zm9v"},
                                                       {"foob", "Zm9vYg=="},
                                                       {"fooba", "Zm9vYmE="},
                                                       {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : cases) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Decoded(encoded), plain);
  }
}

TEST(Base64, EveryByteValueRoundTrips) {
  std::string bytes;
  for (int i = 0; i < 3 * 1000 + 1; ++i) bytes += static_cast<char>(i * 7 + 3);
  bytes += '\0';
  const std::string text = Base64Encode(bytes);
  EXPECT_EQ(text.size(), (bytes.size() + 2) / 3 * 4);
  EXPECT_EQ(Decoded(text), bytes);
}

TEST(Base64, RefusesMalformedText) {
  for (const char* bad : {"Zg=", "Zm9v\n", "Zm 9", "Zg==Zg==", "Z===", "Zm9*", "=Zm9"}) {
    auto r = Base64Decode(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
  EXPECT_EQ(Base64Decode("Zg=").status().message(), "base64: length 3 is not a multiple of 4");
}

}  // namespace
}  // namespace ss
