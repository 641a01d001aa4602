// GgmlExpf is the scalar twin of ggml's AVX-512 exp; held together here lane by
// lane against the vector code itself, written out with intrinsics.
#include <gtest/gtest.h>
#include <immintrin.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "engine/ops.h"
#include "engine/vec_dot.h"

namespace ss::engine {
namespace {

__attribute__((target("avx512f,avx512dq,fma"))) __m512 VectorExpf(__m512 x) {
  const __m512 r = _mm512_set1_ps(0x1.8p23f);
  const __m512 z = _mm512_fmadd_ps(x, _mm512_set1_ps(0x1.715476p+0f), r);
  const __m512 n = _mm512_sub_ps(z, r);
  const __m512 b = _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.7f7d1cp-20f),
                                    _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.62e4p-1f), x));
  const __mmask16 d = _mm512_cmp_ps_mask(_mm512_abs_ps(n), _mm512_set1_ps(192), _CMP_GT_OQ);
  const __m512 u = _mm512_mul_ps(b, b);
  const __m512 j = _mm512_fmadd_ps(
      _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(0x1.0e4020p-7f), b, _mm512_set1_ps(0x1.573e2ep-5f)), u,
                      _mm512_fmadd_ps(_mm512_set1_ps(0x1.555e66p-3f), b, _mm512_set1_ps(0x1.fffdb6p-2f))),
      u, _mm512_fmadd_ps(_mm512_set1_ps(0x1.ffffecp-1f), b, _mm512_set1_ps(1.0F)));
  // maskz with a full mask is _mm512_scalef_ps (which trips GCC 12's -Wuninitialized).
  const __m512 res = _mm512_maskz_scalef_ps(0xFFFF, j, n);
  if (_mm512_kortestz(d, d)) return res;
  const __m512 zero = _mm512_setzero_ps();
  const __m512 alt =
      _mm512_mask_blend_ps(_mm512_cmp_ps_mask(n, zero, _CMP_LE_OQ), _mm512_set1_ps(INFINITY), zero);
  return _mm512_mask_blend_ps(d, res, alt);
}

__attribute__((target("avx512f,avx512dq,fma"))) void VectorExpfRow(const float* x, float* y) {
  _mm512_storeu_ps(y, VectorExpf(_mm512_loadu_ps(x)));
}

TEST(GgmlExpf, MatchesTheVectorCodeBitForBit) {
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512dq"))
    GTEST_SKIP() << "no AVX-512 on this CPU";
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> wide(-110.0f, 95.0f), near(-20.0f, 1.0f);
  for (int round = 0; round < 20000; ++round) {
    float x[16], y[16];
    for (float& v : x) v = round % 2 ? wide(rng) : near(rng);
    if (round == 0) {
      x[0] = 0.0f, x[1] = -0.0f, x[2] = -INFINITY, x[3] = 88.5f, x[4] = -104.0f, x[5] = 1e-30f;
    }
    VectorExpfRow(x, y);
    for (int i = 0; i < 16; ++i) {
      float s = GgmlExpf(x[i]);
      ASSERT_EQ(0, std::memcmp(&s, &y[i], 4)) << "x=" << x[i] << " scalar " << s << " vector " << y[i];
    }
  }
}

TEST(SiluMul, VectorPathMatchesTheScalarReferenceBitForBit) {
  if (DetectedIsa() != Isa::kAvx512) GTEST_SKIP() << "no AVX-512 on this CPU";
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-30.0f, 30.0f);
  for (int64_t n : {1, 15, 16, 17, 100, 768, 5632 + 7}) {
    std::vector<float> g(n), u(n), a(n), b(n);
    for (int64_t i = 0; i < n; ++i) g[i] = dist(rng), u[i] = dist(rng) * 0.1f;
    SiluMulScalar(g.data(), u.data(), n, a.data());
    Isa saved = ActiveIsa();
    SetActiveIsa(Isa::kAvx512);
    SiluMul(g.data(), u.data(), n, b.data());
    SetActiveIsa(saved);
    ASSERT_EQ(0, std::memcmp(a.data(), b.data(), sizeof(float) * n)) << "n=" << n;
  }
}

TEST(GgmlExpf, StaysWithinTwoUlpOfExpf) {
  for (float x = -80.0f; x < 80.0f; x += 0.0137f) {
    float e = std::exp(x), g = GgmlExpf(x);
    EXPECT_LE(std::fabs(g - e), 2.0f * (std::nextafter(e, INFINITY) - e)) << x;
  }
}

TEST(GgmlSoftmax, SumsToOneAndZeroesMaskedEntries) {
  float x[37];
  for (int i = 0; i < 37; ++i) x[i] = i % 5 == 0 ? -INFINITY : static_cast<float>(i % 7) * 0.9f;
  Softmax(x, 37);
  double sum = 0;
  for (int i = 0; i < 37; ++i) {
    if (i % 5 == 0) {
      EXPECT_EQ(x[i], 0.0f);
    }
    sum += x[i];
  }
  EXPECT_NEAR(sum, 1.0, 1e-6);
}

}  // namespace
}  // namespace ss::engine
