#pragma once
// Shared between the dispatch (vec_dot.cpp), the scalar kernels
// (vec_dot_scalar.cpp) and their SIMD twins: the per-ISA kernel tables.

#include <algorithm>

#include "engine/quants.h"
#include "engine/vec_dot.h"

namespace ss::engine::internal {

// Weight types with kernels, in table order.
enum TypeIndex { kF32 = 0, kF16, kBF16, kQ8_0, kQ4_0, kQ4_K, kQ6_K, kNumTypes };

struct KernelTable {
  TypeTraits traits[kNumTypes];
  void (*fp32_to_fp16)(const float* x, uint16_t* y, int64_t n) = nullptr;
  void (*fp16_to_fp32)(const uint16_t* x, float* y, int64_t n) = nullptr;
  void (*fp32_to_bf16)(const float* x, uint16_t* y, int64_t n) = nullptr;
  // out[h * out_stride + d] = sum_j p[h * p_stride + j] * v[j * v_stride + d]
  // (ops.h WeightedSumF16, WeightedSumF32)
  void (*weighted_sum_f16)(int m, const float* p, size_t p_stride, int64_t n_rows, const uint16_t* v,
                           size_t v_stride, int64_t n, float* out, size_t out_stride) = nullptr;
  void (*weighted_sum_f32)(int m, const float* p, size_t p_stride, int64_t n_rows, const float* v,
                           size_t v_stride, int64_t n, float* out, size_t out_stride) = nullptr;
  // out = silu(gate) * up, bit-identical on every ISA (ops.h SiluMul)
  void (*silu_mul)(const float* gate, const float* up, int64_t n, float* out) = nullptr;
  // ops.h Softmax, bit-identical on every ISA
  void (*softmax)(float* x, int64_t n, float scale, bool round_f16) = nullptr;
};

// The active table's weighted sums (ops.cpp).
using WeightedSumF16Fn = decltype(KernelTable::weighted_sum_f16);
WeightedSumF16Fn ActiveWeightedSumF16();
using WeightedSumF32Fn = decltype(KernelTable::weighted_sum_f32);
WeightedSumF32Fn ActiveWeightedSumF32();
// The active table's silu_mul, and the SIMD twins (ops_avx2.cpp, ops_avx512.cpp).
using SiluMulFn = void (*)(const float* gate, const float* up, int64_t n, float* out);
SiluMulFn ActiveSiluMul();
void SiluMulAvx2(const float* gate, const float* up, int64_t n, float* out);
void SiluMulAvx512(const float* gate, const float* up, int64_t n, float* out);
// The active table's softmax, the scalar reference and its SIMD twins.
using SoftmaxFn = decltype(KernelTable::softmax);
SoftmaxFn ActiveSoftmax();
void SoftmaxScalar(float* x, int64_t n, float scale, bool round_f16);
void SoftmaxAvx2(float* x, int64_t n, float scale, bool round_f16);
void SoftmaxAvx512(float* x, int64_t n, float scale, bool round_f16);

// Fills the scalar reference table.
void FillScalarTable(KernelTable* table);
// Overwrite the entries they accelerate; start from the next lower table.
void FillAvx2Table(KernelTable* table);
void FillAvx512Table(KernelTable* table);

// What every weight row shares of a Q8_0 activation block, for the
// interleaved Q8_0 and Q4_0 gemms: its scale, and (for Q4_0) 8 * the sum of its quants (since
// (q - 8) . a = q . a - 8 * sum(a)).
struct ActQ8_0Sum {
  float d;
  int32_t sum8;
};
// TypeTraits::sum_x8 of Q8_0 activations: one per block.
void SumActivationsQ8_0(int64_t n, const void* a, void* sums);

// What every weight row shares of a Q8_K activation block, for the
// interleaved Q4_K and Q6_K gemms: its scale; for Q4_K its sums over the 8
// sub-blocks of 32 in int16 pairs, pair p = (sum of 2p, sum of 2p + 1) as one
// int32; for Q6_K -32 * the sum of each group of 16, where its dots start
// (since (q - 32) . a = q . a - 32 * sum(a)).
struct ActQ8_KSum {
  float d;
  int32_t pairs[4];
  int32_t offsets[kQK_K / 16];
};
void SumActivationsQ8_K(int64_t n, const void* a, void* sums);  // sum_x8 of Q8_K

// An interleaved gemm (TypeTraits::gemm_x8) over an ISA's register tiles:
// Tiles::Run<NC> multiplies the nb Tiles::Block blocks of Tiles::kBlock
// elements of Tiles::kGroups groups of kInterleave weight rows (1 group, or 2
// when it says so: 16 rows, BlockQ8_0x16, BlockQ4_0x16, BlockQ4_Kx16) by NC
// <= Tiles::kCols activation rows (Tiles::Act blocks) and stores the NC x
// (kGroups * kInterleave) results, given the activations' shared terms (a
// Tiles::Sum per block, row after row). It is run on one panel (quants.h
// kPanelElements) at a time. A two-group Tiles names its one-group twin
// Single, for an odd last 8 rows; both must give every row the same bits.
template <typename Tiles>
constexpr int GroupsOf() {
  if constexpr (requires { Tiles::kGroups; }) {
    return Tiles::kGroups;
  } else {
    return 1;
  }
}
// The block of one group of kInterleave rows, by which groups are addressed.
template <typename Tiles>
struct GroupBlock {
  using type = typename Tiles::Block;
};
template <typename Tiles>
requires requires { typename Tiles::Single; }
struct GroupBlock<Tiles> {
  using type = typename Tiles::Single::Block;
};
template <typename Tiles, int NC>
void TailColsX8(int nc, int64_t nb, const typename Tiles::Block* x, const uint8_t* a, size_t as,
                const typename Tiles::Sum* sums, float* out, size_t os) {
  if constexpr (NC > 0) {
    if (nc == NC) return Tiles::template Run<NC>(nb, x, a, as, sums, out, os);
    TailColsX8<Tiles, NC - 1>(nc, nb, x, a, as, sums, out, os);
  }
}
// Tiles::kGroups groups by all nc activation rows.
template <typename Tiles>
void GroupsX8(int64_t nb, const void* x, const uint8_t* a, size_t as, int nc, const typename Tiles::Sum* sums,
              float* out, size_t os) {
  const auto* blocks = static_cast<const typename Tiles::Block*>(x);
  int c = 0;
  for (; c + Tiles::kCols <= nc; c += Tiles::kCols)
    Tiles::template Run<Tiles::kCols>(nb, blocks, a + c * as, as, sums + c * nb, out + c * os, os);
  TailColsX8<Tiles, Tiles::kCols - 1>(nc - c, nb, blocks, a + c * as, as, sums + c * nb, out + c * os, os);
}
template <typename Tiles>
void GemmX8(int64_t n, const void* w, int64_t n_rows, int64_t panel, int64_t r0, int nr, const void* a,
            size_t as, const void* act_sums, int nc, float* out, size_t os) {
  using Block = typename GroupBlock<Tiles>::type;
  const int64_t panel_nb = kPanelElements / Tiles::kBlock, p0 = panel * panel_nb;
  const int64_t nb = std::min(panel_nb, n / Tiles::kBlock - p0);  // this panel's blocks
  const size_t group_bytes = nb * sizeof(Block);
  const uint8_t* base = static_cast<const uint8_t*>(w) + p0 * (n_rows / kInterleave) * sizeof(Block);
  const uint8_t* ap = static_cast<const uint8_t*>(a) + p0 * sizeof(typename Tiles::Act);
  const auto* sums = static_cast<const typename Tiles::Sum*>(act_sums) + p0 * nc;
  const int64_t g1 = (r0 + nr) / kInterleave;
  int64_t g = r0 / kInterleave;
  auto x = [&](int64_t i) { return base + i * group_bytes; };
  auto y = [&](int64_t i) { return out + (i * kInterleave - r0); };
  if constexpr (GroupsOf<Tiles>() == 2) {
    for (; g + 2 <= g1; g += 2) GroupsX8<Tiles>(nb, x(g), ap, as, nc, sums, y(g), os);
    if (g < g1) GroupsX8<typename Tiles::Single>(nb, x(g), ap, as, nc, sums, y(g), os);
  } else {
    for (; g < g1; ++g) GroupsX8<Tiles>(nb, x(g), ap, as, nc, sums, y(g), os);
  }
}

// The Tiles members every kernel of an interleaved type shares.
template <typename B, typename A, typename S, int kBlockSize>
struct TilesBase {
  using Block = B;
  using Act = A;
  using Sum = S;
  static constexpr int kBlock = kBlockSize;
};
using TilesQ8_0x8Base = TilesBase<BlockQ8_0x8, BlockQ8_0, ActQ8_0Sum, kQK8_0>;
using TilesQ4_0x8Base = TilesBase<BlockQ4_0x8, BlockQ8_0, ActQ8_0Sum, kQK4_0>;
using TilesQ4_Kx8Base = TilesBase<BlockQ4_Kx8, BlockQ8_K, ActQ8_KSum, kQK_K>;
using TilesQ6_Kx8Base = TilesBase<BlockQ6_Kx8, BlockQ8_K, ActQ8_KSum, kQK_K>;

// Gemm that loops a vec_dot over all (r, c): the fallback for any type.
template <VecDotFn kDot>
void GemmByVecDot(int64_t n, const void* w, size_t w_stride, int nr, const void* a, size_t a_stride, int nc,
                  float* out, size_t out_stride) {
  const char* wb = static_cast<const char*>(w);
  const char* ab = static_cast<const char*>(a);
  for (int r = 0; r < nr; ++r) {
    for (int c = 0; c < nc; ++c) out[c * out_stride + r] = kDot(n, wb + r * w_stride, ab + c * a_stride);
  }
}

}  // namespace ss::engine::internal
