#include "net/activation_frame.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

namespace ss::net {
namespace {

ActivationFrame Hidden(uint32_t rows, uint32_t width) {
  ActivationFrame f;
  f.kind = ActivationKind::kHiddenStates;
  f.request_id = 0x0102030405060708ull;
  f.session = 42;
  f.width = width;
  for (uint32_t r = 0; r < rows; ++r)
    f.rows.push_back({static_cast<int32_t>(r), static_cast<int32_t>(1000 + r)});
  for (uint32_t i = 0; i < rows * width; ++i) f.values.push_back(static_cast<float>(i) * 0.5f - 3.25f);
  return f;
}

std::string DecodeError(const std::vector<uint8_t>& b, size_t max_rows = 64, size_t max_width = 64) {
  auto r = DecodeActivationFrame(b.data(), b.size(), max_rows, max_width);
  return r.ok() ? "" : r.status().message();
}

void Set32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[off + i] = static_cast<uint8_t>(v >> (8 * i));
}

TEST(ActivationFrame, RoundTripHiddenStates) {
  ActivationFrame f = Hidden(3, 5);
  f.rows[1].pos = -1;
  f.values[4] = -0.0f;
  auto bytes = EncodeActivationFrame(f);
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  ASSERT_EQ(bytes->size(), kActivationHeaderBytes + 3 * 8 + 15 * 4);
  auto back = DecodeActivationFrame(bytes->data(), bytes->size(), 3, 5);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->kind, f.kind);
  EXPECT_EQ(back->request_id, f.request_id);
  EXPECT_EQ(back->session, f.session);
  EXPECT_EQ(back->width, f.width);
  EXPECT_EQ(back->rows, f.rows);
  ASSERT_EQ(back->values.size(), f.values.size());
  EXPECT_EQ(std::memcmp(back->values.data(), f.values.data(), f.values.size() * 4), 0);
  EXPECT_TRUE(std::signbit(back->values[4]));
}

TEST(ActivationFrame, LittleEndianLayout) {
  ActivationFrame f = Hidden(1, 1);
  f.values[0] = 1.0f;
  auto b = EncodeActivationFrame(f).value();
  EXPECT_EQ(std::string(b.begin(), b.begin() + 4), "SSAF");
  EXPECT_EQ(b[4], 1);  // version
  EXPECT_EQ(b[6], 2);  // kind
  EXPECT_EQ(b[8], 8);  // request id, low byte first
  EXPECT_EQ(b[15], 1);
  EXPECT_EQ(b[24], 1);     // n_rows
  EXPECT_EQ(b[28], 1);     // width
  EXPECT_EQ(b[36], 0xe8);  // token 1000 = 0x3e8
  EXPECT_EQ(b[43], 0x3f);  // 1.0f = 0x3f800000
}

TEST(ActivationFrame, RoundTripTokens) {
  ActivationFrame f;
  f.kind = ActivationKind::kTokens;
  f.rows = {{0, 1}, {1, 2}};
  auto bytes = EncodeActivationFrame(f);
  ASSERT_TRUE(bytes.ok());
  auto back = DecodeActivationFrame(bytes->data(), bytes->size(), 2, 0);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->rows, f.rows);
  EXPECT_TRUE(back->values.empty());
}

TEST(ActivationFrame, EncodeRefusesInconsistentFrames) {
  ActivationFrame f = Hidden(2, 3);
  f.values.pop_back();
  EXPECT_FALSE(EncodeActivationFrame(f).ok());
  EXPECT_FALSE(EncodeActivationFrame(Hidden(0, 3)).ok());
  ActivationFrame t = Hidden(1, 2);
  t.kind = ActivationKind::kTokens;
  EXPECT_FALSE(EncodeActivationFrame(t).ok());
  EXPECT_FALSE(EncodeActivationFrame(Hidden(2, 0)).ok());
}

TEST(ActivationFrame, DecodeRefusesBadHeaders) {
  auto good = EncodeActivationFrame(Hidden(2, 3)).value();
  EXPECT_NE(DecodeError({}).find("shorter than the 32-byte header"), std::string::npos);
  EXPECT_NE(DecodeError(std::vector<uint8_t>(good.begin(), good.begin() + 31)).find("header"),
            std::string::npos);
  EXPECT_FALSE(DecodeActivationFrame(nullptr, 100, 1, 1).ok());
  auto b = good;
  b[0] = 'X';
  EXPECT_NE(DecodeError(b).find("magic"), std::string::npos);
  b = good;
  b[4] = 2;
  EXPECT_NE(DecodeError(b).find("version 2"), std::string::npos);
  b = good;
  b[6] = 9;
  EXPECT_NE(DecodeError(b).find("unknown frame kind 9"), std::string::npos);
  b = good;
  Set32(b, 24, 0);
  EXPECT_EQ(DecodeError(b), "frame has no rows");
  b = good;
  b[6] = 1;  // tokens with a width
  EXPECT_NE(DecodeError(b).find("width 0"), std::string::npos);
}

TEST(ActivationFrame, DecodeChecksLimitsAndLength) {
  auto good = EncodeActivationFrame(Hidden(2, 3)).value();
  EXPECT_EQ(DecodeError(good), "");
  EXPECT_NE(DecodeError(good, 1, 64).find("2 rows, the limit is 1"), std::string::npos);
  EXPECT_NE(DecodeError(good, 64, 2).find("width is 3, the limit is 2"), std::string::npos);
  auto truncated = good;
  truncated.pop_back();
  EXPECT_NE(DecodeError(truncated).find("expected"), std::string::npos);
  auto longer = good;
  longer.push_back(0);
  EXPECT_NE(DecodeError(longer).find("expected"), std::string::npos);
  // Huge dimensions with huge limits: refused by the length check, nothing allocated.
  auto b = good;
  Set32(b, 24, 0xffffffffu);
  Set32(b, 28, 0xffffffffu);
  auto r = DecodeActivationFrame(b.data(), b.size(), SIZE_MAX, SIZE_MAX);
  EXPECT_FALSE(r.ok());
}

TEST(ActivationFrame, DecodeRefusesNonFiniteValues) {
  ActivationFrame f = Hidden(2, 2);
  auto b = EncodeActivationFrame(f).value();
  float nan = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(&b[kActivationHeaderBytes + 16 + 3 * 4], &nan, 4);
  EXPECT_EQ(DecodeError(b), "value 1 of row 1 is not finite");
  float inf = std::numeric_limits<float>::infinity();
  std::memcpy(&b[kActivationHeaderBytes + 16], &inf, 4);
  EXPECT_EQ(DecodeError(b), "value 0 of row 0 is not finite");
}

}  // namespace
}  // namespace ss::net
