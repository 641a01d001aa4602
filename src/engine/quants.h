#pragma once
// ggml block formats, byte for byte as llama.cpp lays them out in GGUF files,
// with scalar quantizers and dequantizers. These are the references every
// SIMD kernel is tested against.

#include <cstddef>
#include <cstdint>

#include "gguf/types.h"

namespace ss::engine {

inline constexpr int kQK8_0 = 32;  // elements per Q8_0 / Q4_0 block
inline constexpr int kQK4_0 = 32;
inline constexpr int kQK_K = 256;  // elements per K-quant super-block
inline constexpr int kKScaleBytes = 12;

// fp16 fields are stored as raw IEEE half bits.
struct BlockQ8_0 {
  uint16_t d;         // scale
  int8_t qs[kQK8_0];  // value = d * qs[i]
};
// Element i < 16 is the low nibble of qs[i], element 16 + i the high nibble.
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kQK4_0 / 2];  // value = d * (nibble - 8)
};
// 8 sub-blocks of 32 with 6-bit scales and mins packed in `scales`;
// qs[32 * j + l]: low nibble = element 64 * j + l, high nibble = 64 * j + 32 + l.
struct BlockQ4_K {
  uint16_t d;     // super-block scale of the sub-block scales
  uint16_t dmin;  // super-block scale of the sub-block mins
  uint8_t scales[kKScaleBytes];
  uint8_t qs[kQK_K / 2];  // value = d * sc * nibble - dmin * m
};
// 16 sub-blocks of 16 with 8-bit scales; 6-bit quants split into 4 low bits
// (ql) and 2 high bits (qh).
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];
  uint8_t qh[kQK_K / 4];
  int8_t scales[kQK_K / 16];
  uint16_t d;  // value = d * scales[g] * (q - 32)
};
// Activation format paired with the K-quants.
struct BlockQ8_K {
  float d;
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];  // sums of qs in groups of 16
};

// Q8_0 weights of 8 consecutive rows, block by block, the same way: the 8
// rows' scales, then 8 chunks of 32 bytes, chunk k holding qs[4k .. 4k + 3]
// of rows 0..7.
struct BlockQ8_0x8 {
  uint16_t d[8];
  int8_t qs[8 * kQK8_0];
};
// Q4_0 weights of 8 consecutive rows, block by block (engine/weights.cpp
// rewrites a stage's Q4_0 matrices into this at load): the 8 rows' scales,
// then 4 chunks of 32 bytes; chunk k holds qs[4k .. 4k + 3] of row 0, then of
// row 1, ... row 7. So after masking a chunk's low nibbles each 32-bit lane r
// holds row r's elements 4k .. 4k + 3 (the high nibbles: 16 + 4k ..), and one
// multiply by 4 activation bytes broadcast to all lanes serves 8 rows, with
// no horizontal sums. Same size as the 8 rows' blocks, so it fits in place.
inline constexpr int kInterleave = 8;
struct BlockQ4_0x8 {
  uint16_t d[kInterleave];
  uint8_t qs[kInterleave * kQK4_0 / 2];
};

// Q4_0 weights of 16 consecutive rows, 8 blocks at a time, for 16-lane
// kernels: the 8 blocks' scales of rows 0..15 (d[i][r]: block i, row r), then
// per block 4 chunks of 64 bytes, chunk k holding qs[4k .. 4k + 3] of rows
// 0..15 (a BlockQ4_0x8's chunk with 16 lanes). A row of nb blocks is nb / 8
// of these and, when 8 does not divide nb, a last one of its m < 8 blocks laid
// out the same with m for 8 (m * 288 bytes: d[m][16], then qs[m][4][64]). In
// panels (kPanelElements, a multiple of 8 blocks) only a row's last panel
// holds a shorter one. Block b of a group pair starts b * 288 bytes in, as
// with two BlockQ4_0x8 groups, and so does each of these.
struct BlockQ4_0x16 {
  uint16_t d[8][2 * kInterleave];
  uint8_t qs[8][4][2 * kInterleave * 4];
};
// Q8_0 weights of 16 rows likewise, with a block's 8 chunks of 64 bytes.
struct BlockQ8_0x16 {
  uint16_t d[8][2 * kInterleave];
  int8_t qs[8][8][2 * kInterleave * 4];
};

// Q4_K weights of 8 consecutive rows, super-block by super-block, likewise:
// qs as 32 chunks of 32 bytes, chunk 8j + k holding qs[32j + 4k .. + 3] of
// rows 0..7 (low nibbles: sub-block 2j, high: 2j + 1, elements 4k .. 4k + 3);
// the 6-bit scales and mins of the 8 rows' 8 sub-blocks (64 of each) split
// into a low nibble (byte i % 32, low half for i < 32) and 2 high bits (byte
// i % 16, bits 2 * (i / 16)), so a few vector ops unpack them all. Scale index
// i = 8 * sub-block + row; min index i = 16 * (sub-block / 2) + 2 * row +
// sub-block % 2, which puts a row's two mins of a sub-block pair side by side.
struct BlockQ4_Kx8 {
  uint16_t d[kInterleave];
  uint16_t dmin[kInterleave];
  uint8_t scales_lo[32];
  uint8_t mins_lo[32];
  uint8_t scales_hi[16];
  uint8_t mins_hi[16];
  uint8_t qs[kInterleave * kQK_K / 2];
};
// The 64 scales and 64 mins of a BlockQ4_Kx8 by index (the reference the
// SIMD unpacking is tested against).
void UnpackQ4_Kx8Scales(const BlockQ4_Kx8& b, uint8_t* scales, uint8_t* mins);
// Q4_K weights of 16 consecutive rows, for 16-lane kernels: qs as 32 chunks
// of 64 bytes, chunk 8j + k holding qs[32j + 4k .. + 3] of rows 0..15; the
// scales and mins of rows 0..7 ([0]) and of rows 8..15 ([1]) each packed as a
// BlockQ4_Kx8's (indices by the row within its half).
struct BlockQ4_Kx16 {
  uint16_t d[2 * kInterleave];
  uint16_t dmin[2 * kInterleave];
  uint8_t scales_lo[2][32];
  uint8_t mins_lo[2][32];
  uint8_t scales_hi[2][16];
  uint8_t mins_hi[2][16];
  uint8_t qs[2 * kInterleave * kQK_K / 2];
};

// Q6_K weights of 8 consecutive rows, super-block by super-block: the 8 rows'
// scales, their 16 group scales (scales[8 g + r]: group g of row r), then
// per group g of 16 elements three chunks of 32 bytes, b0, b1, b2. Lane r
// (4 bytes) of chunk bj holds row r's quants (0..63, as stored) of elements
// 16 g + 4 j + i (i = 0..3) in its bytes' low 6 bits, and in their top 2 bits
// bits 2 j, 2 j + 1 of element 16 g + 12 + i's. So a mask gives three vectors
// of 4 elements per lane, three shifts and masks the fourth, and a group's
// dot needs no recombining across groups; 4 values in 3 bytes, as Q6_K.
struct BlockQ6_Kx8 {
  uint16_t d[kInterleave];
  int8_t scales[kInterleave * kQK_K / 16];
  uint8_t qs[kInterleave * kQK_K * 3 / 4];
};
// Row r's 256 quants of a BlockQ6_Kx8 (as stored, 0..63) in element order:
// the reference the scalar kernel and the layout test read it by.
void UnpackQ6_Kx8Row(const BlockQ6_Kx8& b, int r, uint8_t* q);

static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ8_0x8) == 8 * sizeof(BlockQ8_0));
static_assert(sizeof(BlockQ4_Kx8) == kInterleave * sizeof(BlockQ4_K));
static_assert(sizeof(BlockQ4_0x8) == kInterleave * sizeof(BlockQ4_0));
static_assert(sizeof(BlockQ4_0x16) == 8 * 2 * sizeof(BlockQ4_0x8));
static_assert(sizeof(BlockQ8_0x16) == 8 * 2 * sizeof(BlockQ8_0x8));
static_assert(sizeof(BlockQ4_Kx16) == 2 * sizeof(BlockQ4_Kx8));
static_assert(sizeof(BlockQ6_Kx8) == kInterleave * sizeof(BlockQ6_K));
static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

// Quantizers (n must be a multiple of the block size).
//
// Q8_0 follows llama.cpp's x86 activation quantizer (the one that produced
// the reference logits), not ggml's portable quantize_row_q8_0_ref: scale
// 127 / amax and round-half-to-even, where the _ref rounds half away from
// zero with 1 / d. The two differ in rare ties and 1-ulp scale products.
void QuantizeRowQ8_0(const float* x, BlockQ8_0* y, int64_t n);
// ggml's quantize_row_q8_K_ref (used by llama.cpp on every CPU); bsums are
// zeroed for all-zero blocks, where ggml leaves them unset.
void QuantizeRowQ8_K(const float* x, BlockQ8_K* y, int64_t n);
// ggml's quantize_row_q4_0_ref (weights; used by tests and tools).
void QuantizeRowQ4_0(const float* x, BlockQ4_0* y, int64_t n);

void DequantizeRowQ8_0(const BlockQ8_0* x, float* y, int64_t n);
void DequantizeRowQ4_0(const BlockQ4_0* x, float* y, int64_t n);
void DequantizeRowQ4_K(const BlockQ4_K* x, float* y, int64_t n);
void DequantizeRowQ6_K(const BlockQ6_K* x, float* y, int64_t n);
void DequantizeRowQ8_K(const BlockQ8_K* x, float* y, int64_t n);
// A Q6_K super-block's 256 quants as stored (0..63; value = d * sc * (q - 32)),
// in element order.
void UnpackQ6_K(const BlockQ6_K& b, uint8_t* q);

// Scale and min of Q4_K sub-block j (0..7) from the packed 12-byte field.
void Q4KScaleMin(int j, const uint8_t* scales, uint8_t* sc, uint8_t* m);

// True for the types DequantizeRow accepts: F32, F16, BF16, Q8_0, Q4_0,
// Q4_K, Q6_K, Q8_K.
bool CanDequantize(gguf::TensorType type);
// Converts n elements of a row of `type` to float; false if the type is not
// supported or n is not a multiple of its block size.
bool DequantizeRow(gguf::TensorType type, const void* x, float* y, int64_t n);
// Bytes of a row of n elements (n a multiple of the block size).
size_t RowBytes(gguf::TensorType type, int64_t n);

// True for the types with an interleaved layout: Q8_0, Q4_0, Q4_K, Q6_K.
bool CanInterleave(gguf::TensorType type);
// Rewrites kInterleave consecutive rows of n elements of such a type, in
// place, into its interleaved blocks (BlockQ8_0x8, BlockQ4_0x8, BlockQ4_Kx8,
// BlockQ6_Kx8); with group_rows 16 (not Q6_K), 2 * kInterleave rows into
// BlockQ8_0x16, BlockQ4_0x16 or BlockQ4_Kx16.
void InterleaveRows(gguf::TensorType type, uint8_t* rows, int64_t n, int group_rows = kInterleave);

// Columns per panel of an interleaved matrix. A matrix wider than this is
// laid out panel by panel (the last may be narrower), each panel holding
// every group's interleaved blocks of its columns, group after group; one no
// wider is its groups one after another. A decode row's kernel then reuses
// one panel's activations (~2 KB) after every few KB of weights it streams,
// so they stay in L1: read row by row, a 5632-wide row's activations were
// evicted by its own 25 KB of weights (one core: 5632-wide rows 13 % slower
// than panels, 11264-wide 33 %; with fast memory, two cores, 11264-wide 23 %).
inline constexpr int64_t kPanelElements = 2048;
static_assert(kPanelElements % (8 * kQK4_0) == 0, "a panel holds whole BlockQ4_0x16 and BlockQ8_0x16");
// Rewrites a matrix of n_out rows (a multiple of kInterleave) of n elements
// of an interleavable type, in place, into interleaved groups in panels:
// groups of group_rows rows, kInterleave or (not Q6_K) 16; with 16, an odd
// last 8 rows form a group of 8. Either way group g of 8 rows starts
// g * (8 rows' bytes of the panel) into its panel.
void InterleaveMatrix(gguf::TensorType type, uint8_t* data, int64_t n, int64_t n_out,
                      int group_rows = kInterleave);

}  // namespace ss::engine
