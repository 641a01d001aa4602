// AVX2 twins of SiluMul and Softmax: GgmlExpf's operations 8 lanes
// at a time, bit-exact to the scalar references in ops.cpp (held by tests).
// 2^n is built from the exponent bits, and j * 2^n rounds once as ldexp does.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "engine/ops.h"
#include "engine/vec_dot_internal.h"
#include "engine/vec_dot_x86.h"

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

// As SoftmaxAvx512 with 8 lanes: ggml's vectors of 16 are two of ours, the
// last partial ones loaded under a mask with -inf in the other lanes. A
// vector's sum adds its halves first (lane i + 8 to lane i), then as Hsum.
void SoftmaxAvx2(float* x, int64_t n, float scale, bool round_f16) {
  const __m256 minus_inf = _mm256_set1_ps(-INFINITY), s = _mm256_set1_ps(scale);
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  auto lanes = [&](int64_t i) {  // all-ones in the lanes below n
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(std::min<int64_t>(n - i, 8))), iota);
  };
  auto load = [&](int64_t i, __m256i k) {
    return _mm256_blendv_ps(minus_inf, _mm256_maskload_ps(x + i, k), _mm256_castsi256_ps(k));
  };
  __m256 vmax = minus_inf;
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i k = lanes(i);
    const __m256 v = _mm256_mul_ps(load(i, k), s);
    _mm256_maskstore_ps(x + i, k, v);
    vmax = _mm256_max_ps(v, vmax);
  }
  const __m256 m = _mm256_set1_ps(Hmax(vmax));
  auto exp = [&](int64_t i) {
    const __m256i k = lanes(i);
    const __m256 v = load(i, k);
    const __m256 e = _mm256_blendv_ps(VectorExpf(_mm256_sub_ps(v, m)), _mm256_setzero_ps(),
                                      _mm256_cmp_ps(v, minus_inf, _CMP_EQ_OQ));
    _mm256_maskstore_ps(x + i, k, e);
    return e;
  };
  double sum = 0.0;
  for (int64_t i = 0; i < n; i += 16) {
    const __m256 lo = exp(i), hi = i + 8 < n ? exp(i + 8) : _mm256_setzero_ps();
    sum += static_cast<double>(Hsum(_mm256_add_ps(lo, hi)));
  }
  const __m256 inv = _mm256_set1_ps(static_cast<float>(1.0 / sum));
  for (int64_t i = 0; i < n; i += 8) {
    const __m256i k = lanes(i);
    __m256 v = _mm256_mul_ps(_mm256_maskload_ps(x + i, k), inv);
    if (round_f16) v = _mm256_cvtph_ps(_mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    _mm256_maskstore_ps(x + i, k, v);
  }
}

}  // namespace ss::engine::internal
