// AVX2 + FMA + F16C kernels (compiled with -mavx2 -mfma -mf16c; only called
// after the CPU check in vec_dot.cpp).

#include <immintrin.h>

#include <cstring>

#include "engine/quants.h"
#include "engine/vec_dot_internal.h"

namespace ss::engine::internal {
namespace {

inline float Hsum(__m256 x) {
  __m128 r = _mm_add_ps(_mm256_extractf128_ps(x, 1), _mm256_castps256_ps128(x));
  r = _mm_add_ps(r, _mm_movehl_ps(r, r));
  r = _mm_add_ss(r, _mm_movehdup_ps(r));
  return _mm_cvtss_f32(r);
}

inline float Hmax(__m256 x) {
  __m128 r = _mm_max_ps(_mm256_extractf128_ps(x, 1), _mm256_castps256_ps128(x));
  r = _mm_max_ps(r, _mm_movehl_ps(r, r));
  r = _mm_max_ss(r, _mm_movehdup_ps(r));
  return _mm_cvtss_f32(r);
}

// Scalar conversions for tails. Deliberately local rather than util/half.h:
// an inline function compiled here with -mavx2 could be the copy the linker
// keeps for the baseline files too. Same bits as half.h except NaN payloads.
inline float Fp16(uint16_t h) { return _cvtsh_ss(h); }
inline uint16_t ToFp16(float f) { return static_cast<uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT)); }
inline float Bf16(uint16_t h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline uint16_t ToBf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 64);
  return static_cast<uint16_t>((u + (0x7fffu + ((u >> 16) & 1))) >> 16);
}

inline __m256 AbsPs(__m256 x) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x); }

// Packs 32 int32 (already in int8 range) from four vectors into 32 bytes in order.
inline __m256i PackI32ToI8(__m256i i0, __m256i i1, __m256i i2, __m256i i3) {
  const __m256i a = _mm256_packs_epi32(i0, i1);
  const __m256i b = _mm256_packs_epi32(i2, i3);
  const __m256i c = _mm256_packs_epi16(a, b);
  return _mm256_permutevar8x32_epi32(c, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// --- row conversions ---

void Fp32ToFp16(const float* x, uint16_t* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(y + i), h);
  }
  for (; i < n; ++i) y[i] = ToFp16(x[i]);
}

void Fp16ToFp32(const uint16_t* x, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(y + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i))));
  }
  for (; i < n; ++i) y[i] = Fp16(x[i]);
}

// Round to nearest even on the bit pattern, quieting NaNs like FloatToBf16.
inline __m256i Bf16Bits(__m256 v) {
  const __m256i u = _mm256_castps_si256(v);
  const __m256i is_nan =
      _mm256_cmpgt_epi32(_mm256_and_si256(u, _mm256_set1_epi32(0x7fffffff)), _mm256_set1_epi32(0x7f800000));
  const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
  const __m256i rounded =
      _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7fff))), 16);
  const __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(64));
  return _mm256_blendv_epi8(rounded, quiet, is_nan);
}

void Fp32ToBf16(const float* x, uint16_t* y, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i a = Bf16Bits(_mm256_loadu_ps(x + i));
    const __m256i b = Bf16Bits(_mm256_loadu_ps(x + i + 8));
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(a, b), 0xD8);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y + i), packed);
  }
  for (; i < n; ++i) y[i] = ToBf16(x[i]);
}

void FromFloatF16(const float* x, void* y, int64_t n) { Fp32ToFp16(x, static_cast<uint16_t*>(y), n); }
void FromFloatBf16(const float* x, void* y, int64_t n) { Fp32ToBf16(x, static_cast<uint16_t*>(y), n); }

// --- quantizers (bit-identical to quants.cpp) ---

void QuantizeQ8_0(const float* x, void* vy, int64_t n) {
  BlockQ8_0* y = static_cast<BlockQ8_0*>(vy);
  for (int64_t i = 0; i < n / kQK8_0; ++i, x += kQK8_0) {
    __m256 v[4];
    __m256 amax = _mm256_setzero_ps();
    for (int k = 0; k < 4; ++k) {
      v[k] = _mm256_loadu_ps(x + 8 * k);
      amax = _mm256_max_ps(amax, AbsPs(v[k]));
    }
    const float max_scalar = Hmax(amax);
    y[i].d = ToFp16(max_scalar / 127.f);
    const __m256 id = _mm256_set1_ps(max_scalar != 0.0f ? 127.f / max_scalar : 0.0f);
    __m256i q[4];
    for (int k = 0; k < 4; ++k) {
      const __m256 r =
          _mm256_round_ps(_mm256_mul_ps(v[k], id), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      q[k] = _mm256_cvtps_epi32(r);
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[i].qs), PackI32ToI8(q[0], q[1], q[2], q[3]));
  }
}

// Index of the first element whose magnitude equals amax (ggml keeps the first).
inline int FirstAbsEqual(const float* x, float amax) {
  const __m256 target = _mm256_set1_ps(amax);
  for (int k = 0; k < kQK_K; k += 8) {
    const int mask = _mm256_movemask_ps(_mm256_cmp_ps(AbsPs(_mm256_loadu_ps(x + k)), target, _CMP_EQ_OQ));
    if (mask != 0) return k + __builtin_ctz(mask);
  }
  return 0;
}

void QuantizeQ8_K(const float* x, void* vy, int64_t n) {
  BlockQ8_K* y = static_cast<BlockQ8_K*>(vy);
  for (int64_t i = 0; i < n / kQK_K; ++i, x += kQK_K) {
    __m256 amax_v = _mm256_setzero_ps();
    for (int k = 0; k < kQK_K; k += 8) amax_v = _mm256_max_ps(amax_v, AbsPs(_mm256_loadu_ps(x + k)));
    const float amax = Hmax(amax_v);
    if (amax == 0.0f) {
      std::memset(&y[i], 0, sizeof(BlockQ8_K));
      continue;
    }
    const float iscale = -127.f / x[FirstAbsEqual(x, amax)];
    const __m256 s = _mm256_set1_ps(iscale);
    const __m256i max_q = _mm256_set1_epi32(127);
    for (int k = 0; k < kQK_K; k += 32) {
      __m256i q[4];
      for (int j = 0; j < 4; ++j) {
        const __m256 r = _mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + k + 8 * j), s),
                                         _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        q[j] = _mm256_min_epi32(_mm256_cvtps_epi32(r), max_q);
      }
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(y[i].qs + k), PackI32ToI8(q[0], q[1], q[2], q[3]));
    }
    const __m256i ones = _mm256_set1_epi16(1);
    for (int g = 0; g < kQK_K / 16; g += 2) {
      const __m256i q16 =
          _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(y[i].qs + 16 * g)));
      const __m256i q16b =
          _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(y[i].qs + 16 * g + 16)));
      alignas(32) int32_t s32a[8], s32b[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(s32a), _mm256_madd_epi16(q16, ones));
      _mm256_store_si256(reinterpret_cast<__m256i*>(s32b), _mm256_madd_epi16(q16b, ones));
      int sa = 0, sb = 0;
      for (int l = 0; l < 8; ++l) {
        sa += s32a[l];
        sb += s32b[l];
      }
      y[i].bsums[g] = static_cast<int16_t>(sa);
      y[i].bsums[g + 1] = static_cast<int16_t>(sb);
    }
    y[i].d = 1 / iscale;
  }
}

// --- float dot products ---

float DotF32(int64_t n, const void* w, const void* a) {
  const float* x = static_cast<const float*>(w);
  const float* y = static_cast<const float*>(a);
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int k = 0; k < 4; ++k) {
      acc[k] = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8 * k), _mm256_loadu_ps(y + i + 8 * k), acc[k]);
    }
  }
  for (; i + 8 <= n; i += 8) acc[0] = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), acc[0]);
  float sum = Hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
  for (; i < n; ++i) sum += x[i] * y[i];
  return sum;
}

inline __m256 LoadHalf8(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

float DotF16(int64_t n, const void* w, const void* a) {
  const uint16_t* x = static_cast<const uint16_t*>(w);
  const uint16_t* y = static_cast<const uint16_t*>(a);
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int k = 0; k < 4; ++k)
      acc[k] = _mm256_fmadd_ps(LoadHalf8(x + i + 8 * k), LoadHalf8(y + i + 8 * k), acc[k]);
  }
  for (; i + 8 <= n; i += 8) acc[0] = _mm256_fmadd_ps(LoadHalf8(x + i), LoadHalf8(y + i), acc[0]);
  float sum = Hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
  for (; i < n; ++i) sum += Fp16(x[i]) * Fp16(y[i]);
  return sum;
}

inline __m256 LoadBf16x8(const uint16_t* p) {
  const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
}

float DotBf16(int64_t n, const void* w, const void* a) {
  const uint16_t* x = static_cast<const uint16_t*>(w);
  const uint16_t* y = static_cast<const uint16_t*>(a);
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int k = 0; k < 4; ++k) {
      acc[k] = _mm256_fmadd_ps(LoadBf16x8(x + i + 8 * k), LoadBf16x8(y + i + 8 * k), acc[k]);
    }
  }
  for (; i + 8 <= n; i += 8) acc[0] = _mm256_fmadd_ps(LoadBf16x8(x + i), LoadBf16x8(y + i), acc[0]);
  float sum = Hsum(_mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3])));
  for (; i < n; ++i) sum += Bf16(x[i]) * Bf16(y[i]);
  return sum;
}

void AxpyF16(float alpha, const uint16_t* v, int64_t n, float* y) {
  const __m256 a = _mm256_set1_ps(alpha);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_fmadd_ps(a, LoadHalf8(v + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += alpha * Fp16(v[i]);
}

// --- quantized dot products ---

inline __m256i LoadI8x32(const int8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// Signed x signed byte products summed in groups of 4 (no overflow for |x| <= 127).
inline __m256i DotI8(__m256i x, __m256i y) {
  const __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
  return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}

// 32 nibbles of a Q4_0 block as bytes 0..15, in element order.
inline __m256i UnpackQ4_0(const uint8_t* qs) {
  const __m128i t = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m256i b = _mm256_insertf128_si256(_mm256_castsi128_si256(t), _mm_srli_epi16(t, 4), 1);
  return _mm256_and_si256(b, _mm256_set1_epi8(0x0F));
}

float DotQ8_0(int64_t n, const void* w, const void* a) {
  const BlockQ8_0* x = static_cast<const BlockQ8_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK8_0; ++i) {
    const __m256 d = _mm256_set1_ps(Fp16(x[i].d) * Fp16(y[i].d));
    const __m256i p = DotI8(LoadI8x32(x[i].qs), LoadI8x32(y[i].qs));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(p), acc);
  }
  return Hsum(acc);
}

float DotQ4_0(int64_t n, const void* w, const void* a) {
  const BlockQ4_0* x = static_cast<const BlockQ4_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  const __m256i eight = _mm256_set1_epi8(8);
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / kQK4_0; ++i) {
    const __m256 d = _mm256_set1_ps(Fp16(x[i].d) * Fp16(y[i].d));
    const __m256i qy = LoadI8x32(y[i].qs);
    // (q - 8) . y = q . y - 8 * sum(y), both as unsigned x signed byte products.
    const __m256i p16 =
        _mm256_sub_epi16(_mm256_maddubs_epi16(UnpackQ4_0(x[i].qs), qy), _mm256_maddubs_epi16(eight, qy));
    acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(_mm256_madd_epi16(p16, ones)), acc);
  }
  return Hsum(acc);
}

float DotQ4_K(int64_t n, const void* w, const void* a) {
  const BlockQ4_K* x = static_cast<const BlockQ4_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  const __m256i low = _mm256_set1_epi8(0x0F);
  __m256 acc = _mm256_setzero_ps();
  float mins = 0.0f;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    uint8_t sc[8], m[8];
    for (int j = 0; j < 8; ++j) Q4KScaleMin(j, x[i].scales, &sc[j], &m[j]);
    int summ = 0;
    for (int j = 0; j < 8; ++j) summ += m[j] * (y[i].bsums[2 * j] + y[i].bsums[2 * j + 1]);
    __m256i sumi = _mm256_setzero_si256();
    for (int j = 0; j < 4; ++j) {
      const __m256i q4 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qs + 32 * j));
      const __m256i lo = _mm256_and_si256(q4, low);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q4, 4), low);
      const __m256i p_lo = _mm256_maddubs_epi16(lo, LoadI8x32(y[i].qs + 64 * j));
      const __m256i p_hi = _mm256_maddubs_epi16(hi, LoadI8x32(y[i].qs + 64 * j + 32));
      sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p_lo, _mm256_set1_epi16(sc[2 * j])));
      sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p_hi, _mm256_set1_epi16(sc[2 * j + 1])));
    }
    acc = _mm256_fmadd_ps(_mm256_set1_ps(y[i].d * Fp16(x[i].d)), _mm256_cvtepi32_ps(sumi), acc);
    mins += y[i].d * Fp16(x[i].dmin) * summ;
  }
  return Hsum(acc) - mins;
}

float DotQ6_K(int64_t n, const void* w, const void* a) {
  const BlockQ6_K* x = static_cast<const BlockQ6_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  const __m256i low = _mm256_set1_epi8(0x0F);
  const __m256i bits45 = _mm256_set1_epi8(0x30);
  __m256 acc = _mm256_setzero_ps();
  float offsets = 0.0f;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    // Quants are stored as q + 32: dot = sum(sc * q . y) - 32 * sum(sc * bsum).
    int corr = 0;
    for (int g = 0; g < 16; ++g) corr += x[i].scales[g] * y[i].bsums[g];
    __m256i sumi = _mm256_setzero_si256();
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = x[i].ql + 64 * half;
      const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qh + 32 * half));
      const __m256i ql0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql));
      const __m256i ql1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 32));
      __m256i q[4];
      q[0] = _mm256_or_si256(_mm256_and_si256(ql0, low), _mm256_and_si256(_mm256_slli_epi16(qh, 4), bits45));
      q[1] = _mm256_or_si256(_mm256_and_si256(ql1, low), _mm256_and_si256(_mm256_slli_epi16(qh, 2), bits45));
      q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low), _mm256_and_si256(qh, bits45));
      q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low),
                             _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45));
      const int8_t* sc = x[i].scales + 8 * half;
      const int8_t* q8 = y[i].qs + 128 * half;
      for (int k = 0; k < 4; ++k) {
        const __m256i p16 = _mm256_maddubs_epi16(q[k], LoadI8x32(q8 + 32 * k));
        const __m256i scale = _mm256_setr_m128i(_mm_set1_epi16(sc[2 * k]), _mm_set1_epi16(sc[2 * k + 1]));
        sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p16, scale));
      }
    }
    const float d = y[i].d * Fp16(x[i].d);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
    offsets += d * (32 * corr);
  }
  return Hsum(acc) - offsets;
}

}  // namespace

void FillAvx2Table(KernelTable* t) {
  t->traits[kF32].vec_dot = DotF32;
  t->traits[kF32].gemm = GemmByVecDot<DotF32>;
  t->traits[kF16].from_float = FromFloatF16;
  t->traits[kF16].vec_dot = DotF16;
  t->traits[kF16].gemm = GemmByVecDot<DotF16>;
  t->traits[kBF16].from_float = FromFloatBf16;
  t->traits[kBF16].vec_dot = DotBf16;
  t->traits[kBF16].gemm = GemmByVecDot<DotBf16>;
  t->traits[kQ8_0].from_float = QuantizeQ8_0;
  t->traits[kQ8_0].vec_dot = DotQ8_0;
  t->traits[kQ8_0].gemm = GemmByVecDot<DotQ8_0>;
  t->traits[kQ4_0].from_float = QuantizeQ8_0;
  t->traits[kQ4_0].vec_dot = DotQ4_0;
  t->traits[kQ4_0].gemm = GemmByVecDot<DotQ4_0>;
  t->traits[kQ4_K].from_float = QuantizeQ8_K;
  t->traits[kQ4_K].vec_dot = DotQ4_K;
  t->traits[kQ4_K].gemm = GemmByVecDot<DotQ4_K>;
  t->traits[kQ6_K].from_float = QuantizeQ8_K;
  t->traits[kQ6_K].vec_dot = DotQ6_K;
  t->traits[kQ6_K].gemm = GemmByVecDot<DotQ6_K>;
  t->fp32_to_fp16 = Fp32ToFp16;
  t->fp16_to_fp32 = Fp16ToFp32;
  t->fp32_to_bf16 = Fp32ToBf16;
  t->axpy_f16 = AxpyF16;
}

}  // namespace ss::engine::internal
