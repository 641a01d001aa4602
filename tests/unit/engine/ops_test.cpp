#include "engine/ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "engine/vec_dot.h"
#include "engine_test_util.h"
#include "util/half.h"

namespace ss::engine {
namespace {

TEST(OpsTest, RmsNormMatchesFormula) {
  std::mt19937 rng(30);
  for (int n : {1, 7, 17, 64, 2047, 2048, 5632}) {  // tails past the 16 partial sums too
    const std::vector<float> x = testutil::RandomFloats(rng, n, 2.0f);
    const std::vector<float> w = testutil::RandomFloats(rng, n);
    std::vector<float> y(n);
    RmsNorm(x.data(), w.data(), n, 1e-5f, y.data());
    double ss = 0;
    for (float v : x) ss += static_cast<double>(v) * v;
    const double scale = 1.0 / std::sqrt(ss / n + 1e-5);
    for (int i = 0; i < n; ++i)
      EXPECT_NEAR(y[i], x[i] * scale * w[i], 1e-5 * std::fabs(x[i] * scale * w[i]) + 1e-7);
    std::vector<float> inplace = x;
    RmsNorm(inplace.data(), w.data(), n, 1e-5f, inplace.data());
    EXPECT_EQ(inplace, y);
  }
}

TEST(OpsTest, RopeRotatesAdjacentPairs) {
  const int head_dim = 8, heads = 2;
  std::vector<float> x(head_dim * heads);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i + 1);
  std::vector<float> y = x;
  const int pos = 5;
  const float base = 10000.0f;
  RopeNormal(y.data(), heads, head_dim, head_dim, pos, base);
  for (int h = 0; h < heads; ++h) {
    for (int i = 0; i < head_dim / 2; ++i) {
      const double theta = pos * std::pow(static_cast<double>(base), -2.0 * i / head_dim);
      const double x0 = x[h * head_dim + 2 * i], x1 = x[h * head_dim + 2 * i + 1];
      EXPECT_NEAR(y[h * head_dim + 2 * i], x0 * std::cos(theta) - x1 * std::sin(theta), 1e-4);
      EXPECT_NEAR(y[h * head_dim + 2 * i + 1], x0 * std::sin(theta) + x1 * std::cos(theta), 1e-4);
    }
  }
  std::vector<float> z = x;
  RopeNormal(z.data(), heads, head_dim, head_dim, 0, base);
  EXPECT_EQ(z, x);  // position 0 is the identity
  std::vector<float> partial = x;
  RopeNormal(partial.data(), 1, head_dim, 4, pos, base);
  EXPECT_EQ(partial[4], x[4]);  // beyond rope_dim untouched
  EXPECT_EQ(partial[7], x[7]);
}

TEST(OpsTest, RopeAnglesIterateInFloatLikeGgml) {
  float c[16], s[16];
  RopeAngles(7, 32, 10000.0f, c, s);
  const float theta_scale = std::pow(10000.0f, -2.0f / 32);
  float theta = 7.0f;
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(c[i], std::cos(theta));
    EXPECT_EQ(s[i], std::sin(theta));
    theta *= theta_scale;
  }
}

TEST(OpsTest, SiluMul) {
  const float g[] = {-20.0f, -1.0f, 0.0f, 0.5f, 3.0f};
  const float u[] = {2.0f, 3.0f, 4.0f, -1.0f, 0.5f};
  float out[5];
  SiluMul(g, u, 5, out);
  for (int i = 0; i < 5; ++i) EXPECT_FLOAT_EQ(out[i], g[i] / (1.0f + std::exp(-g[i])) * u[i]);
}

TEST(OpsTest, SoftmaxSumsToOneAndHandlesMask) {
  std::vector<float> x = {1.0f, 2.0f, 3.0f, -INFINITY, 1000.0f};
  Softmax(x.data(), 4);
  double s = 0;
  for (int i = 0; i < 4; ++i) s += x[i];
  EXPECT_NEAR(s, 1.0, 1e-6);
  EXPECT_EQ(x[3], 0.0f);
  EXPECT_NEAR(x[2] / x[1], std::exp(1.0), 1e-5);
  std::vector<float> big = {1000.0f, 1000.0f};
  Softmax(big.data(), 2);
  EXPECT_FLOAT_EQ(big[0], 0.5f);
}

// The softmax-weighted sums of V rows (F16 and F32 caches), m query heads at
// once: within float rounding of the exact sum on every ISA, for widths around
// the vector blocks and rows apart by a stride; and each head's sum has the
// bits of that head's sum alone (m = 1), whatever block of heads it ran in.
TEST(OpsTest, WeightedSumsMatchTheExactSumOnEveryIsa) {
  std::mt19937 rng(32);
  const Isa saved = ActiveIsa();
  constexpr int kHeads = 6;  // a block of 4 and two alone
  for (int64_t n : {1, 5, 8, 16, 63, 64, 72, 128, 131}) {
    for (int64_t rows : {1, 3, 17, 100}) {
      const size_t stride = static_cast<size_t>(n + 13), p_stride = static_cast<size_t>(rows + 5);
      const size_t out_stride = static_cast<size_t>(n + 3);
      const std::vector<float> fv = testutil::RandomFloats(rng, static_cast<int64_t>(stride) * rows);
      std::vector<uint16_t> v(fv.size());
      for (size_t i = 0; i < v.size(); ++i) v[i] = FloatToHalf(fv[i]);
      std::vector<float> p = testutil::RandomFloats(rng, static_cast<int64_t>(p_stride) * kHeads);
      for (float& x : p) x = HalfToFloat(FloatToHalf(std::fabs(x)));
      for (int isa = 0; isa <= static_cast<int>(DetectedIsa()); ++isa) {
        SetActiveIsa(static_cast<Isa>(isa));
        const char* name = IsaName(static_cast<Isa>(isa));
        std::vector<float> out16(out_stride * kHeads, NAN), out32(out_stride * kHeads, NAN);
        WeightedSumF16(kHeads, p.data(), p_stride, rows, v.data(), stride, n, out16.data(), out_stride);
        WeightedSumF32(kHeads, p.data(), p_stride, rows, fv.data(), stride, n, out32.data(), out_stride);
        for (int h = 0; h < kHeads; ++h) {
          const float* ph = p.data() + h * p_stride;
          std::vector<float> alone16(n), alone32(n);
          WeightedSumF16(1, ph, p_stride, rows, v.data(), stride, n, alone16.data(), out_stride);
          WeightedSumF32(1, ph, p_stride, rows, fv.data(), stride, n, alone32.data(), out_stride);
          for (int64_t d = 0; d < n; ++d) {
            double want16 = 0, want32 = 0, mag = 0;
            for (int64_t j = 0; j < rows; ++j) {
              want16 += static_cast<double>(ph[j]) * HalfToFloat(v[j * stride + d]);
              want32 += static_cast<double>(ph[j]) * fv[j * stride + d];
              mag += std::fabs(static_cast<double>(ph[j]) * fv[j * stride + d]);
            }
            const float got16 = out16[h * out_stride + d], got32 = out32[h * out_stride + d];
            ASSERT_NEAR(got16, want16, 1e-6 * mag + 1e-7)
                << name << " f16 n=" << n << " h=" << h << " d=" << d;
            ASSERT_NEAR(got32, want32, 1e-6 * mag + 1e-7)
                << name << " f32 n=" << n << " h=" << h << " d=" << d;
            ASSERT_EQ(Fp32ToBits(got16), Fp32ToBits(alone16[d])) << name << " f16 n=" << n << " h=" << h;
            ASSERT_EQ(Fp32ToBits(got32), Fp32ToBits(alone32[d])) << name << " f32 n=" << n << " h=" << h;
          }
          for (int64_t d = n; d < static_cast<int64_t>(out_stride); ++d)
            ASSERT_TRUE(std::isnan(out16[h * out_stride + d])) << name << " wrote past n";
        }
      }
    }
  }
  SetActiveIsa(saved);
}

}  // namespace
}  // namespace ss::engine
