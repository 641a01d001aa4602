#include "engine/quants.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "engine_test_util.h"
#include "util/half.h"

namespace ss::engine {
namespace {

using gguf::TensorType;

TEST(QuantsTest, BlockSizesMatchGgufTypeTable) {
  EXPECT_EQ(gguf::TypeInfo(TensorType::Q8_0).type_size, sizeof(BlockQ8_0));
  EXPECT_EQ(gguf::TypeInfo(TensorType::Q4_0).type_size, sizeof(BlockQ4_0));
  EXPECT_EQ(gguf::TypeInfo(TensorType::Q4_K).type_size, sizeof(BlockQ4_K));
  EXPECT_EQ(gguf::TypeInfo(TensorType::Q6_K).type_size, sizeof(BlockQ6_K));
  EXPECT_EQ(gguf::TypeInfo(TensorType::Q8_K).type_size, sizeof(BlockQ8_K));
  EXPECT_EQ(RowBytes(TensorType::Q8_0, 64), 68u);
  EXPECT_EQ(RowBytes(TensorType::F16, 7), 14u);
}

TEST(QuantsTest, Q8_0UsesScale127OverAmaxAndRoundsHalfToEven) {
  float x[kQK8_0] = {};
  x[0] = 127.0f;  // amax = 127 -> d = 1, id = 1
  x[1] = 2.5f;    // tie -> 2 (half to even; ggml's _ref would give 3)
  x[2] = -3.5f;   // tie -> -4
  x[3] = 0.49f;
  x[4] = -127.0f;
  BlockQ8_0 b;
  QuantizeRowQ8_0(x, &b, kQK8_0);
  EXPECT_EQ(HalfToFloat(b.d), 1.0f);
  EXPECT_EQ(b.qs[0], 127);
  EXPECT_EQ(b.qs[1], 2);
  EXPECT_EQ(b.qs[2], -4);
  EXPECT_EQ(b.qs[3], 0);
  EXPECT_EQ(b.qs[4], -127);
}

TEST(QuantsTest, Q8_0ZeroBlock) {
  float x[2 * kQK8_0] = {};
  x[40] = 1.0f;
  BlockQ8_0 b[2];
  QuantizeRowQ8_0(x, b, 2 * kQK8_0);
  EXPECT_EQ(b[0].d, 0);
  for (int8_t q : b[0].qs) EXPECT_EQ(q, 0);
  EXPECT_EQ(b[1].qs[8], 127);
}

TEST(QuantsTest, Q4_0NibbleOrderAndScaleSign) {
  float x[kQK4_0];
  for (int i = 0; i < kQK4_0; ++i) x[i] = static_cast<float>(i % 16) - 8.0f;  // -8 .. 7
  x[17] = 7.5f;  // largest magnitude is still -8 (first), so d = -8 / -8 = 1
  BlockQ4_0 b;
  QuantizeRowQ4_0(x, &b, kQK4_0);
  EXPECT_EQ(HalfToFloat(b.d), 1.0f);
  float y[kQK4_0];
  DequantizeRowQ4_0(&b, y, kQK4_0);
  for (int i = 0; i < kQK4_0; ++i) {
    if (i == 17) continue;
    EXPECT_EQ(y[i], x[i]) << i;
  }
  EXPECT_EQ(b.qs[0] & 0xF, 0);  // element 0 (-8) in the low nibble of byte 0
  EXPECT_EQ(b.qs[1] >> 4, 15);  // element 17, high nibble of byte 1: (int)(7.5 + 8.5) = 16 clamps to 15
  EXPECT_EQ(y[17], 7.0f);
}

// The interleaved layout (quants.h BlockQ4_0x8): every element of every row
// is found where the header says, with its row's scale.
TEST(QuantsTest, InterleaveQ4_0PutsEveryElementWhereTheLayoutSays) {
  std::mt19937 rng(24);
  const int64_t n = 3 * kQK4_0;
  std::vector<uint8_t> rows = testutil::RandomWeights(rng, TensorType::Q4_0, n, kInterleave);
  const std::vector<uint8_t> before = rows;
  InterleaveRows(TensorType::Q4_0, rows.data(), n);
  const auto* x = reinterpret_cast<const BlockQ4_0x8*>(rows.data());
  const size_t row_bytes = RowBytes(TensorType::Q4_0, n);
  for (int r = 0; r < kInterleave; ++r) {
    const std::vector<float> want = testutil::Dequantize(TensorType::Q4_0, before.data() + r * row_bytes, n);
    for (int64_t i = 0; i < n; ++i) {
      const BlockQ4_0x8& blk = x[i / kQK4_0];
      const int e = static_cast<int>(i % kQK4_0);
      const uint8_t byte = blk.qs[32 * ((e % 16) / 4) + 4 * r + e % 4];
      const int q = e < 16 ? (byte & 0x0F) : (byte >> 4);
      ASSERT_EQ(HalfToFloat(blk.d[r]) * static_cast<float>(q - 8), want[static_cast<size_t>(i)])
          << "row " << r << " element " << i;
    }
  }
}

TEST(QuantsTest, InterleaveQ8_0PutsEveryElementWhereTheLayoutSays) {
  std::mt19937 rng(26);
  const int64_t n = 3 * kQK8_0;
  std::vector<uint8_t> rows = testutil::RandomWeights(rng, TensorType::Q8_0, n, kInterleave);
  const std::vector<uint8_t> before = rows;
  InterleaveRows(TensorType::Q8_0, rows.data(), n);
  const auto* x = reinterpret_cast<const BlockQ8_0x8*>(rows.data());
  const size_t row_bytes = RowBytes(TensorType::Q8_0, n);
  for (int r = 0; r < kInterleave; ++r) {
    const std::vector<float> want = testutil::Dequantize(TensorType::Q8_0, before.data() + r * row_bytes, n);
    for (int64_t i = 0; i < n; ++i) {
      const BlockQ8_0x8& blk = x[i / kQK8_0];
      const int e = static_cast<int>(i % kQK8_0);
      ASSERT_EQ(HalfToFloat(blk.d[r]) * blk.qs[32 * (e / 4) + 4 * r + e % 4], want[static_cast<size_t>(i)])
          << "row " << r << " element " << i;
    }
  }
  EXPECT_FALSE(CanInterleave(TensorType::F16));
}

// BlockQ8_0x16 and BlockQ4_0x16 likewise: 8 blocks at a time, their scales
// first, and the row's last blocks (11 = 8 + 3) in a shorter one laid out the
// same.
TEST(QuantsTest, InterleaveBy16PutsEveryElementOfBlocksOf32WhereTheLayoutSays) {
  std::mt19937 rng(28);
  constexpr int R = 2 * kInterleave;
  const int64_t nb = 11, n = nb * 32;
  for (TensorType t : {TensorType::Q8_0, TensorType::Q4_0}) {
    const bool q8 = t == TensorType::Q8_0;
    const int words = q8 ? 8 : 4;  // of a row's block
    std::vector<uint8_t> rows = testutil::RandomWeights(rng, t, n, R);
    const std::vector<uint8_t> before = rows;
    InterleaveRows(t, rows.data(), n, R);
    const size_t row_bytes = RowBytes(t, n), block_bytes = row_bytes / nb;
    for (int r = 0; r < R; ++r) {
      const std::vector<float> want = testutil::Dequantize(t, before.data() + r * row_bytes, n);
      for (int64_t i = 0; i < n; ++i) {
        const int64_t b = i / 32, b0 = b / 8 * 8, m = std::min<int64_t>(8, nb - b0);
        const uint8_t* d = rows.data() + b0 * R * block_bytes;  // this one's scales, then chunks
        const uint8_t* qs = d + m * R * sizeof(uint16_t) + 4 * R * words * (b - b0);
        const int e = static_cast<int>(i % 32);
        uint16_t scale;
        std::memcpy(&scale, d + sizeof(uint16_t) * (R * (b - b0) + r), sizeof(scale));
        int q;
        if (q8) {
          q = static_cast<int8_t>(qs[4 * R * (e / 4) + 4 * r + e % 4]);
        } else {
          const uint8_t byte = qs[4 * R * ((e % 16) / 4) + 4 * r + e % 4];
          q = (e < 16 ? (byte & 0x0F) : (byte >> 4)) - 8;
        }
        ASSERT_EQ(HalfToFloat(scale) * static_cast<float>(q), want[static_cast<size_t>(i)])
            << gguf::TypeName(t) << " row " << r << " element " << i;
      }
    }
  }
}

TEST(QuantsTest, InterleaveQ6_KPutsEveryElementAndScaleWhereTheLayoutSays) {
  std::mt19937 rng(26);
  const int64_t n = 2 * kQK_K;
  std::vector<uint8_t> rows = testutil::RandomWeights(rng, TensorType::Q6_K, n, kInterleave);
  const std::vector<uint8_t> before = rows;
  InterleaveRows(TensorType::Q6_K, rows.data(), n);
  const auto* x = reinterpret_cast<const BlockQ6_Kx8*>(rows.data());
  const size_t row_bytes = RowBytes(TensorType::Q6_K, n);
  for (int r = 0; r < kInterleave; ++r) {
    const std::vector<float> want = testutil::Dequantize(TensorType::Q6_K, before.data() + r * row_bytes, n);
    for (int64_t b = 0; b < n / kQK_K; ++b) {
      uint8_t q[kQK_K];
      UnpackQ6_Kx8Row(x[b], r, q);
      for (int e = 0; e < kQK_K; ++e) {
        const float got = HalfToFloat(x[b].d[r]) * x[b].scales[8 * (e / 16) + r] * (q[e] - 32);
        ASSERT_EQ(got, want[static_cast<size_t>(b * kQK_K + e)])
            << "row " << r << " element " << b * kQK_K + e;
      }
    }
  }
}

// One interleaved Q4_K block of row r against its dequantized values `want`:
// d and dmin its scales, sc and mn the unpacked scales and mins of its half of
// 8 rows (row rr of them), qs the chunks of chunk_bytes (8 or 16 rows' words).
::testing::AssertionResult Q4_KBlockMatches(const float* want, uint16_t d16, uint16_t dmin16,
                                            const uint8_t* sc, const uint8_t* mn, const uint8_t* qs,
                                            int chunk_bytes, int r, int rr) {
  const float d = HalfToFloat(d16), dmin = HalfToFloat(dmin16);
  for (int e = 0; e < kQK_K; ++e) {
    const int j = e / 32, k = (e % 32) / 4, i = e % 4;  // sub-block, chunk, byte
    const uint8_t byte = qs[chunk_bytes * (8 * (j / 2) + k) + 4 * r + i];
    const int q = j % 2 == 0 ? (byte & 0x0F) : (byte >> 4);
    const float got = d * sc[8 * j + rr] * q - dmin * mn[16 * (j / 2) + 2 * rr + j % 2];
    if (got != want[e])
      return ::testing::AssertionFailure()
             << "row " << r << " element " << e << ": " << got << " != " << want[e];
  }
  return ::testing::AssertionSuccess();
}

TEST(QuantsTest, InterleaveQ4_KPutsEveryElementScaleAndMinWhereTheLayoutSays) {
  std::mt19937 rng(25);
  const int64_t n = 2 * kQK_K;
  std::vector<uint8_t> rows = testutil::RandomWeights(rng, TensorType::Q4_K, n, kInterleave);
  const std::vector<uint8_t> before = rows;
  InterleaveRows(TensorType::Q4_K, rows.data(), n);
  const auto* x = reinterpret_cast<const BlockQ4_Kx8*>(rows.data());
  const size_t row_bytes = RowBytes(TensorType::Q4_K, n);
  for (int r = 0; r < kInterleave; ++r) {
    const std::vector<float> want = testutil::Dequantize(TensorType::Q4_K, before.data() + r * row_bytes, n);
    for (int64_t b = 0; b < n / kQK_K; ++b) {
      uint8_t sc[64], mn[64];
      UnpackQ4_Kx8Scales(x[b], sc, mn);
      ASSERT_TRUE(
          Q4_KBlockMatches(want.data() + b * kQK_K, x[b].d[r], x[b].dmin[r], sc, mn, x[b].qs, 32, r, r))
          << "block " << b;
    }
  }
}

// BlockQ4_Kx16 likewise: each half's scales and mins packed as a
// BlockQ4_Kx8's, the quants in 64-byte chunks.
TEST(QuantsTest, InterleaveQ4_KBy16PutsEveryElementScaleAndMinWhereTheLayoutSays) {
  std::mt19937 rng(27);
  const int64_t n = 2 * kQK_K;
  std::vector<uint8_t> rows = testutil::RandomWeights(rng, TensorType::Q4_K, n, 2 * kInterleave);
  const std::vector<uint8_t> before = rows;
  InterleaveRows(TensorType::Q4_K, rows.data(), n, 2 * kInterleave);
  const auto* x = reinterpret_cast<const BlockQ4_Kx16*>(rows.data());
  const size_t row_bytes = RowBytes(TensorType::Q4_K, n);
  for (int r = 0; r < 2 * kInterleave; ++r) {
    const std::vector<float> want = testutil::Dequantize(TensorType::Q4_K, before.data() + r * row_bytes, n);
    const int h = r / kInterleave, rr = r % kInterleave;
    for (int64_t b = 0; b < n / kQK_K; ++b) {
      BlockQ4_Kx8 half{};  // this half's packed scales and mins, unpacked by the x8 reference
      std::memcpy(half.scales_lo, x[b].scales_lo[h], 32);
      std::memcpy(half.scales_hi, x[b].scales_hi[h], 16);
      std::memcpy(half.mins_lo, x[b].mins_lo[h], 32);
      std::memcpy(half.mins_hi, x[b].mins_hi[h], 16);
      uint8_t sc[64], mn[64];
      UnpackQ4_Kx8Scales(half, sc, mn);
      ASSERT_TRUE(
          Q4_KBlockMatches(want.data() + b * kQK_K, x[b].d[r], x[b].dmin[r], sc, mn, x[b].qs, 64, r, rr))
          << "block " << b;
    }
  }
}

TEST(QuantsTest, Q8_KKeepsSignOfFirstLargestAndSumsGroups) {
  std::mt19937 rng(1);
  std::vector<float> x = testutil::RandomFloats(rng, 2 * kQK_K);
  x[5] = -10.0f;  // largest magnitude: it always maps to -127, here with a positive scale
  x[300] = 3.0f;
  x[301] = -3.0f;
  BlockQ8_K b[2];
  QuantizeRowQ8_K(x.data(), b, 2 * kQK_K);
  EXPECT_EQ(b[0].qs[5], -127);
  EXPECT_FLOAT_EQ(b[0].d, 1.0f / (-127.f / -10.0f));
  for (int blk = 0; blk < 2; ++blk) {
    for (int g = 0; g < 16; ++g) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += b[blk].qs[16 * g + l];
      EXPECT_EQ(b[blk].bsums[g], sum);
    }
  }
  std::vector<float> y(2 * kQK_K);
  DequantizeRowQ8_K(b, y.data(), 2 * kQK_K);
  for (int i = 0; i < 2 * kQK_K; ++i) EXPECT_NEAR(y[i], x[i], std::fabs(b[i / kQK_K].d) * 0.5f + 1e-6f);
}

TEST(QuantsTest, QuantizeDequantizeErrorIsWithinHalfAStep) {
  std::mt19937 rng(2);
  const int n = 7 * kQK8_0;  // odd number of blocks
  std::vector<float> x = testutil::RandomFloats(rng, n, 3.0f);
  std::vector<BlockQ8_0> q8(n / kQK8_0);
  std::vector<BlockQ4_0> q4(n / kQK4_0);
  QuantizeRowQ8_0(x.data(), q8.data(), n);
  QuantizeRowQ4_0(x.data(), q4.data(), n);
  std::vector<float> y8(n), y4(n);
  DequantizeRowQ8_0(q8.data(), y8.data(), n);
  DequantizeRowQ4_0(q4.data(), y4.data(), n);
  for (int i = 0; i < n; ++i) {
    const float d8 = HalfToFloat(q8[i / kQK8_0].d);
    const float d4 = std::fabs(HalfToFloat(q4[i / kQK4_0].d));
    // Rounded with 127 / amax but stored with the fp16 of amax / 127: up to
    // 127 * 2^-11 of a step more than half a step.
    EXPECT_NEAR(y8[i], x[i], 0.57f * d8 + 1e-6f) << i;
    EXPECT_NEAR(y4[i], x[i], 1.0f * d4 + 1e-5f) << i;  // the positive end clamps at 7
  }
}

// Dequantized values are exactly representable on the grid they came from, so
// quantizing them again must give back the same blocks.
TEST(QuantsTest, Q8_0DequantizeRequantizeRoundTrip) {
  std::mt19937 rng(3);
  const int n = 9 * kQK8_0;
  std::vector<uint8_t> row = testutil::RandomWeightRow(rng, TensorType::Q8_0, n);
  auto* blocks = reinterpret_cast<BlockQ8_0*>(row.data());
  for (int i = 0; i < n / kQK8_0; ++i) blocks[i].qs[i % kQK8_0] = (i % 2) ? 127 : -127;  // hit full scale
  std::vector<float> x = testutil::Dequantize(TensorType::Q8_0, row.data(), n);
  std::vector<BlockQ8_0> again(n / kQK8_0);
  QuantizeRowQ8_0(x.data(), again.data(), n);
  EXPECT_EQ(std::memcmp(again.data(), row.data(), row.size()), 0);
}

TEST(QuantsTest, Q4_0DequantizeRequantizeRoundTrip) {
  std::mt19937 rng(4);
  const int n = 5 * kQK4_0;
  std::vector<uint8_t> row = testutil::RandomWeightRow(rng, TensorType::Q4_0, n);
  auto* blocks = reinterpret_cast<BlockQ4_0*>(row.data());
  for (int i = 0; i < n / kQK4_0; ++i) {
    blocks[i].d = FloatToHalf(0.125f * (i + 1));
    blocks[i].qs[3] &= 0xF0;  // element 3 = -8 * d: the largest magnitude, first
    for (int j = 0; j < 3; ++j) blocks[i].qs[j] |= 0x01;
    for (int j = 0; j < 16; ++j) {
      if ((blocks[i].qs[j] >> 4) == 0) blocks[i].qs[j] |= 0x10;
    }
  }
  std::vector<float> x = testutil::Dequantize(TensorType::Q4_0, row.data(), n);
  std::vector<BlockQ4_0> again(n / kQK4_0);
  QuantizeRowQ4_0(x.data(), again.data(), n);
  EXPECT_EQ(std::memcmp(again.data(), row.data(), row.size()), 0);
}

// Q8_K may come back with both signs flipped (a dequantized +127 ties with the
// -127 of the largest element), so compare the values it represents.
TEST(QuantsTest, Q8_KDequantizeRequantizeRoundTrip) {
  std::mt19937 rng(5);
  const int n = 3 * kQK_K;
  std::vector<float> x = testutil::RandomFloats(rng, n);
  std::vector<BlockQ8_K> q(3), again(3);
  QuantizeRowQ8_K(x.data(), q.data(), n);
  std::vector<float> y(n), y2(n);
  DequantizeRowQ8_K(q.data(), y.data(), n);
  QuantizeRowQ8_K(y.data(), again.data(), n);
  DequantizeRowQ8_K(again.data(), y2.data(), n);
  for (int i = 0; i < n; ++i) EXPECT_NEAR(y2[i], y[i], 1e-6f * std::fabs(y[i])) << i;
}

TEST(QuantsTest, Q4_KScalesAndMinsUnpack) {
  BlockQ4_K b = {};
  b.d = FloatToHalf(1.0f);
  b.dmin = FloatToHalf(0.5f);
  // Sub-block 1: scale 5, min 3 (low 6 bits of bytes 1 and 5).
  b.scales[1] = 5;
  b.scales[5] = 3;
  // Sub-block 6: scale = low nibble of byte 10 | top bits of byte 2 << 4; min = high nibble of 10 | top of 6.
  b.scales[10] = 0x72;                               // scale low 2, min low 7
  b.scales[2] |= 0x40;                               // scale high bits 01 -> +16
  b.scales[6] |= 0x80;                               // min high bits 10 -> +32
  for (int l = 0; l < 32; ++l) b.qs[l] = 0x90;       // sub-block 0 = 0, sub-block 1 = 9
  for (int l = 0; l < 32; ++l) b.qs[96 + l] = 0x04;  // sub-block 6 = 4
  float y[kQK_K];
  DequantizeRowQ4_K(&b, y, kQK_K);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_EQ(y[32], 1.0f * 5 * 9 - 0.5f * 3);
  EXPECT_EQ(y[192], 1.0f * (2 + 16) * 4 - 0.5f * (7 + 32));
}

TEST(QuantsTest, Q6_KLayout) {
  BlockQ6_K b = {};
  b.d = FloatToHalf(0.5f);
  for (int g = 0; g < 16; ++g) b.scales[g] = static_cast<int8_t>(g - 8);
  // Element 64 + 128 + 17: second half, third quarter (ql high nibble, qh bits 4-5), l = 17.
  b.ql[64 + 17] = 0x50;  // high nibble 5
  b.qh[32 + 17] = 0x20;  // bits 4-5 = 2 -> q = 5 | 2 << 4 = 37
  float y[kQK_K];
  DequantizeRowQ6_K(&b, y, kQK_K);
  const int g = (128 + 64 + 17) / 16;  // scale group of the element
  EXPECT_EQ(y[128 + 64 + 17], 0.5f * (g - 8) * (37 - 32));
  EXPECT_EQ(y[0], 0.5f * (0 - 8) * (0 - 32));
}

TEST(QuantsTest, DequantizeRowRejectsUnsupported) {
  float y[32];
  uint8_t x[64] = {};
  EXPECT_FALSE(DequantizeRow(TensorType::Q5_0, x, y, 32));
  EXPECT_FALSE(DequantizeRow(TensorType::Q8_0, x, y, 31));
  EXPECT_TRUE(DequantizeRow(TensorType::F16, x, y, 31));
}

}  // namespace
}  // namespace ss::engine
