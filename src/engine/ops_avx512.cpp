// AVX-512 twins of SiluMul and of softmax's exp: ggml's vector exp itself, 16 lanes at a time; the
// scalar GgmlExpf in ops.cpp is its reference (held bit-exact by a test).
#include <immintrin.h>

#include <cmath>

#include "engine/ops.h"
#include "engine/vec_dot_internal.h"

namespace ss::engine::internal {
namespace {

__m512 VectorExpf(__m512 x) {
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

}  // namespace

void ExpfAvx512(const float* x, float* y) { _mm512_storeu_ps(y, VectorExpf(_mm512_loadu_ps(x))); }

void SiluMulAvx512(const float* gate, const float* up, int64_t n, float* out) {
  const __m512 one = _mm512_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + kGgmlLanes <= n; i += kGgmlLanes) {
    const __m512 g = _mm512_loadu_ps(gate + i);
    const __m512 e = VectorExpf(_mm512_sub_ps(_mm512_setzero_ps(), g));
    const __m512 silu = _mm512_div_ps(g, _mm512_add_ps(one, e));
    _mm512_storeu_ps(out + i, _mm512_mul_ps(silu, _mm512_loadu_ps(up + i)));
  }
  for (; i < n; ++i) {
    const float g = gate[i];
    out[i] = (g / (1.0f + std::exp(-g))) * up[i];
  }
}

void ExpShiftedAvx512(float* x, int64_t n, float max) {
  const __m512 m = _mm512_set1_ps(max), minus_inf = _mm512_set1_ps(-INFINITY);
  int64_t i = 0;
  for (; i + kGgmlLanes <= n; i += kGgmlLanes) {
    const __m512 v = _mm512_loadu_ps(x + i);
    const __mmask16 masked = _mm512_cmp_ps_mask(v, minus_inf, _CMP_EQ_OQ);
    _mm512_storeu_ps(x + i,
                     _mm512_mask_blend_ps(masked, VectorExpf(_mm512_sub_ps(v, m)), _mm512_setzero_ps()));
  }
  ExpShiftedScalar(x + i, n - i, max);
}

}  // namespace ss::engine::internal
