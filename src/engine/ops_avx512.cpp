// AVX-512 twins of SiluMul and Softmax: ggml's vector exp itself, 16 lanes at a time; the
// scalar references in ops.cpp hold them bit-exact (by tests).
// GCC 12 warns about the deliberately undefined registers inside its own
// avx512fintrin.h helpers (_mm512_max_ps and friends): a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <immintrin.h>

#include <cmath>

#include "engine/ops.h"
#include "engine/vec_dot_internal.h"
#include "engine/vec_dot_x86.h"

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
  const __m512 res = _mm512_scalef_ps(j, n);
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

// Three passes as SoftmaxScalar's, a masked vector for the last partial one.
// max_ps keeps its second operand when unordered, as the scalar comparison
// does; the order of a max does not change it. Each vector's sum is Hsum's
// tree, the scalar's lane order; the masked lanes hold -inf, so their exp is 0
// as the scalar's missing lanes are.
void SoftmaxAvx512(float* x, int64_t n, float scale, bool round_f16) {
  const __m512 minus_inf = _mm512_set1_ps(-INFINITY), s = _mm512_set1_ps(scale);
  auto lanes = [n](int64_t i) {
    return n - i >= 16 ? __mmask16{0xFFFF} : static_cast<__mmask16>((1u << (n - i)) - 1);
  };
  __m512 vmax = minus_inf;
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 k = lanes(i);
    const __m512 v = _mm512_mul_ps(_mm512_mask_loadu_ps(minus_inf, k, x + i), s);
    _mm512_mask_storeu_ps(x + i, k, v);
    vmax = _mm512_max_ps(v, vmax);
  }
  const __m512 m = _mm512_set1_ps(_mm512_reduce_max_ps(vmax));
  double sum = 0.0;
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 k = lanes(i);
    const __m512 v = _mm512_mask_loadu_ps(minus_inf, k, x + i);
    const __mmask16 masked = _mm512_cmp_ps_mask(v, minus_inf, _CMP_EQ_OQ);
    const __m512 e = _mm512_mask_blend_ps(masked, VectorExpf(_mm512_sub_ps(v, m)), _mm512_setzero_ps());
    _mm512_mask_storeu_ps(x + i, k, e);
    sum += static_cast<double>(Hsum(e));
  }
  const __m512 inv = _mm512_set1_ps(static_cast<float>(1.0 / sum));
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 k = lanes(i);
    __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, x + i), inv);
    if (round_f16) v = _mm512_cvtph_ps(_mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    _mm512_mask_storeu_ps(x + i, k, v);
  }
}

}  // namespace ss::engine::internal
