// AVX2 twins of SiluMul and of softmax's exp: GgmlExpf's operations 8 lanes
// at a time, bit-exact to the scalar reference in ops.cpp (held by a test).
// 2^n is built from the exponent bits, and j * 2^n rounds once as ldexp does.
#include <immintrin.h>

#include <cmath>

#include "engine/ops.h"
#include "engine/vec_dot_internal.h"

namespace ss::engine::internal {
namespace {

inline __m256 Pow2(__m256i n) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n, _mm256_set1_epi32(127)), 23));
}

inline __m256 VectorExpf(__m256 x) {
  const __m256 r = _mm256_set1_ps(0x1.8p23f);
  const __m256 z = _mm256_fmadd_ps(x, _mm256_set1_ps(0x1.715476p+0f), r);
  const __m256 n = _mm256_sub_ps(z, r);
  const __m256 abs_n = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), n);
  const __m256 b = _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.7f7d1cp-20f),
                                    _mm256_fnmadd_ps(n, _mm256_set1_ps(0x1.62e4p-1f), x));
  const __m256 u = _mm256_mul_ps(b, b);
  const __m256 j = _mm256_fmadd_ps(
      _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(0x1.0e4020p-7f), b, _mm256_set1_ps(0x1.573e2ep-5f)), u,
                      _mm256_fmadd_ps(_mm256_set1_ps(0x1.555e66p-3f), b, _mm256_set1_ps(0x1.fffdb6p-2f))),
      u, _mm256_fmadd_ps(_mm256_set1_ps(0x1.ffffecp-1f), b, _mm256_set1_ps(1.0f)));
  const __m256i ni = _mm256_cvtps_epi32(n);
  if (_mm256_movemask_ps(_mm256_cmp_ps(abs_n, _mm256_set1_ps(126.0f), _CMP_GT_OQ)) == 0)
    return _mm256_mul_ps(j, Pow2(ni));
  // Scores far below the maximum (softmax) or gates far from 0 (SiluMul):
  // 2^n as 2^n1 * 2^n2 with n1 = n / 2 truncated, both normal floats for
  // |n| <= 192, and j * 2^n1 exact, so the result rounds once as ldexp's.
  const __m256i n1 = _mm256_cvttps_epi32(_mm256_mul_ps(n, _mm256_set1_ps(0.5f)));
  const __m256 res = _mm256_mul_ps(_mm256_mul_ps(j, Pow2(n1)), Pow2(_mm256_sub_epi32(ni, n1)));
  // Beyond: 0 below, infinity above, as GgmlExpf.
  const __m256 alt = _mm256_blendv_ps(_mm256_set1_ps(INFINITY), _mm256_setzero_ps(),
                                      _mm256_cmp_ps(n, _mm256_setzero_ps(), _CMP_LE_OQ));
  return _mm256_blendv_ps(res, alt, _mm256_cmp_ps(abs_n, _mm256_set1_ps(192.0f), _CMP_GT_OQ));
}

}  // namespace

void ExpfAvx2(const float* x, float* y) { _mm256_storeu_ps(y, VectorExpf(_mm256_loadu_ps(x))); }

void SiluMulAvx2(const float* gate, const float* up, int64_t n, float* out) {
  const int64_t vec_end = n / kGgmlLanes * kGgmlLanes;  // as SiluMulScalar: ggml's vector part
  const __m256 one = _mm256_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 8 <= vec_end; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 e = VectorExpf(_mm256_sub_ps(_mm256_setzero_ps(), g));
    const __m256 silu = _mm256_div_ps(g, _mm256_add_ps(one, e));
    _mm256_storeu_ps(out + i, _mm256_mul_ps(silu, _mm256_loadu_ps(up + i)));
  }
  for (; i < n; ++i) {
    const float g = gate[i];
    out[i] = (g / (1.0f + std::exp(-g))) * up[i];
  }
}

void ExpShiftedAvx2(float* x, int64_t n, float max) {
  const __m256 m = _mm256_set1_ps(max), minus_inf = _mm256_set1_ps(-INFINITY);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    const __m256 e = VectorExpf(_mm256_sub_ps(v, m));
    _mm256_storeu_ps(x + i,
                     _mm256_blendv_ps(e, _mm256_setzero_ps(), _mm256_cmp_ps(v, minus_inf, _CMP_EQ_OQ)));
  }
  ExpShiftedScalar(x + i, n - i, max);
}

}  // namespace ss::engine::internal
