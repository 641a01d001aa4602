// The scalar reference kernels (ggml's "_generic" twins): every SIMD kernel in
// vec_dot_avx2.cpp and vec_dot_avx512.cpp is held to these by the kernel tests,
// and SHARDSWARM_ISA=scalar runs them.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "engine/ops.h"
#include "engine/quants.h"
#include "engine/vec_dot.h"
#include "engine/vec_dot_internal.h"
#include "util/half.h"

namespace ss::engine {
namespace {

using gguf::TensorType;

// --- activation converters ---

void FromFloatF32(const float* x, void* y, int64_t n) { std::memcpy(y, x, n * sizeof(float)); }

void ScalarFp32ToFp16(const float* x, uint16_t* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = FloatToHalf(x[i]);
}
void ScalarFp16ToFp32(const uint16_t* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = HalfToFloat(x[i]);
}
void ScalarFp32ToBf16(const float* x, uint16_t* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = FloatToBf16(x[i]);
}
template <typename T>
void ScalarWeightedSum(int m, const float* p, size_t p_stride, int64_t n_rows, const T* v, size_t v_stride,
                       int64_t n, float* out, size_t out_stride) {
  for (int h = 0; h < m; ++h) {
    const float* ph = p + h * p_stride;
    for (int64_t d = 0; d < n; ++d) {
      float sum = 0.0f;
      for (int64_t j = 0; j < n_rows; ++j) {
        const T x = v[j * static_cast<int64_t>(v_stride) + d];
        if constexpr (std::is_same_v<T, uint16_t>) {
          sum += ph[j] * HalfToFloat(x);
        } else {
          sum += ph[j] * x;
        }
      }
      out[h * out_stride + d] = sum;
    }
  }
}
void FromFloatF16(const float* x, void* y, int64_t n) { ScalarFp32ToFp16(x, static_cast<uint16_t*>(y), n); }
void FromFloatBf16(const float* x, void* y, int64_t n) { ScalarFp32ToBf16(x, static_cast<uint16_t*>(y), n); }
void FromFloatQ8_0(const float* x, void* y, int64_t n) { QuantizeRowQ8_0(x, static_cast<BlockQ8_0*>(y), n); }
void FromFloatQ8_K(const float* x, void* y, int64_t n) { QuantizeRowQ8_K(x, static_cast<BlockQ8_K*>(y), n); }

// --- dot products. Float types accumulate float products in double, as ggml's
// scalar path does; quantized types sum exact integers per block. ---

float DotF32(int64_t n, const void* w, const void* a) {
  const float* x = static_cast<const float*>(w);
  const float* y = static_cast<const float*>(a);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * y[i]);
  return static_cast<float>(sum);
}

float DotF16(int64_t n, const void* w, const void* a) {
  const uint16_t* x = static_cast<const uint16_t*>(w);
  const uint16_t* y = static_cast<const uint16_t*>(a);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(HalfToFloat(x[i]) * HalfToFloat(y[i]));
  return static_cast<float>(sum);
}

float DotBf16(int64_t n, const void* w, const void* a) {
  const uint16_t* x = static_cast<const uint16_t*>(w);
  const uint16_t* y = static_cast<const uint16_t*>(a);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(Bf16ToFloat(x[i]) * Bf16ToFloat(y[i]));
  return static_cast<float>(sum);
}

float DotQ8_0(int64_t n, const void* w, const void* a) {
  const BlockQ8_0* x = static_cast<const BlockQ8_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK8_0; ++i) {
    int sumi = 0;
    for (int j = 0; j < kQK8_0; ++j) sumi += x[i].qs[j] * y[i].qs[j];
    sum += sumi * (HalfToFloat(x[i].d) * HalfToFloat(y[i].d));
  }
  return sum;
}

float DotQ4_0(int64_t n, const void* w, const void* a) {
  const BlockQ4_0* x = static_cast<const BlockQ4_0*>(w);
  const BlockQ8_0* y = static_cast<const BlockQ8_0*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK4_0; ++i) {
    int sumi = 0;
    for (int j = 0; j < kQK4_0 / 2; ++j) {
      sumi += ((x[i].qs[j] & 0x0F) - 8) * y[i].qs[j];
      sumi += ((x[i].qs[j] >> 4) - 8) * y[i].qs[j + kQK4_0 / 2];
    }
    sum += sumi * (HalfToFloat(x[i].d) * HalfToFloat(y[i].d));
  }
  return sum;
}

// Q8_0 interleaved by 8 rows (quants.h BlockQ8_0x8), one activation row at a
// time: exact integer dots and one fused multiply-add per block, as its twins.
struct TilesQ8_0x8 : internal::TilesQ8_0x8Base {
  static constexpr int kCols = 1;
  template <int NC>
  static void Run(int64_t nb, const BlockQ8_0x8* x, const uint8_t* a, size_t,
                  const internal::ActQ8_0Sum* sums, float* out, size_t) {
    const auto* y = reinterpret_cast<const BlockQ8_0*>(a);
    float acc[kInterleave] = {};
    for (int64_t b = 0; b < nb; ++b) {
      for (int r = 0; r < kInterleave; ++r) {
        int32_t dot = 0;
        for (int k = 0; k < 8; ++k) {
          for (int i = 0; i < 4; ++i) dot += x[b].qs[32 * k + 4 * r + i] * y[b].qs[4 * k + i];
        }
        acc[r] = std::fma(HalfToFloat(x[b].d[r]) * sums[b].d, static_cast<float>(dot), acc[r]);
      }
    }
    for (int r = 0; r < kInterleave; ++r) out[r] = acc[r];
  }
};

// Q4_0 interleaved by 8 rows (quants.h BlockQ4_0x8), one activation row at a
// time: the reference for the SIMD twins, which compute the same exact
// integers and the same fused multiply-add per block, so all agree bit for bit.
struct TilesQ4_0x8 : internal::TilesQ4_0x8Base {
  static constexpr int kCols = 1;
  template <int NC>
  static void Run(int64_t nb, const BlockQ4_0x8* x, const uint8_t* a, size_t,
                  const internal::ActQ8_0Sum* sums, float* out, size_t) {
    const auto* y = reinterpret_cast<const BlockQ8_0*>(a);
    float acc[kInterleave] = {};
    for (int64_t b = 0; b < nb; ++b) {
      for (int r = 0; r < kInterleave; ++r) {
        int32_t dot = -sums[b].sum8;
        for (int k = 0; k < 4; ++k) {
          for (int i = 0; i < 4; ++i) {
            const uint8_t q = x[b].qs[32 * k + 4 * r + i];
            dot += (q & 0x0F) * y[b].qs[4 * k + i] + (q >> 4) * y[b].qs[16 + 4 * k + i];
          }
        }
        acc[r] = std::fma(HalfToFloat(x[b].d[r]) * sums[b].d, static_cast<float>(dot), acc[r]);
      }
    }
    for (int r = 0; r < kInterleave; ++r) out[r] = acc[r];
  }
};

// Q4_K interleaved by 8 rows (quants.h BlockQ4_Kx8), one activation row at a
// time: per super-block and row the exact integer sums of scale * (nibbles .
// a) and of min * (sub-block sums of a), then two fused multiply-adds; the
// reference for the AVX2 twin.
struct TilesQ4_Kx8 : internal::TilesQ4_Kx8Base {
  static constexpr int kCols = 1;
  template <int NC>
  static void Run(int64_t nb, const BlockQ4_Kx8* x, const uint8_t* a, size_t,
                  const internal::ActQ8_KSum* sums, float* out, size_t) {
    const auto* y = reinterpret_cast<const BlockQ8_K*>(a);
    float acc[kInterleave] = {};
    for (int64_t b = 0; b < nb; ++b) {
      uint8_t sc[64], mn[64];
      UnpackQ4_Kx8Scales(x[b], sc, mn);
      for (int r = 0; r < kInterleave; ++r) {
        int32_t sumi = 0, summ = 0;
        for (int j = 0; j < 8; ++j) {
          int32_t dot = 0;
          for (int k = 0; k < 8; ++k) {
            for (int i = 0; i < 4; ++i) {
              const uint8_t q = x[b].qs[32 * (8 * (j / 2) + k) + 4 * r + i];
              dot += (j % 2 == 0 ? q & 0x0F : q >> 4) * y[b].qs[32 * j + 4 * k + i];
            }
          }
          sumi += sc[8 * j + r] * dot;
          const int32_t pair = sums[b].pairs[j / 2];
          const int32_t sub = j % 2 == 0 ? static_cast<int16_t>(pair & 0xFFFF) : (pair >> 16);
          summ += mn[16 * (j / 2) + 2 * r + j % 2] * sub;
        }
        acc[r] = std::fma(HalfToFloat(x[b].d[r]) * sums[b].d, static_cast<float>(sumi), acc[r]);
        acc[r] = std::fma(-(HalfToFloat(x[b].dmin[r]) * sums[b].d), static_cast<float>(summ), acc[r]);
      }
    }
    for (int r = 0; r < kInterleave; ++r) out[r] = acc[r];
  }
};

// Q6_K interleaved by 8 rows (quants.h BlockQ6_Kx8), one activation row at a
// time: per super-block and row the exact integer sum over groups of
// scale * ((q - 32) . a), then one fused multiply-add; the reference for the
// SIMD twins.
struct TilesQ6_Kx8 : internal::TilesQ6_Kx8Base {
  static constexpr int kCols = 1;
  template <int NC>
  static void Run(int64_t nb, const BlockQ6_Kx8* x, const uint8_t* a, size_t,
                  const internal::ActQ8_KSum* sums, float* out, size_t) {
    const auto* y = reinterpret_cast<const BlockQ8_K*>(a);
    float acc[kInterleave] = {};
    for (int64_t b = 0; b < nb; ++b) {
      for (int r = 0; r < kInterleave; ++r) {
        uint8_t q[kQK_K];
        UnpackQ6_Kx8Row(x[b], r, q);
        int32_t sumi = 0;
        for (int g = 0; g < kQK_K / 16; ++g) {
          int32_t dot = sums[b].offsets[g];
          for (int l = 0; l < 16; ++l) dot += q[16 * g + l] * y[b].qs[16 * g + l];
          sumi += x[b].scales[8 * g + r] * dot;
        }
        acc[r] = std::fma(HalfToFloat(x[b].d[r]) * sums[b].d, static_cast<float>(sumi), acc[r]);
      }
    }
    for (int r = 0; r < kInterleave; ++r) out[r] = acc[r];
  }
};

float DotQ4_K(int64_t n, const void* w, const void* a) {
  const BlockQ4_K* x = static_cast<const BlockQ4_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    int sumi = 0;  // sum over sub-blocks of scale * (nibbles . activations)
    int summ = 0;  // sum over sub-blocks of min * (sum of activations)
    const uint8_t* q = x[i].qs;
    const int8_t* q8 = y[i].qs;
    for (int j = 0; j < 4; ++j, q += 32, q8 += 64) {
      uint8_t sc_lo, m_lo, sc_hi, m_hi;
      Q4KScaleMin(2 * j, x[i].scales, &sc_lo, &m_lo);
      Q4KScaleMin(2 * j + 1, x[i].scales, &sc_hi, &m_hi);
      int dot_lo = 0, dot_hi = 0;
      for (int l = 0; l < 32; ++l) {
        dot_lo += (q[l] & 0xF) * q8[l];
        dot_hi += (q[l] >> 4) * q8[l + 32];
      }
      sumi += sc_lo * dot_lo + sc_hi * dot_hi;
      summ += m_lo * (y[i].bsums[4 * j] + y[i].bsums[4 * j + 1]) +
              m_hi * (y[i].bsums[4 * j + 2] + y[i].bsums[4 * j + 3]);
    }
    sum += y[i].d * HalfToFloat(x[i].d) * sumi - y[i].d * HalfToFloat(x[i].dmin) * summ;
  }
  return sum;
}

float DotQ6_K(int64_t n, const void* w, const void* a) {
  const BlockQ6_K* x = static_cast<const BlockQ6_K*>(w);
  const BlockQ8_K* y = static_cast<const BlockQ8_K*>(a);
  float sum = 0;
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    uint8_t q[kQK_K];
    UnpackQ6_K(x[i], q);
    int sumi = 0;
    for (int g = 0; g < kQK_K / 16; ++g) {
      int dot = 0;
      for (int l = 0; l < 16; ++l) dot += (q[16 * g + l] - 32) * y[i].qs[16 * g + l];
      sumi += x[i].scales[g] * dot;
    }
    sum += HalfToFloat(x[i].d) * y[i].d * sumi;
  }
  return sum;
}

TypeTraits MakeTraits(TensorType type, TensorType act, int64_t block, FromFloatFn from, VecDotFn dot,
                      GemmFn gemm) {
  TypeTraits t;
  t.type = type;
  t.act_type = act;
  t.block_size = block;
  t.from_float = from;
  t.vec_dot = dot;
  t.gemm = gemm;
  t.tile_rows = 1;
  return t;
}

}  // namespace

namespace internal {

void FillScalarTable(KernelTable* t) {
  using T = TensorType;
  t->traits[kF32] = MakeTraits(T::F32, T::F32, 1, FromFloatF32, DotF32, GemmByVecDot<DotF32>);
  t->traits[kF16] = MakeTraits(T::F16, T::F16, 1, FromFloatF16, DotF16, GemmByVecDot<DotF16>);
  t->traits[kBF16] = MakeTraits(T::BF16, T::BF16, 1, FromFloatBf16, DotBf16, GemmByVecDot<DotBf16>);
  t->traits[kQ8_0] = MakeTraits(T::Q8_0, T::Q8_0, kQK8_0, FromFloatQ8_0, DotQ8_0, GemmByVecDot<DotQ8_0>);
  t->traits[kQ4_0] = MakeTraits(T::Q4_0, T::Q8_0, kQK4_0, FromFloatQ8_0, DotQ4_0, GemmByVecDot<DotQ4_0>);
  t->traits[kQ4_K] = MakeTraits(T::Q4_K, T::Q8_K, kQK_K, FromFloatQ8_K, DotQ4_K, GemmByVecDot<DotQ4_K>);
  t->traits[kQ4_0].gemm_x8 = GemmX8<TilesQ4_0x8>;
  t->traits[kQ8_0].gemm_x8 = GemmX8<TilesQ8_0x8>;
  t->traits[kQ4_K].gemm_x8 = GemmX8<TilesQ4_Kx8>;
  for (int k : {kQ4_0, kQ8_0}) {
    t->traits[k].sum_x8 = SumActivationsQ8_0;
    t->traits[k].sum_x8_block = sizeof(ActQ8_0Sum);
  }
  t->traits[kQ6_K] = MakeTraits(T::Q6_K, T::Q8_K, kQK_K, FromFloatQ8_K, DotQ6_K, GemmByVecDot<DotQ6_K>);
  t->traits[kQ6_K].gemm_x8 = GemmX8<TilesQ6_Kx8>;
  for (int k : {kQ4_K, kQ6_K}) {
    t->traits[k].sum_x8 = SumActivationsQ8_K;
    t->traits[k].sum_x8_block = sizeof(ActQ8_KSum);
  }
  t->fp32_to_fp16 = ScalarFp32ToFp16;
  t->fp16_to_fp32 = ScalarFp16ToFp32;
  t->fp32_to_bf16 = ScalarFp32ToBf16;
  t->weighted_sum_f16 = ScalarWeightedSum<uint16_t>;
  t->weighted_sum_f32 = ScalarWeightedSum<float>;
  t->silu_mul = SiluMulScalar;
  t->softmax = SoftmaxScalar;
}

void SumActivationsQ8_0(int64_t n, const void* a, void* sums) {
  const auto* y = static_cast<const BlockQ8_0*>(a);
  auto* out = static_cast<ActQ8_0Sum*>(sums);
  for (int64_t b = 0; b < n / kQK8_0; ++b) {
    int32_t sum = 0;
    for (int i = 0; i < kQK8_0; ++i) sum += y[b].qs[i];
    out[b] = {HalfToFloat(y[b].d), 8 * sum};
  }
}

void SumActivationsQ8_K(int64_t n, const void* a, void* sums) {
  const auto* y = static_cast<const BlockQ8_K*>(a);
  auto* out = static_cast<ActQ8_KSum*>(sums);
  for (int64_t b = 0; b < n / kQK_K; ++b) {
    out[b].d = y[b].d;
    for (int p = 0; p < 4; ++p) {
      const int32_t lo = y[b].bsums[4 * p] + y[b].bsums[4 * p + 1];  // sub-block 2p: 32 quants
      const int32_t hi = y[b].bsums[4 * p + 2] + y[b].bsums[4 * p + 3];
      out[b].pairs[p] =
          static_cast<int32_t>((static_cast<uint32_t>(hi) << 16) | (static_cast<uint32_t>(lo) & 0xFFFF));
    }
    for (int g = 0; g < kQK_K / 16; ++g) out[b].offsets[g] = -32 * y[b].bsums[g];
  }
}

}  // namespace internal
}  // namespace ss::engine
