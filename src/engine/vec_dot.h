#pragma once
// Dot products of weight rows with activation rows, per weight type, in the
// activation format llama.cpp pairs with that type:
//
//   weight  activation  why
//   F32     F32
//   F16     F16         llama.cpp rounds activations to F16 for F16 weights
//   BF16    BF16        likewise (ggml's vec_dot_type for BF16 is BF16)
//   Q8_0    Q8_0        activations quantized to 8-bit blocks of 32
//   Q4_0    Q8_0
//   Q4_K    Q8_K        activations quantized to 8-bit super-blocks of 256
//   Q6_K    Q8_K
//
// Each ISA (scalar reference, AVX2, AVX-512 VNNI) provides a table of
// TypeTraits; the best one the CPU supports is chosen once, and can be forced
// (SHARDSWARM_ISA=scalar|avx2|avx512, or SetActiveIsa) for tests and benches.
// Quantizers and conversions are bit-identical across ISAs; dot products
// agree up to float summation order.

#include <cstddef>
#include <cstdint>

#include "engine/quants.h"
#include "gguf/types.h"

namespace ss::engine {

enum class Isa { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };
const char* IsaName(Isa isa);
Isa DetectedIsa();  // best ISA this CPU supports
Isa ActiveIsa();    // what GetTypeTraits(type) uses
// Selects the kernels for later calls (clamped to DetectedIsa()); not meant to
// be called while kernels run on other threads.
void SetActiveIsa(Isa isa);

// Converts n floats (a multiple of the activation block size) to activations.
using FromFloatFn = void (*)(const float* x, void* y, int64_t n);
// Dot of n elements: one weight row w with one activation row a.
using VecDotFn = float (*)(int64_t n, const void* w, const void* a);
// out[c * out_stride + r] = dot(weight row r, activation row c) for r < nr,
// c < nc; rows are w_stride / a_stride bytes apart. Every (r, c) result is
// computed by the same sequence of operations whatever nr and nc are, so the
// split of a matmul into tiles and threads never changes its output.
using GemmFn = void (*)(int64_t n, const void* w, size_t w_stride, int nr, const void* a, size_t a_stride,
                        int nc, float* out, size_t out_stride);
// What every weight row shares of one activation row of n elements (its block
// scales, sums of its quants), for the interleaved gemms: computed once per
// input rather than once per tile of weight rows. Writes SumX8Bytes(n) bytes.
using SumX8Fn = void (*)(int64_t n, const void* a, void* sums);
// GemmFn for panel `panel` of a matrix of n_rows rows interleaved in panels
// (quants.h InterleaveMatrix, by TypeTraits::group_rows) at w: the panel's
// columns of rows [r0, r0 + nr) (r0 a multiple of group_rows, nr of
// kInterleave) by nc activation rows, given also
// their SumX8Fn results as SumX8InPanels lays them out; out points at row
// r0's results. A row's product is its panels' results added in panel order
// (MatMul does that).
using GemmX8Fn = void (*)(int64_t n, const void* w, int64_t n_rows, int64_t panel, int64_t r0, int nr,
                          const void* a, size_t a_stride, const void* sums, int nc, float* out,
                          size_t out_stride);

struct TypeTraits {
  gguf::TensorType type = gguf::TensorType::F32;      // weight type
  gguf::TensorType act_type = gguf::TensorType::F32;  // activation format
  int64_t block_size = 1;  // n must be a multiple of this (and of the activation block)
  FromFloatFn from_float = nullptr;
  VecDotFn vec_dot = nullptr;
  GemmFn gemm = nullptr;
  int tile_rows = 1;  // weight rows the gemm kernel handles at once (for splitting work)
  // The gemm for weights interleaved in groups of group_rows rows (quants.h; Q8_0,
  // Q4_0, Q4_K and Q6_K, else nullptr). Per block each result is exact integer dot
  // products and fused multiply-adds in a fixed order, so every ISA gives the
  // same bits.
  GemmX8Fn gemm_x8 = nullptr;
  int group_rows = kInterleave;  // the layout it reads (InterleaveMatrix)
  SumX8Fn sum_x8 = nullptr;      // its activations' shared terms
  size_t sum_x8_block = 0;       // bytes sum_x8 writes per block of block_size
  size_t SumX8Bytes(int64_t n) const { return static_cast<size_t>(n / block_size) * sum_x8_block; }
};

// Activation row c (of nc, n elements) of an interleaved gemm: its SumX8Fn
// terms into sums where gemm_x8 reads them, panel by panel and within a panel
// row after row (SumX8Bytes(n) * nc bytes for all nc rows).
void SumX8InPanels(const TypeTraits& tt, int64_t n, const void* a_row, int c, int nc, void* sums);

// Kernels for a weight type with the active ISA; nullptr if unsupported.
const TypeTraits* GetTypeTraits(gguf::TensorType type);
// Kernels of a given ISA (must be <= DetectedIsa()); nullptr if unsupported.
const TypeTraits* GetTypeTraits(gguf::TensorType type, Isa isa);

// Row conversions with the active ISA, bit-identical to util/half.h.
void FloatToHalfRow(const float* x, uint16_t* y, int64_t n);
void HalfToFloatRow(const uint16_t* x, float* y, int64_t n);
void FloatToBf16Row(const float* x, uint16_t* y, int64_t n);

}  // namespace ss::engine
