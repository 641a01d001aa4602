#include "engine/vec_dot.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "engine/quants.h"
#include "engine_test_util.h"
#include "util/half.h"

namespace ss::engine {
namespace {

using gguf::TensorType;

const TensorType kTypes[] = {TensorType::F32,  TensorType::F16,  TensorType::BF16, TensorType::Q8_0,
                             TensorType::Q4_0, TensorType::Q4_K, TensorType::Q6_K};

// The SIMD ISAs this CPU runs; the ones it cannot run are named in the
// output (once per test), never skipped silently.
std::vector<Isa> SimdIsas() {
  std::vector<Isa> out;
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    if (isa <= DetectedIsa()) {
      out.push_back(isa);
    } else {
      std::printf("[ NOTE     ] %s kernels not tested: this CPU lacks %s\n", IsaName(isa), IsaName(isa));
    }
  }
  return out;
}

// Row lengths with odd block counts and (for float types) vector tails.
std::vector<int64_t> Lengths(const TypeTraits& tt) {
  if (tt.block_size == 1) return {1, 7, 8, 15, 16, 17, 31, 33, 64, 100, 255, 257, 1000};
  if (tt.block_size == kQK8_0) return {32, 64, 96, 160, 224, 2048, 2080};
  return {256, 512, 768, 1280, 2304};
}

// Sum of |w_i * a_i| over the dequantized rows: the scale for tolerances.
double Magnitude(const TypeTraits& tt, const void* w, const void* a, int64_t n) {
  const std::vector<float> wf = testutil::Dequantize(tt.type, w, n);
  const std::vector<float> af = testutil::Dequantize(tt.act_type, a, n);
  double m = 0;
  for (int64_t i = 0; i < n; ++i) m += std::fabs(static_cast<double>(wf[i]) * af[i]);
  return m;
}

TEST(VecDotTest, EveryTypeHasKernelsForEveryIsa) {
  for (int isa = 0; isa <= static_cast<int>(DetectedIsa()); ++isa) {
    for (TensorType t : kTypes) {
      const TypeTraits* tt = GetTypeTraits(t, static_cast<Isa>(isa));
      ASSERT_NE(tt, nullptr);
      EXPECT_EQ(tt->type, t);
      EXPECT_NE(tt->from_float, nullptr);
      EXPECT_NE(tt->vec_dot, nullptr);
      EXPECT_NE(tt->gemm, nullptr);
      EXPECT_GE(tt->tile_rows, 1);
    }
  }
  EXPECT_EQ(GetTypeTraits(TensorType::Q5_K), nullptr);
  EXPECT_EQ(GetTypeTraits(TensorType::Q8_0)->act_type, TensorType::Q8_0);
  EXPECT_EQ(GetTypeTraits(TensorType::Q4_0)->act_type, TensorType::Q8_0);
  EXPECT_EQ(GetTypeTraits(TensorType::Q4_K)->act_type, TensorType::Q8_K);
  EXPECT_EQ(GetTypeTraits(TensorType::Q6_K)->act_type, TensorType::Q8_K);
  EXPECT_EQ(GetTypeTraits(TensorType::F16)->act_type, TensorType::F16);
  EXPECT_EQ(GetTypeTraits(TensorType::BF16)->act_type, TensorType::BF16);
}

TEST(VecDotTest, ActivationConvertersAreBitIdenticalToScalar) {
  std::mt19937 rng(10);
  for (Isa isa : SimdIsas()) {
    for (TensorType t : kTypes) {
      const TypeTraits& ref = *GetTypeTraits(t, Isa::kScalar);
      const TypeTraits& simd = *GetTypeTraits(t, isa);
      for (int64_t n : Lengths(ref)) {
        for (float scale : {1.0f, 1e-3f, 300.0f}) {
          std::vector<float> x = testutil::RandomFloats(rng, n, scale);
          if (n > 40) x[n / 2] = 0.0f, x[3] = -x[9], x[9] = std::fabs(x[9]) * 4;  // ties and signs
          const size_t bytes = RowBytes(ref.act_type, n);
          std::vector<uint8_t> a(bytes, 0xAA), b(bytes, 0x55);
          ref.from_float(x.data(), a.data(), n);
          simd.from_float(x.data(), b.data(), n);
          EXPECT_EQ(std::memcmp(a.data(), b.data(), bytes), 0)
              << IsaName(isa) << " " << gguf::TypeName(t) << " n=" << n << " scale=" << scale;
        }
      }
    }
  }
}

TEST(VecDotTest, QuantizersHandleZeroAndTiedBlocks) {
  for (Isa isa : SimdIsas()) {
    for (TensorType t : {TensorType::Q8_0, TensorType::Q4_K}) {
      const TypeTraits& ref = *GetTypeTraits(t, Isa::kScalar);
      const TypeTraits& simd = *GetTypeTraits(t, isa);
      std::vector<float> x(512, 0.0f);
      x[300] = 2.0f;  // +2 first, then -2: Q8_K must keep the first
      x[301] = -2.0f;
      x[400] = -0.5f;
      for (int i = 0; i < 32; ++i) x[32 + i] = 0.5f * (i - 16);  // exact .5 ties after scaling
      const size_t bytes = RowBytes(ref.act_type, 512);
      std::vector<uint8_t> a(bytes, 1), b(bytes, 2);
      ref.from_float(x.data(), a.data(), 512);
      simd.from_float(x.data(), b.data(), 512);
      EXPECT_EQ(std::memcmp(a.data(), b.data(), bytes), 0) << IsaName(isa) << " " << gguf::TypeName(t);
    }
  }
}

TEST(VecDotTest, SimdDotProductsMatchScalar) {
  std::mt19937 rng(11);
  for (Isa isa : SimdIsas()) {
    for (TensorType t : kTypes) {
      const TypeTraits& ref = *GetTypeTraits(t, Isa::kScalar);
      const TypeTraits& simd = *GetTypeTraits(t, isa);
      for (int64_t n : Lengths(ref)) {
        for (int trial = 0; trial < 4; ++trial) {
          const std::vector<uint8_t> w = testutil::RandomWeightRow(rng, t, n);
          const std::vector<float> x = testutil::RandomFloats(rng, n);
          std::vector<uint8_t> a(RowBytes(ref.act_type, n));
          ref.from_float(x.data(), a.data(), n);
          const float want = ref.vec_dot(n, w.data(), a.data());
          const float got = simd.vec_dot(n, w.data(), a.data());
          const double tol = 1e-5 * Magnitude(ref, w.data(), a.data(), n) + 1e-6;
          EXPECT_NEAR(got, want, tol) << IsaName(isa) << " " << gguf::TypeName(t) << " n=" << n;
        }
      }
    }
  }
}

// The scalar dot itself against float64 on dequantized rows.
TEST(VecDotTest, ScalarDotMatchesDequantizedFloat64) {
  std::mt19937 rng(12);
  for (TensorType t : kTypes) {
    const TypeTraits& ref = *GetTypeTraits(t, Isa::kScalar);
    for (int64_t n : Lengths(ref)) {
      const std::vector<uint8_t> w = testutil::RandomWeightRow(rng, t, n);
      const std::vector<float> x = testutil::RandomFloats(rng, n);
      std::vector<uint8_t> a(RowBytes(ref.act_type, n));
      ref.from_float(x.data(), a.data(), n);
      const std::vector<float> wf = testutil::Dequantize(t, w.data(), n);
      const std::vector<float> af = testutil::Dequantize(ref.act_type, a.data(), n);
      double want = 0;
      for (int64_t i = 0; i < n; ++i) want += static_cast<double>(wf[i]) * af[i];
      const double tol = 1e-5 * Magnitude(ref, w.data(), a.data(), n) + 1e-6;
      EXPECT_NEAR(ref.vec_dot(n, w.data(), a.data()), want, tol) << gguf::TypeName(t) << " n=" << n;
    }
  }
}

// Every gemm kernel: tiles of all shapes around its register tile, against
// its own vec_dot (bit-identical is not required, only the stated tolerance).
TEST(VecDotTest, GemmTilesMatchVecDot) {
  std::mt19937 rng(13);
  for (int isa_i = 0; isa_i <= static_cast<int>(DetectedIsa()); ++isa_i) {
    const Isa isa = static_cast<Isa>(isa_i);
    for (TensorType t : kTypes) {
      const TypeTraits& tt = *GetTypeTraits(t, isa);
      const TypeTraits& ref = *GetTypeTraits(t, Isa::kScalar);
      const int64_t n = tt.block_size == 1 ? 77 : 3 * tt.block_size;
      const size_t ws = RowBytes(t, n), as = RowBytes(tt.act_type, n);
      for (int nr : {1, 2, 3, 4, 5, 7, 8, 9, 17}) {
        for (int nc : {1, 2, 3, 4, 5, 6, 7, 9, 13}) {
          const std::vector<uint8_t> w = testutil::RandomWeights(rng, t, n, nr);
          const std::vector<float> x = testutil::RandomFloats(rng, n * nc);
          std::vector<uint8_t> a(as * nc);
          for (int c = 0; c < nc; ++c) tt.from_float(x.data() + c * n, a.data() + c * as, n);
          const size_t out_stride = nr + 3;
          std::vector<float> out(out_stride * nc, -1.0f);
          tt.gemm(n, w.data(), ws, nr, a.data(), as, nc, out.data(), out_stride);
          for (int r = 0; r < nr; ++r) {
            for (int c = 0; c < nc; ++c) {
              const void* wr = w.data() + r * ws;
              const void* ac = a.data() + c * as;
              const double tol = 1e-5 * Magnitude(ref, wr, ac, n) + 1e-6;
              ASSERT_NEAR(out[c * out_stride + r], ref.vec_dot(n, wr, ac), tol)
                  << IsaName(isa) << " " << gguf::TypeName(t) << " nr=" << nr << " nc=" << nc << " r=" << r
                  << " c=" << c;
            }
            for (size_t pad = nr; pad < out_stride; ++pad) ASSERT_EQ(out[pad], -1.0f);  // untouched
          }
        }
      }
    }
  }
}

// The gemm contract (vec_dot.h): each (r, c) result is the same sequence of
// operations whatever the tile, so gemm gives its own ISA's vec_dot bits for
// every tile shape, row count and column count, with long rows (many blocks)
// and, for the float types, the short rows of attention's heads (64, and 77
// with a partial vector), which AVX-512 tiles and reduces its own way.
TEST(VecDotTest, GemmIsBitIdenticalToItsVecDot) {
  std::mt19937 rng(15);
  std::vector<Isa> isas = SimdIsas();
  isas.insert(isas.begin(), Isa::kScalar);
  for (Isa isa : isas) {
    for (TensorType t : kTypes) {
      const TypeTraits& tt = *GetTypeTraits(t, isa);
      const std::vector<int64_t> lengths =
          tt.block_size == 1 ? std::vector<int64_t>{203, 64, 77}
                             : std::vector<int64_t>{(tt.block_size == kQK8_0 ? 65 : 9) * tt.block_size};
      for (const int64_t n : lengths) {
        const size_t ws = RowBytes(t, n), as = RowBytes(tt.act_type, n);
        for (int nr : {1, 3, 4, 6, 9}) {
          for (int nc : {1, 2, 3, 4, 5, 8, 11}) {
            const std::vector<uint8_t> w = testutil::RandomWeights(rng, t, n, nr);
            const std::vector<float> x = testutil::RandomFloats(rng, n * nc);
            std::vector<uint8_t> a(as * nc);
            for (int c = 0; c < nc; ++c) tt.from_float(x.data() + c * n, a.data() + c * as, n);
            std::vector<float> out(static_cast<size_t>(nr) * nc);
            tt.gemm(n, w.data(), ws, nr, a.data(), as, nc, out.data(), nr);
            for (int r = 0; r < nr; ++r) {
              for (int c = 0; c < nc; ++c) {
                const float want = tt.vec_dot(n, w.data() + r * ws, a.data() + c * as);
                ASSERT_EQ(Fp32ToBits(out[c * nr + r]), Fp32ToBits(want))
                    << IsaName(isa) << " " << gguf::TypeName(t) << " n=" << n << " nr=" << nr << " nc=" << nc
                    << " r=" << r << " c=" << c << ": " << out[c * nr + r] << " vs " << want;
              }
            }
          }
        }
      }
    }
  }
}

// An interleaved gemm over all of a matrix's panels, added in panel order as
// MatMul does.
void GemmX8AllPanels(const TypeTraits& tt, int64_t n, const void* w, int64_t n_rows, int64_t r0, int nr,
                     const void* a, size_t as, const void* sums, int nc, float* out, size_t os) {
  std::vector<float> part(os * nc);
  for (int64_t p = 0; p * kPanelElements < n; ++p) {
    tt.gemm_x8(n, w, n_rows, p, r0, nr, a, as, sums, nc, p == 0 ? out : part.data(), os);
    for (int c = 0; p > 0 && c < nc; ++c) {
      for (int r = 0; r < nr; ++r) out[c * os + r] += part[c * os + r];
    }
  }
}

// The interleaved gemms (quants.h BlockQ8_0x8, BlockQ4_0x8, BlockQ4_Kx8,
// BlockQ6_Kx8; BlockQ4_Kx16 where the ISA's kernel reads that, 24 rows
// then ending in a group of 8): on every ISA the scalar reference's bits (exact integers and
// the same fused multiply-adds), for activation row counts around the
// register tiles, several groups and rows as long as ffn_down's (three panels,
// the last narrower) or two whole panels; each column the bits it gets alone,
// and the rows after the first group the bits they get as their own range;
// and within the stated tolerance of the plain rows' vec_dot.
TEST(VecDotTest, InterleavedGemmsGiveTheScalarBitsOnEveryIsa) {
  std::mt19937 rng(16);
  std::vector<Isa> isas = SimdIsas();
  isas.insert(isas.begin(), Isa::kScalar);
  for (TensorType t : {TensorType::Q8_0, TensorType::Q4_0, TensorType::Q4_K, TensorType::Q6_K}) {
    const TypeTraits& ref = *GetTypeTraits(t, Isa::kScalar);
    for (int64_t blocks :
         {int64_t{1}, int64_t{3}, int64_t{9}, 4096 / ref.block_size, 5632 / ref.block_size}) {
      const int64_t n = blocks * ref.block_size;
      const size_t ws = RowBytes(t, n), as = RowBytes(ref.act_type, n);
      for (int nr : {8, 16, 24}) {
        const std::vector<uint8_t> rows = testutil::RandomWeights(rng, t, n, nr);
        std::vector<uint8_t> w = rows;
        InterleaveMatrix(t, w.data(), n, nr);
        for (int nc : {1, 2, 3, 4, 5, 7, 8, 9, 13, 17}) {
          const std::vector<float> x = testutil::RandomFloats(rng, n * nc);
          std::vector<uint8_t> a(as * nc);
          std::vector<uint8_t> sums(ref.SumX8Bytes(n) * nc);
          for (int c = 0; c < nc; ++c) {
            ref.from_float(x.data() + c * n, a.data() + c * as, n);
            SumX8InPanels(ref, n, a.data() + c * as, c, nc, sums.data());
          }
          const size_t os = nr + 3;
          std::vector<float> want(os * nc, -1.0f);
          GemmX8AllPanels(ref, n, w.data(), nr, 0, nr, a.data(), as, sums.data(), nc, want.data(), os);
          for (int r = 0; r < nr; ++r) {
            for (int c = 0; c < nc; ++c) {
              const void* wr = rows.data() + r * ws;
              const void* ac = a.data() + c * as;
              ASSERT_NEAR(want[c * os + r], ref.vec_dot(n, wr, ac), 1e-5 * Magnitude(ref, wr, ac, n) + 1e-6)
                  << gguf::TypeName(t) << " n=" << n << " nr=" << nr << " nc=" << nc << " r=" << r
                  << " c=" << c;
            }
          }
          for (Isa isa : isas) {
            const TypeTraits& tt = *GetTypeTraits(t, isa);
            std::vector<uint8_t> wt = rows;  // in the layout this ISA's kernel reads
            InterleaveMatrix(t, wt.data(), n, nr, tt.group_rows);
            std::vector<float> got(os * nc, -1.0f);
            GemmX8AllPanels(tt, n, wt.data(), nr, 0, nr, a.data(), as, sums.data(), nc, got.data(), os);
            for (size_t i = 0; i < got.size(); ++i)
              ASSERT_EQ(Fp32ToBits(got[i]), Fp32ToBits(want[i]))
                  << IsaName(isa) << " " << gguf::TypeName(t) << " n=" << n << " nr=" << nr << " nc=" << nc
                  << " at " << i;            // pads too
            const int from = tt.group_rows;  // the first row a range may start at after row 0
            std::vector<float> later(os * nc, -1.0f);
            if (from < nr)
              GemmX8AllPanels(tt, n, wt.data(), nr, from, nr - from, a.data(), as, sums.data(), nc,
                              later.data(), os);
            for (int c = 0; c < nc; ++c) {
              for (int r = from; r < nr; ++r)
                ASSERT_EQ(Fp32ToBits(later[c * os + r - from]), Fp32ToBits(want[c * os + r]))
                    << IsaName(isa) << " " << gguf::TypeName(t) << " n=" << n << " nr=" << nr << " nc=" << nc
                    << " rows from " << from << ", row " << r << " column " << c;
            }
            for (int c = 0; c < nc; ++c) {
              std::vector<uint8_t> sums_c(ref.SumX8Bytes(n));
              SumX8InPanels(ref, n, a.data() + c * as, 0, 1, sums_c.data());
              std::vector<float> alone(nr);
              GemmX8AllPanels(tt, n, wt.data(), nr, 0, nr, a.data() + c * as, as, sums_c.data(), 1,
                              alone.data(), nr);
              for (int r = 0; r < nr; ++r)
                ASSERT_EQ(Fp32ToBits(alone[r]), Fp32ToBits(want[c * os + r]))
                    << IsaName(isa) << " " << gguf::TypeName(t) << " n=" << n << " nr=" << nr << " nc=" << nc
                    << " column " << c << " alone, row " << r;
            }
          }
        }
      }
    }
  }
}

// Row conversions: SIMD must give the scalar bits, tails included.
TEST(VecDotTest, RowConversionsAreBitIdentical) {
  std::mt19937 rng(14);
  const Isa saved = ActiveIsa();
  for (int64_t n : {1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 1027}) {
    std::vector<float> x = testutil::RandomFloats(rng, n, 100.0f);
    if (n > 10)
      x[1] = 1e-7f, x[2] = 70000.0f, x[3] = -6.1e-5f, x[4] = 0.0f, x[5] = -0.0f;  // subnormal, overflow
    std::vector<uint16_t> h(n), b(n);
    std::vector<float> back(n);
    for (int isa = 0; isa <= static_cast<int>(DetectedIsa()); ++isa) {
      SetActiveIsa(static_cast<Isa>(isa));
      FloatToHalfRow(x.data(), h.data(), n);
      FloatToBf16Row(x.data(), b.data(), n);
      HalfToFloatRow(h.data(), back.data(), n);
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_EQ(h[i], FloatToHalf(x[i])) << isa << " " << i << " " << x[i];
        ASSERT_EQ(b[i], FloatToBf16(x[i])) << isa << " " << i;
        ASSERT_EQ(Fp32ToBits(back[i]), Fp32ToBits(HalfToFloat(h[i]))) << isa << " " << i;
      }
    }
  }
  SetActiveIsa(saved);
}

TEST(VecDotTest, SetActiveIsaClampsAndRestores) {
  const Isa saved = ActiveIsa();
  SetActiveIsa(Isa::kScalar);
  EXPECT_EQ(ActiveIsa(), Isa::kScalar);
  EXPECT_EQ(GetTypeTraits(TensorType::Q8_0), GetTypeTraits(TensorType::Q8_0, Isa::kScalar));
  SetActiveIsa(Isa::kAvx512);
  EXPECT_EQ(ActiveIsa(), DetectedIsa());
  SetActiveIsa(saved);
}

}  // namespace
}  // namespace ss::engine
