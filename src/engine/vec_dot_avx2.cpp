// AVX2 + FMA + F16C kernels (compiled with -mavx2 -mfma -mf16c; only called
// after the CPU check in vec_dot.cpp).

#include <immintrin.h>

#include <cstring>

#include "engine/quants.h"
#include "engine/vec_dot_internal.h"
#include "engine/vec_dot_x86.h"

namespace ss::engine::internal {
namespace {

// Scalar conversions for tails (local for the reason vec_dot_x86.h gives).
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
    // Sums of 16 quants: byte sums of (q + 128) by vpsadbw (a 64-bit lane per
    // 8 bytes), two lanes added, less 16 * 128; exact, as the scalar twin's.
    const __m256i bias = _mm256_set1_epi8(static_cast<char>(0x80));
    for (int g = 0; g < kQK_K / 16; g += 2) {
      const __m256i q = _mm256_xor_si256(LoadU8x32(reinterpret_cast<const uint8_t*>(y[i].qs + 16 * g)), bias);
      const __m256i eight = _mm256_sad_epu8(q, _mm256_setzero_si256());
      const __m256i sixteen = _mm256_add_epi64(eight, _mm256_srli_si256(eight, 8));
      y[i].bsums[g] = static_cast<int16_t>(_mm256_extract_epi64(sixteen, 0) - 16 * 128);
      y[i].bsums[g + 1] = static_cast<int16_t>(_mm256_extract_epi64(sixteen, 2) - 16 * 128);
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

// M weighted sums by V8 vectors of 8 output elements, in registers over all
// the rows: each row of v is loaded (and converted) once for the M sums.
inline __m256 Load8(const float* p) { return _mm256_loadu_ps(p); }
inline __m256 Load8(const uint16_t* p) { return LoadHalf8(p); }
inline float Scalar(float x) { return x; }
inline float Scalar(uint16_t h) { return Fp16(h); }

template <int M, int V8, typename T>
void WeightedSumBlock(const float* p, size_t ps, int64_t n_rows, const T* v, size_t v_stride, float* out,
                      size_t os) {
  __m256 acc[M][V8];
  for (int h = 0; h < M; ++h) {
    for (int k = 0; k < V8; ++k) acc[h][k] = _mm256_setzero_ps();
  }
  for (int64_t j = 0; j < n_rows; ++j) {
    const T* row = v + j * static_cast<int64_t>(v_stride);
    __m256 x[V8];
    for (int k = 0; k < V8; ++k) x[k] = Load8(row + 8 * k);
    for (int h = 0; h < M; ++h) {
      const __m256 a = _mm256_set1_ps(p[h * ps + j]);
      for (int k = 0; k < V8; ++k) acc[h][k] = _mm256_fmadd_ps(a, x[k], acc[h][k]);
    }
  }
  for (int h = 0; h < M; ++h) {
    for (int k = 0; k < V8; ++k) _mm256_storeu_ps(out + h * os + 8 * k, acc[h][k]);
  }
}

// M sums over all n output elements: 16 at a time (4 x 2 vectors of
// accumulators leave registers for the row), then 8, then one by one.
template <int M, typename T>
void WeightedSumRows(const float* p, size_t ps, int64_t n_rows, const T* v, size_t v_stride, int64_t n,
                     float* out, size_t os) {
  int64_t d = 0;
  for (; d + 16 <= n; d += 16) WeightedSumBlock<M, 2>(p, ps, n_rows, v + d, v_stride, out + d, os);
  for (; d + 8 <= n; d += 8) WeightedSumBlock<M, 1>(p, ps, n_rows, v + d, v_stride, out + d, os);
  for (; d < n; ++d) {
    for (int h = 0; h < M; ++h) {
      float sum = 0.0f;
      for (int64_t j = 0; j < n_rows; ++j)
        sum += p[h * ps + j] * Scalar(v[j * static_cast<int64_t>(v_stride) + d]);
      out[h * os + d] = sum;
    }
  }
}

template <typename T>
void WeightedSum(int m, const float* p, size_t ps, int64_t n_rows, const T* v, size_t v_stride, int64_t n,
                 float* out, size_t os) {
  int h = 0;
  for (; h + 4 <= m; h += 4) WeightedSumRows<4>(p + h * ps, ps, n_rows, v, v_stride, n, out + h * os, os);
  for (; h < m; ++h) WeightedSumRows<1>(p + h * ps, ps, n_rows, v, v_stride, n, out + h * os, os);
}

// Scale and min of Q4_K sub-block j (as Q4KScaleMin in quants.cpp, inlined here).
inline void Q4KScaleMinAvx2(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// --- quantized dot products and register-tiled gemm ---
//
// Every quantized type (and F16) is a Kernel struct: Prep (a weight block made
// ready for the dot: nibbles unpacked, scales broadcast), Act (an activation
// block's shared terms) and Step (acc += the dot of one weight block with one
// activation block). A tile holds NR weight
// rows x NC activation rows: each weight block is prepared once per tile and
// each activation block is loaded once per tile, where a vec_dot loop would
// redo both for every (row, column). Every (r, c) accumulator sees the same
// Step sequence whatever the tile shape, and vec_dot is the 1 x 1 tile, so
// gemm and vec_dot agree bit for bit and thread splits never change results.

// 32 nibbles of a Q4_0 block as bytes 0..15, in element order.
inline __m256i UnpackQ4_0(const uint8_t* qs) {
  const __m128i t = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m256i b = _mm256_insertf128_si256(_mm256_castsi128_si256(t), _mm_srli_epi16(t, 4), 1);
  return _mm256_and_si256(b, _mm256_set1_epi8(0x0F));
}

// Q8_0 x Q8_0: |w| . (a with w's sign), both as unsigned x signed byte
// products (no int16 overflow for |w|, |a| <= 127).
struct KernelQ8_0 {
  using Block = BlockQ8_0;
  using ActBlock = BlockQ8_0;
  static constexpr int kBlock = kQK8_0;
  static constexpr bool kScaled = true;  // Dot is scaled by the blocks' d (see Tile)
  struct Prep {
    __m256i abs, sgn;
  };
  struct Act {
    __m256i q;
    float d;
  };
  static inline void Load(const Block& b, Prep* p) {
    p->sgn = LoadI8x32(b.qs);
    p->abs = _mm256_sign_epi8(p->sgn, p->sgn);
  }
  static inline void LoadAct(const ActBlock& b, Act* a) {
    a->q = LoadI8x32(b.qs);
    a->d = Fp16(b.d);
  }
  static inline __m256 Dot(const Prep& w, const Act& a) {
    const __m256i p16 = _mm256_maddubs_epi16(w.abs, _mm256_sign_epi8(a.q, w.sgn));
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(p16, _mm256_set1_epi16(1)));
  }
};

// Q4_0 x Q8_0: (q - 8) . a = q . a - 8 * sum(a), with the raw nibbles q as the
// unsigned operand; 8 * sum(a) (in int16 pairs) is computed once per
// activation block.
struct KernelQ4_0 {
  using Block = BlockQ4_0;
  using ActBlock = BlockQ8_0;
  static constexpr int kBlock = kQK4_0;
  static constexpr bool kScaled = true;
  struct Prep {
    __m256i q;
  };
  struct Act {
    __m256i q, sum8;
    float d;
  };
  static inline void Load(const Block& b, Prep* p) { p->q = UnpackQ4_0(b.qs); }
  static inline void LoadAct(const ActBlock& b, Act* a) {
    a->q = LoadI8x32(b.qs);
    a->sum8 = _mm256_maddubs_epi16(_mm256_set1_epi8(8), a->q);
    a->d = Fp16(b.d);
  }
  static inline __m256 Dot(const Prep& w, const Act& a) {
    const __m256i p16 = _mm256_sub_epi16(_mm256_maddubs_epi16(w.q, a.q), a.sum8);
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(p16, _mm256_set1_epi16(1)));
  }
};

// Activation side of the K-quants: quants, scale, and the 16 group sums.
struct ActQ8_K {
  const int8_t* qs;
  __m256i bsums;  // 16 x int16: sums of groups of 16
  float d;
};
inline void LoadActQ8_K(const BlockQ8_K& b, ActQ8_K* a) {
  a->qs = b.qs;
  a->bsums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.bsums));
  a->d = b.d;
}

// Q4_K x Q8_K: per sub-block j of 32, sc_j * (nibbles . a) summed exactly in
// int32 lanes; the mins term m_j * sum(a over sub-block j) likewise (4
// lanes). Then acc += (d_a * d) * sumi - (d_a * dmin) * summ.
struct KernelQ4_K {
  using Block = BlockQ4_K;
  using ActBlock = BlockQ8_K;
  static constexpr int kBlock = kQK_K;
  struct Prep {
    __m256i q[8];      // sub-block j's 32 nibbles as bytes, element order
    __m256i scale[8];  // sc_j broadcast as int16
    __m256i mins;      // m_0..m_7 as int16 in lanes 0..7, each twice (pairs with bsums)
    float d, dmin;
  };
  using Act = ActQ8_K;
  static inline void Load(const Block& b, Prep* p) {
    uint8_t sc[8], m[8];
    for (int j = 0; j < 8; ++j) Q4KScaleMinAvx2(j, b.scales, &sc[j], &m[j]);
    const __m256i low = _mm256_set1_epi8(0x0F);
    for (int j = 0; j < 4; ++j) {
      const __m256i q4 = LoadU8x32(b.qs + 32 * j);
      p->q[2 * j] = _mm256_and_si256(q4, low);
      p->q[2 * j + 1] = _mm256_and_si256(_mm256_srli_epi16(q4, 4), low);
    }
    for (int j = 0; j < 8; ++j) p->scale[j] = _mm256_set1_epi16(sc[j]);
    p->mins = _mm256_setr_epi16(m[0], m[0], m[1], m[1], m[2], m[2], m[3], m[3], m[4], m[4], m[5], m[5], m[6],
                                m[6], m[7], m[7]);
    p->d = Fp16(b.d);
    p->dmin = Fp16(b.dmin);
  }
  static inline void LoadAct(const ActBlock& b, Act* a) { LoadActQ8_K(b, a); }
  static inline __m256 Step(const Prep& w, const Act& a, __m256 acc) {
    __m256i sumi = _mm256_setzero_si256();
    for (int j = 0; j < 8; ++j) {
      const __m256i p16 = _mm256_maddubs_epi16(w.q[j], LoadI8x32(a.qs + 32 * j));
      sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p16, w.scale[j]));
    }
    const __m256i summ = _mm256_madd_epi16(w.mins, a.bsums);  // lane j: m_j * (bsum 2j + bsum 2j+1)
    acc = _mm256_fmadd_ps(_mm256_set1_ps(a.d * w.d), _mm256_cvtepi32_ps(sumi), acc);
    return _mm256_fnmadd_ps(_mm256_set1_ps(a.d * w.dmin), _mm256_cvtepi32_ps(summ), acc);
  }
};

// Q6_K x Q8_K: quants are stored as q + 32 (0..63, the unsigned operand), so
// the dot is sum_g sc_g * (q . a)_g - 32 * sum_g sc_g * bsum_g, all in int32.
struct KernelQ6_K {
  using Block = BlockQ6_K;
  using ActBlock = BlockQ8_K;
  static constexpr int kBlock = kQK_K;
  struct Prep {
    __m256i q[8];      // elements 32k .. 32k + 31 as bytes 0..63
    __m256i scale[8];  // the two group scales of those 32 elements, int16
    __m256i scales32;  // 32 * sc_g as int16, g = 0..15
    float d;
  };
  using Act = ActQ8_K;
  // Elements 128 * half + 32 j .. + 31, j < 4, as bytes 0..63.
  static inline void UnpackHalf(const Block& b, int half, __m256i* q) {
    const __m256i low = _mm256_set1_epi8(0x0F);
    const __m256i bits45 = _mm256_set1_epi8(0x30);
    const uint8_t* ql = b.ql + 64 * half;
    const __m256i qh = InRegister(LoadU8x32(b.qh + 32 * half));
    const __m256i ql0 = InRegister(LoadU8x32(ql));
    const __m256i ql1 = InRegister(LoadU8x32(ql + 32));
    q[0] = _mm256_or_si256(_mm256_and_si256(ql0, low), _mm256_and_si256(_mm256_slli_epi16(qh, 4), bits45));
    q[1] = _mm256_or_si256(_mm256_and_si256(ql1, low), _mm256_and_si256(_mm256_slli_epi16(qh, 2), bits45));
    q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low), _mm256_and_si256(qh, bits45));
    q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low),
                           _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45));
  }
  // The block's 16 scales as int16, sc[0..7] (halves[0]) and sc[8..15]
  // (halves[1]) repeated in both 128-bit lanes.
  static inline __m256i ScaleHalves(const Block& b, __m256i* halves) {
    const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales)));
    halves[0] = _mm256_permute4x64_epi64(sc16, 0x44);
    halves[1] = _mm256_permute4x64_epi64(sc16, 0xEE);
    return sc16;
  }
  // The two group scales of elements 32k .. 32k + 31: sc[2k] in the low lane,
  // sc[2k + 1] in the high one, by one byte shuffle (broadcasting the 16
  // scales one by one kept the shuffle port busier than the products).
  static inline __m256i ScalePair(const __m256i* halves, int k) {
    const char j = static_cast<char>(4 * (k % 4));
    const __m256i pick = _mm256_setr_epi8(j, j + 1, j, j + 1, j, j + 1, j, j + 1, j, j + 1, j, j + 1, j,
                                          j + 1, j, j + 1, j + 2, j + 3, j + 2, j + 3, j + 2, j + 3, j + 2,
                                          j + 3, j + 2, j + 3, j + 2, j + 3, j + 2, j + 3, j + 2, j + 3);
    return _mm256_shuffle_epi8(halves[k / 4], pick);
  }
  static inline void Load(const Block& b, Prep* p) {
    for (int half = 0; half < 2; ++half) UnpackHalf(b, half, p->q + 4 * half);
    __m256i halves[2];
    p->scales32 = _mm256_slli_epi16(ScaleHalves(b, halves), 5);
    for (int k = 0; k < 8; ++k) p->scale[k] = ScalePair(halves, k);
    p->d = Fp16(b.d);
  }
  static inline void LoadAct(const ActBlock& b, Act* a) { LoadActQ8_K(b, a); }
  static inline __m256 Step(const Prep& w, const Act& a, __m256 acc) {
    __m256i sumi = _mm256_setzero_si256();
    for (int k = 0; k < 8; ++k) {
      const __m256i p16 = _mm256_maddubs_epi16(w.q[k], LoadI8x32(a.qs + 32 * k));
      sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p16, w.scale[k]));
    }
    sumi = _mm256_sub_epi32(sumi, _mm256_madd_epi16(w.scales32, a.bsums));
    return _mm256_fmadd_ps(_mm256_set1_ps(a.d * w.d), _mm256_cvtepi32_ps(sumi), acc);
  }
  // Load and Step for one weight row by one activation row (decode), each 32
  // elements multiplied as soon as they are unpacked: a whole Prep does not
  // fit the 16 registers and went through the stack. The same integers and
  // the same fused multiply-add as Step.
  static inline __m256 Fused(const Block& b, const ActBlock& a, __m256 acc) {
    __m256i halves[2];
    const __m256i scales32 = _mm256_slli_epi16(ScaleHalves(b, halves), 5);
    __m256i sumi = _mm256_setzero_si256();
    for (int half = 0; half < 2; ++half) {
      __m256i q[4];
      UnpackHalf(b, half, q);
      for (int j = 0; j < 4; ++j) {
        const int k = 4 * half + j;
        const __m256i p16 = _mm256_maddubs_epi16(q[j], LoadI8x32(a.qs + 32 * k));
        sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p16, ScalePair(halves, k)));
      }
    }
    const __m256i bsums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bsums));
    sumi = _mm256_sub_epi32(sumi, _mm256_madd_epi16(scales32, bsums));
    return _mm256_fmadd_ps(_mm256_set1_ps(a.d * Fp16(b.d)), _mm256_cvtepi32_ps(sumi), acc);
  }
};

// F16 x F16 in blocks of 32: acc += (w0 . a0 + ... + w3 . a3) lane-wise, so
// the chain through acc is one add per 32 elements (a one-row decode stays
// memory-bound) and no more accumulators per (r, c) than the quantized tiles.
// Elements past the last whole block are added by FinishF16.
struct Half32 {
  uint16_t h[32];
};
struct KernelF16 {
  using Block = Half32;
  using ActBlock = Half32;
  static constexpr int kBlock = 32;
  struct Prep {
    __m256 v[4];
  };
  using Act = Prep;
  static inline void Load(const Block& b, Prep* p) {
    for (int k = 0; k < 4; ++k)
      p->v[k] = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.h + 8 * k)));
  }
  static inline void LoadAct(const ActBlock& b, Act* a) { Load(b, a); }
  static inline __m256 Step(const Prep& w, const Act& a, __m256 acc) {
    __m256 t = _mm256_mul_ps(w.v[0], a.v[0]);
    t = _mm256_fmadd_ps(w.v[1], a.v[1], t);
    t = _mm256_fmadd_ps(w.v[2], a.v[2], t);
    t = _mm256_fmadd_ps(w.v[3], a.v[3], t);
    return _mm256_add_ps(acc, t);
  }
};

template <typename K>
constexpr bool ScaledKernel() {
  if constexpr (requires { K::kScaled; }) {
    return K::kScaled;
  } else {
    return false;
  }
}

// Lane r of each 128-bit half, broadcast (r a constant once unrolled).
inline __m256 Lane(__m256 v, int r) {
  switch (r) {
    case 0:
      return _mm256_permute_ps(v, 0x00);
    case 1:
      return _mm256_permute_ps(v, 0x55);
    case 2:
      return _mm256_permute_ps(v, 0xAA);
    default:
      return _mm256_permute_ps(v, 0xFF);
  }
}

// NR weight rows x NC activation rows over nb blocks.
template <typename K, int NR, int NC>
void Tile(int64_t nb, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, float* out, size_t os) {
  using Block = typename K::Block;
  using ActBlock = typename K::ActBlock;
  __m256 acc[NR][NC];
  for (int r = 0; r < NR; ++r) {
    for (int c = 0; c < NC; ++c) acc[r][c] = _mm256_setzero_ps();
  }
  if constexpr (ScaledKernel<K>()) {
    // Blocks with an fp16 scale d: the tile's (up to 4) weight scales are
    // converted at once, multiplied by the activation's in one vector op and
    // spread per row with a shuffle, instead of a scalar d_w * d_a and a
    // broadcast per pair (measured equal within noise; fewer instructions).
    // The products are the scalar d_w * d_a bits.
    static_assert(NR <= 4, "one 128-bit vector of weight scales");
    for (int64_t b = 0; b < nb; ++b) {
      typename K::Prep wp[NR];
      uint64_t bits = 0;
      for (int r = 0; r < NR; ++r) {
        const Block& blk = reinterpret_cast<const Block*>(w + r * ws)[b];
        K::Load(blk, &wp[r]);
        bits |= static_cast<uint64_t>(blk.d) << (16 * r);
      }
      const __m128 dw = _mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<long long>(bits)));
      for (int c = 0; c < NC; ++c) {
        typename K::Act ap;
        K::LoadAct(reinterpret_cast<const ActBlock*>(a + c * as)[b], &ap);
        const __m128 d = _mm_mul_ps(dw, _mm_set1_ps(ap.d));
        const __m256 d2 = _mm256_set_m128(d, d);
        for (int r = 0; r < NR; ++r) acc[r][c] = _mm256_fmadd_ps(Lane(d2, r), K::Dot(wp[r], ap), acc[r][c]);
      }
    }
  } else if constexpr (NR == 1 && NC == 1 && requires { &K::Fused; }) {
    for (int64_t b = 0; b < nb; ++b)
      acc[0][0] =
          K::Fused(reinterpret_cast<const Block*>(w)[b], reinterpret_cast<const ActBlock*>(a)[b], acc[0][0]);
  } else {
    for (int64_t b = 0; b < nb; ++b) {
      typename K::Prep wp[NR];
      for (int r = 0; r < NR; ++r) K::Load(reinterpret_cast<const Block*>(w + r * ws)[b], &wp[r]);
      for (int c = 0; c < NC; ++c) {
        typename K::Act ap;
        K::LoadAct(reinterpret_cast<const ActBlock*>(a + c * as)[b], &ap);
        for (int r = 0; r < NR; ++r) acc[r][c] = K::Step(wp[r], ap, acc[r][c]);
      }
    }
  }
  for (int r = 0; r < NR; ++r) {
    for (int c = 0; c < NC; ++c) out[c * os + r] = Hsum(acc[r][c]);
  }
}

// Tile shapes (weight rows x activation rows), measured: for the blocks of
// 32 (Q8_0, Q4_0, F16) 4 x 3, 3 x 4 and 4 x 2 come within a few percent of
// each other (ahead of 3 x 3, 3 x 2, 2 x 4, 4 x 1, 2 x 6, 1 x 8); the K-quants
// prepare a weight block in L1 and go fastest one row against 8 activation
// rows (ahead of 2 x 4, 2 x 6, 3 x 4).
template <typename K>
struct TileShape {
  static constexpr int kRows = 4, kCols = 3;
};
template <>
struct TileShape<KernelQ4_K> {
  static constexpr int kRows = 1, kCols = 8;
};
template <>
struct TileShape<KernelQ6_K> {
  static constexpr int kRows = 1, kCols = 8;
};

// Decode of one or two sequences is memory-bound: one weight row at a time
// keeps a single sequential stream for the prefetchers (interleaved rows
// measured slower).
constexpr int kSmallBatch = 2;

// The last nc < NC activation rows of a tile row.
template <typename K, int NR, int NC>
void TailCols(int nc, int64_t nb, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, float* out,
              size_t os) {
  if constexpr (NC > 0) {
    if (nc == NC) return Tile<K, NR, NC>(nb, w, ws, a, as, out, os);
    TailCols<K, NR, NC - 1>(nc, nb, w, ws, a, as, out, os);
  }
}

template <typename K, int NR>
void RowTile(int64_t nb, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int nc, float* out,
             size_t os) {
  constexpr int kCols = TileShape<K>::kCols;
  int c = 0;
  for (; c + kCols <= nc; c += kCols) Tile<K, NR, kCols>(nb, w, ws, a + c * as, as, out + c * os, os);
  TailCols<K, NR, kCols - 1>(nc - c, nb, w, ws, a + c * as, as, out + c * os, os);
}

// The last nr < NR weight rows.
template <typename K, int NR>
void TailRows(int nr, int64_t nb, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int nc,
              float* out, size_t os) {
  if constexpr (NR > 0) {
    if (nr == NR) return RowTile<K, NR>(nb, w, ws, a, as, nc, out, os);
    TailRows<K, NR - 1>(nr, nb, w, ws, a, as, nc, out, os);
  }
}

template <typename K>
void GemmQ(int64_t n, const void* w, size_t ws, int nr, const void* a, size_t as, int nc, float* out,
           size_t os) {
  constexpr int kRows = TileShape<K>::kRows;
  const int64_t nb = n / K::kBlock;
  const uint8_t* wb = static_cast<const uint8_t*>(w);
  const uint8_t* ab = static_cast<const uint8_t*>(a);
  int r = 0;
  if (nc <= kSmallBatch) {
    for (; r < nr; ++r) RowTile<K, 1>(nb, wb + r * ws, ws, ab, as, nc, out + r, os);
    return;
  }
  for (; r + kRows <= nr; r += kRows) RowTile<K, kRows>(nb, wb + r * ws, ws, ab, as, nc, out + r, os);
  TailRows<K, kRows - 1>(nr - r, nb, wb + r * ws, ws, ab, as, nc, out + r, os);
}

template <typename K>
float DotQ(int64_t n, const void* w, const void* a) {
  float out;
  Tile<K, 1, 1>(n / K::kBlock, static_cast<const uint8_t*>(w), 0, static_cast<const uint8_t*>(a), 0, &out, 0);
  return out;
}

// The elements of an F16 row past its last block of 32, in order.
inline float TailF16(int64_t n, const void* w, const void* a) {
  const uint16_t* x = static_cast<const uint16_t*>(w);
  const uint16_t* y = static_cast<const uint16_t*>(a);
  float sum = 0;
  for (int64_t i = n / 32 * 32; i < n; ++i) sum += Fp16(x[i]) * Fp16(y[i]);
  return sum;
}

void GemmF16(int64_t n, const void* w, size_t ws, int nr, const void* a, size_t as, int nc, float* out,
             size_t os) {
  GemmQ<KernelF16>(n, w, ws, nr, a, as, nc, out, os);
  if (n % 32 == 0) return;
  const uint8_t* wb = static_cast<const uint8_t*>(w);
  const uint8_t* ab = static_cast<const uint8_t*>(a);
  for (int c = 0; c < nc; ++c) {
    for (int r = 0; r < nr; ++r) out[c * os + r] += TailF16(n, wb + r * ws, ab + c * as);
  }
}

float DotF16Tiled(int64_t n, const void* w, const void* a) {
  const float sum = DotQ<KernelF16>(n, w, a);
  return n % 32 == 0 ? sum : sum + TailF16(n, w, a);
}

// --- Q4_0 interleaved by 8 rows (quants.h BlockQ4_0x8) ---
//
// Lane r of every vector is weight row r: a chunk's nibbles times 4
// activation bytes broadcast to all lanes, so 8 rows take 8 multiplies per
// block and no horizontal sum. The int16 sums cannot overflow: 16 products of
// a nibble (<= 15) and an activation (|a| <= 127) are at most 30480.

// The 8 rows' exact (q - 8) . a for one block, given its unpacked chunks.
inline __m256i DotX8(const __m256i (&w)[8], const int8_t* q, int32_t sum8) {
  __m256i s = _mm256_maddubs_epi16(w[0], Broadcast4(q));
  for (int k = 1; k < 4; ++k) s = _mm256_add_epi16(s, _mm256_maddubs_epi16(w[k], Broadcast4(q + 4 * k)));
  for (int k = 0; k < 4; ++k)
    s = _mm256_add_epi16(s, _mm256_maddubs_epi16(w[4 + k], Broadcast4(q + 16 + 4 * k)));
  return _mm256_sub_epi32(_mm256_madd_epi16(s, _mm256_set1_epi16(1)), _mm256_set1_epi32(sum8));
}

// One group of 8 weight rows x NC activation rows; 4 activation rows per
// tile, as 8 unpacked chunks and 4 accumulators fill the 16 vector registers.
struct TilesQ4_0x8 : TilesQ4_0x8Base {
  static constexpr int kCols = 4;
  template <int NC>
  static void Run(int64_t nb, const BlockQ4_0x8* x, const uint8_t* a, size_t as, const ActQ8_0Sum* sums,
                  float* out, size_t os) {
    __m256 acc[NC];
    for (int c = 0; c < NC; ++c) acc[c] = _mm256_setzero_ps();
    const __m256i low = _mm256_set1_epi8(0x0F);
    StreamPrefetch<64 * sizeof(BlockQ4_0x8)> ahead(
        x);  // used by decode (one activation row) only, as measured
    for (int64_t b = 0; b < nb; ++b) {
      if constexpr (NC == 1) ahead.Upto(x + b + 1);
      const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x[b].d)));
      __m256i w[8];
      for (int k = 0; k < 4; ++k) {
        const __m256i chunk = InRegister(LoadU8x32(x[b].qs + 32 * k));
        w[k] = _mm256_and_si256(chunk, low);
        w[4 + k] = _mm256_and_si256(_mm256_srli_epi16(chunk, 4), low);
      }
      for (int c = 0; c < NC; ++c) {
        const ActQ8_0Sum& s = sums[c * nb + b];
        const BlockQ8_0& y = reinterpret_cast<const BlockQ8_0*>(a + c * as)[b];
        const __m256 scale = _mm256_mul_ps(dw, _mm256_set1_ps(s.d));
        acc[c] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(DotX8(w, y.qs, s.sum8)), acc[c]);
      }
    }
    for (int c = 0; c < NC; ++c) _mm256_storeu_ps(out + c * os, acc[c]);
  }
};

// --- Q8_0 interleaved by 8 rows (quants.h BlockQ8_0x8) ---
//
// Lane r is weight row r; |w| . (a with w's sign) as unsigned x signed bytes,
// widened to int32 per chunk (two chunks' int16 pairs could overflow). |w|
// of the 8 chunks stays in registers for all activation rows of the tile; w
// itself is read again from L1 as the sign source.
struct TilesQ8_0x8 : TilesQ8_0x8Base {
  static constexpr int kCols = 3;
  template <int NC>
  static void Run(int64_t nb, const BlockQ8_0x8* x, const uint8_t* a, size_t as, const ActQ8_0Sum* sums,
                  float* out, size_t os) {
    __m256 acc[NC];
    for (int c = 0; c < NC; ++c) acc[c] = _mm256_setzero_ps();
    const __m256i ones = _mm256_set1_epi16(1);
    for (int64_t b = 0; b < nb; ++b) {
      const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x[b].d)));
      __m256i abs[8];
      for (int k = 0; k < 8; ++k) {
        const __m256i w = LoadI8x32(x[b].qs + 32 * k);
        abs[k] = _mm256_sign_epi8(w, w);
      }
      for (int c = 0; c < NC; ++c) {
        const int8_t* q = reinterpret_cast<const BlockQ8_0*>(a + c * as)[b].qs;
        __m256i dot = _mm256_setzero_si256();
        for (int k = 0; k < 8; ++k) {
          const __m256i signed_a = _mm256_sign_epi8(Broadcast4(q + 4 * k), LoadI8x32(x[b].qs + 32 * k));
          dot = _mm256_add_epi32(dot, _mm256_madd_epi16(_mm256_maddubs_epi16(abs[k], signed_a), ones));
        }
        const __m256 scale = _mm256_mul_ps(dw, _mm256_set1_ps(sums[c * nb + b].d));
        acc[c] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(dot), acc[c]);
      }
    }
    for (int c = 0; c < NC; ++c) _mm256_storeu_ps(out + c * os, acc[c]);
  }
};

// --- Q8_0 and Q4_0 interleaved by 16 rows (quants.h BlockQ8_0x16, BlockQ4_0x16) ---
//
// The layouts this table asks for, each 64-byte chunk as two halves of 8
// rows: per row the 8-row tiles' integers and fused multiply-adds, so the
// same bits. A decode row reads the pair in one stream, both halves sharing
// each activation broadcast, with a software prefetch kAhead bytes ahead, as
// the AVX-512 tiles; more activation rows take one half after the other, 8
// blocks at a time (the whole panel's first half, then its second from L2,
// made decode of 4 sequences 2.2 times slower: memory waited for compute). Dots::Pair(qs, q, sum8, dot)
// sets both halves' exact dots of one block with activation quants q;
// Dots::Half<NC>(qs + 32 h, q, sums, nb, dot) those of half h with NC
// activation rows (column c's sums at sums[c * nb]).
template <typename Dots, typename BlockX16, size_t kAhead, int NC>
void RunX16(int64_t nb, const BlockX16* x, const uint8_t* a, size_t as, const ActQ8_0Sum* sums, float* out,
            size_t os) {
  auto add_scaled = [](const uint16_t* d, float da, __m256i dot, __m256 acc) {
    const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(d)));
    return _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_set1_ps(da)), _mm256_cvtepi32_ps(dot), acc);
  };
  auto act = [&](int c, int64_t b) { return reinterpret_cast<const BlockQ8_0*>(a + c * as)[b].qs; };
  if constexpr (NC == 1) {
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    ForEachBlockX16<BlockX16, true, kAhead>(nb, x, [&](const uint16_t* d, const uint8_t* qs, int64_t b) {
      __m256i dot[2];
      Dots::Pair(qs, act(0, b), sums[b].sum8, dot);
      for (int h = 0; h < 2; ++h) acc[h] = add_scaled(d + 8 * h, sums[b].d, dot[h], acc[h]);
    });
    for (int h = 0; h < 2; ++h) _mm256_storeu_ps(out + 8 * h, acc[h]);
    return;
  }
  __m256 acc[2][NC];
  for (int h = 0; h < 2; ++h)
    for (int c = 0; c < NC; ++c) acc[h][c] = _mm256_setzero_ps();
  for (int64_t b0 = 0; b0 < nb; b0 += 8) {  // 8 blocks at a time, so the second half's are in L1
    for (int h = 0; h < 2; ++h) {
      ForEachBlockX16<BlockX16, false, 0>(
          std::min<int64_t>(8, nb - b0), x + b0 / 8, [&](const uint16_t* d, const uint8_t* qs, int64_t i) {
            const int64_t b = b0 + i;
            const int8_t* q[NC];
            for (int c = 0; c < NC; ++c) q[c] = act(c, b);
            __m256i dot[NC];
            Dots::template Half<NC>(qs + 32 * h, q, sums + b, nb, dot);
            for (int c = 0; c < NC; ++c)
              acc[h][c] = add_scaled(d + 8 * h, sums[c * nb + b].d, dot[c], acc[h][c]);
          });
    }
  }
  for (int h = 0; h < 2; ++h)
    for (int c = 0; c < NC; ++c) _mm256_storeu_ps(out + c * os + 8 * h, acc[h][c]);
}

struct TilesQ8_0x16 : TilesBase<BlockQ8_0x16, BlockQ8_0, ActQ8_0Sum, kQK8_0> {
  static constexpr int kCols = TilesQ8_0x8::kCols, kGroups = 2;
  using Single = TilesQ8_0x8;
  // |w| . (a with w's sign) for 8 rows' chunk, in int32 pairs of products.
  static __m256i ChunkDot(const uint8_t* chunk, const int8_t* q4) {
    const __m256i w = LoadI8x32(reinterpret_cast<const int8_t*>(chunk));
    return _mm256_madd_epi16(
        _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(Broadcast4(q4), w)),
        _mm256_set1_epi16(1));
  }
  static void Pair(const uint8_t* qs, const int8_t* q, int32_t, __m256i (&dot)[2]) {
    dot[0] = dot[1] = _mm256_setzero_si256();
    for (int k = 0; k < 8; ++k)
      for (int h = 0; h < 2; ++h)
        dot[h] = _mm256_add_epi32(dot[h], ChunkDot(qs + 64 * k + 32 * h, q + 4 * k));
  }
  template <int NC>
  static void Half(const uint8_t* qs, const int8_t* const* q, const ActQ8_0Sum*, int64_t, __m256i* dot) {
    for (int c = 0; c < NC; ++c) {
      dot[c] = _mm256_setzero_si256();
      for (int k = 0; k < 8; ++k) dot[c] = _mm256_add_epi32(dot[c], ChunkDot(qs + 64 * k, q[c] + 4 * k));
    }
  }
  template <int NC>
  static void Run(int64_t nb, const BlockQ8_0x16* x, const uint8_t* a, size_t as, const ActQ8_0Sum* sums,
                  float* out, size_t os) {
    RunX16<TilesQ8_0x16, BlockQ8_0x16, 2 * sizeof(BlockQ8_0x16), NC>(nb, x, a, as, sums, out, os);
  }
};

struct TilesQ4_0x16 : TilesBase<BlockQ4_0x16, BlockQ8_0, ActQ8_0Sum, kQK4_0> {
  static constexpr int kCols = 4, kGroups = 2;
  using Single = TilesQ4_0x8;
  static void Pair(const uint8_t* qs, const int8_t* q, int32_t sum8, __m256i (&dot)[2]) {
    const __m256i low = _mm256_set1_epi8(0x0F);
    __m256i s[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
    for (int k = 0; k < 4; ++k) {
      const __m256i lo = Broadcast4(q + 4 * k), hi = Broadcast4(q + 16 + 4 * k);
      for (int h = 0; h < 2; ++h) {
        const __m256i chunk = InRegister(LoadU8x32(qs + 64 * k + 32 * h));
        s[h] = _mm256_add_epi16(s[h], _mm256_maddubs_epi16(_mm256_and_si256(chunk, low), lo));
        s[h] = _mm256_add_epi16(s[h],
                                _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(chunk, 4), low), hi));
      }
    }
    for (int h = 0; h < 2; ++h)
      dot[h] = _mm256_sub_epi32(_mm256_madd_epi16(s[h], _mm256_set1_epi16(1)), _mm256_set1_epi32(sum8));
  }
  template <int NC>
  static void Half(const uint8_t* qs, const int8_t* const* q, const ActQ8_0Sum* sums, int64_t nb,
                   __m256i* dot) {
    const __m256i low = _mm256_set1_epi8(0x0F);
    __m256i w[8];
    for (int k = 0; k < 4; ++k) {
      const __m256i chunk = InRegister(LoadU8x32(qs + 64 * k));
      w[k] = _mm256_and_si256(chunk, low);
      w[4 + k] = _mm256_and_si256(_mm256_srli_epi16(chunk, 4), low);
    }
    for (int c = 0; c < NC; ++c) dot[c] = DotX8(w, q[c], sums[c * nb].sum8);
  }
  template <int NC>
  static void Run(int64_t nb, const BlockQ4_0x16* x, const uint8_t* a, size_t as, const ActQ8_0Sum* sums,
                  float* out, size_t os) {
    RunX16<TilesQ4_0x16, BlockQ4_0x16, 4 * sizeof(BlockQ4_0x16), NC>(nb, x, a, as, sums, out, os);
  }
};

// --- Q4_K interleaved by 8 rows (quants.h BlockQ4_Kx8) ---
//
// Lane r is weight row r again. A chunk's low nibbles are 4 elements of an
// even sub-block, its high nibbles of the next one; 8 chunks sum a sub-block
// in int16 (16 products of at most 15 * 127: 30480), which one multiply by
// the rows' scales widens to int32.

// The 8 rows' scales of one sub-block, each as two int16 (for madd).
inline __m256i RowScales(const uint8_t* sc8) {
  const __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sc8)));
  return _mm256_or_si256(v, _mm256_slli_epi32(v, 16));
}

struct TilesQ4_Kx8 : TilesQ4_Kx8Base {
  static constexpr int kCols = 2;
  template <int NC>
  static void AddSubBlocks(const uint8_t* qs, size_t stride, int jj, const int8_t* const* q,
                           const uint8_t* sc, __m256i* sumi) {
    const __m256i low = _mm256_set1_epi8(0x0F);
    __m256i s_lo[NC], s_hi[NC];
    for (int c = 0; c < NC; ++c) s_lo[c] = s_hi[c] = _mm256_setzero_si256();
    for (int k = 0; k < 8; ++k) {
      const __m256i chunk = InRegister(LoadU8x32(qs + stride * (8 * jj + k)));
      const __m256i ql = _mm256_and_si256(chunk, low);
      const __m256i qh = _mm256_and_si256(_mm256_srli_epi16(chunk, 4), low);
      for (int c = 0; c < NC; ++c) {
        // Running sums in registers: GCC otherwise adds the 16 products of a
        // sub-block pair as a tree and spills six of them.
        const int8_t* qc = q[c] + 64 * jj + 4 * k;
        s_lo[c] = InRegister(_mm256_add_epi16(s_lo[c], _mm256_maddubs_epi16(ql, Broadcast4(qc))));
        s_hi[c] = InRegister(_mm256_add_epi16(s_hi[c], _mm256_maddubs_epi16(qh, Broadcast4(qc + 32))));
      }
    }
    const __m256i sc_lo = RowScales(sc + 16 * jj), sc_hi = RowScales(sc + 16 * jj + 8);
    for (int c = 0; c < NC; ++c) {
      sumi[c] = _mm256_add_epi32(
          sumi[c], _mm256_add_epi32(_mm256_madd_epi16(s_lo[c], sc_lo), _mm256_madd_epi16(s_hi[c], sc_hi)));
    }
  }
  template <int NC>
  static void Run(int64_t nb, const BlockQ4_Kx8* x, const uint8_t* a, size_t as, const ActQ8_KSum* sums,
                  float* out, size_t os) {
    RunQ4_Kx8<TilesQ4_Kx8, NC>(nb, x, 0, a, as, sums, out, os);
  }
};

// Q4_K by 16 rows (quants.h BlockQ4_Kx16, the layout this table asks for),
// each 64-byte chunk as two halves of 8 rows: per row the 8-row tile's
// integers and fused multiply-adds, so the same bits. A decode row reads the
// pair in one stream, both halves sharing each activation broadcast, with a
// software prefetch 2 blocks (4.6 KB) ahead, as the AVX-512 tile; more
// activation rows take one half after the other, each as the 8-row tile.
struct TilesQ4_Kx16 : TilesBase<BlockQ4_Kx16, BlockQ8_K, ActQ8_KSum, kQK_K> {
  static constexpr int kCols = TilesQ4_Kx8::kCols, kGroups = 2;
  using Single = TilesQ4_Kx8;
  static void Decode(int64_t nb, const BlockQ4_Kx16* x, const BlockQ8_K* a, const ActQ8_KSum* sums,
                     float* out) {
    __m256 acc[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    const __m256i low = _mm256_set1_epi8(0x0F);
    alignas(32) uint8_t sc[2][64], mn[2][64];
    StreamPrefetch<2 * sizeof(BlockQ4_Kx16)> ahead(x);
    for (int64_t b = 0; b < nb; ++b) {
      ahead.Upto(x + b + 1);
      const BlockQ4_Kx16& blk = x[b];
      for (int h = 0; h < 2; ++h) {
        UnpackSixBits(blk.scales_lo[h], blk.scales_hi[h], sc[h]);
        UnpackSixBits(blk.mins_lo[h], blk.mins_hi[h], mn[h]);
      }
      __m256i sumi[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()};
      for (int jj = 0; jj < 4; ++jj) {
        __m256i s_lo[2] = {_mm256_setzero_si256(), _mm256_setzero_si256()}, s_hi[2] = {s_lo[0], s_lo[0]};
        for (int k = 0; k < 8; ++k) {
          const int8_t* qc = a[b].qs + 64 * jj + 4 * k;
          const __m256i lo = Broadcast4(qc), hi = Broadcast4(qc + 32);
          for (int h = 0; h < 2; ++h) {
            const __m256i chunk = InRegister(LoadU8x32(blk.qs + 64 * (8 * jj + k) + 32 * h));
            s_lo[h] =
                InRegister(_mm256_add_epi16(s_lo[h], _mm256_maddubs_epi16(_mm256_and_si256(chunk, low), lo)));
            s_hi[h] = InRegister(_mm256_add_epi16(
                s_hi[h], _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(chunk, 4), low), hi)));
          }
        }
        for (int h = 0; h < 2; ++h) {
          const __m256i sc_lo = RowScales(sc[h] + 16 * jj), sc_hi = RowScales(sc[h] + 16 * jj + 8);
          sumi[h] = _mm256_add_epi32(sumi[h], _mm256_add_epi32(_mm256_madd_epi16(s_lo[h], sc_lo),
                                                               _mm256_madd_epi16(s_hi[h], sc_hi)));
        }
      }
      const ActQ8_KSum& s = sums[b];
      const __m256 da = _mm256_set1_ps(s.d);
      for (int h = 0; h < 2; ++h) {
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.d + 8 * h)));
        const __m256 dmw =
            _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.dmin + 8 * h)));
        acc[h] = _mm256_fmadd_ps(_mm256_mul_ps(dw, da), _mm256_cvtepi32_ps(sumi[h]), acc[h]);
        acc[h] = _mm256_fnmadd_ps(_mm256_mul_ps(dmw, da), _mm256_cvtepi32_ps(MinsX8(mn[h], s.pairs)), acc[h]);
      }
    }
    for (int h = 0; h < 2; ++h) _mm256_storeu_ps(out + 8 * h, acc[h]);
  }
  template <int NC>
  static void Run(int64_t nb, const BlockQ4_Kx16* x, const uint8_t* a, size_t as, const ActQ8_KSum* sums,
                  float* out, size_t os) {
    if constexpr (NC == 1) return Decode(nb, x, reinterpret_cast<const BlockQ8_K*>(a), sums, out);
    for (int h = 0; h < 2; ++h) RunQ4_Kx8<TilesQ4_Kx8, NC>(nb, x, h, a, as, sums, out + 8 * h, os);
  }
};

}  // namespace

void FillAvx2Table(KernelTable* t) {
  t->traits[kF32].vec_dot = DotF32;
  t->traits[kF32].gemm = GemmByVecDot<DotF32>;
  t->traits[kF16].from_float = FromFloatF16;
  t->traits[kF16].vec_dot = DotF16Tiled;
  t->traits[kF16].gemm = GemmF16;
  t->traits[kF16].tile_rows = TileShape<KernelF16>::kRows;
  t->traits[kBF16].from_float = FromFloatBf16;
  t->traits[kBF16].vec_dot = DotBf16;
  t->traits[kBF16].gemm = GemmByVecDot<DotBf16>;
  t->traits[kQ8_0].from_float = QuantizeQ8_0;
  t->traits[kQ8_0].vec_dot = DotQ<KernelQ8_0>;
  t->traits[kQ8_0].gemm = GemmQ<KernelQ8_0>;
  t->traits[kQ8_0].tile_rows = TileShape<KernelQ8_0>::kRows;
  t->traits[kQ4_0].from_float = QuantizeQ8_0;
  t->traits[kQ4_0].vec_dot = DotQ<KernelQ4_0>;
  t->traits[kQ4_0].gemm = GemmQ<KernelQ4_0>;
  t->traits[kQ4_0].tile_rows = TileShape<KernelQ4_0>::kRows;
  t->traits[kQ4_0].gemm_x8 = GemmX8<TilesQ4_0x16>;
  t->traits[kQ4_0].group_rows = 2 * kInterleave;
  t->traits[kQ8_0].gemm_x8 = GemmX8<TilesQ8_0x16>;
  t->traits[kQ8_0].group_rows = 2 * kInterleave;
  t->traits[kQ4_K].from_float = QuantizeQ8_K;
  t->traits[kQ4_K].vec_dot = DotQ<KernelQ4_K>;
  t->traits[kQ4_K].gemm = GemmQ<KernelQ4_K>;
  t->traits[kQ4_K].tile_rows = TileShape<KernelQ4_K>::kRows;
  t->traits[kQ4_K].gemm_x8 = GemmX8<TilesQ4_Kx16>;
  t->traits[kQ4_K].group_rows = 2 * kInterleave;
  t->traits[kQ6_K].gemm_x8 = GemmX8<TilesQ6_Kx8>;
  t->traits[kQ6_K].from_float = QuantizeQ8_K;
  t->traits[kQ6_K].vec_dot = DotQ<KernelQ6_K>;
  t->traits[kQ6_K].gemm = GemmQ<KernelQ6_K>;
  t->traits[kQ6_K].tile_rows = TileShape<KernelQ6_K>::kRows;
  t->fp32_to_fp16 = Fp32ToFp16;
  t->fp16_to_fp32 = Fp16ToFp32;
  t->fp32_to_bf16 = Fp32ToBf16;
  t->weighted_sum_f16 = WeightedSum<uint16_t>;
  t->weighted_sum_f32 = WeightedSum<float>;
  t->silu_mul = SiluMulAvx2;
  t->softmax = SoftmaxAvx2;
}

}  // namespace ss::engine::internal
