// AVX-512 (F/BW/VL/DQ/VNNI) kernels; only called after the CPU check in
// vec_dot.cpp. Quantized types use vpdpbusd (unsigned x signed bytes summed in
// groups of 4 into int32) on one 32-element block per 256-bit register, and
// register tiles of several weight rows x several activation rows so each
// block is loaded once per tile; float types use 512-bit FMA tiles.

// GCC 12 warns about the deliberately undefined registers inside its own
// avx512fintrin.h helpers (_mm512_cvtph_ps and friends): a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include <immintrin.h>

#include <cstring>

#include "engine/quants.h"
#include "engine/vec_dot_internal.h"
#include "engine/vec_dot_x86.h"

namespace ss::engine::internal {
namespace {

// Hsum of 16 vectors at once, v[i]'s in lane i: a transposed tree that adds,
// for every vector, the same pairs in the same order as Hsum, so each sum has
// Hsum's bits, in 31 shuffles and 15 adds instead of 16 chains of 7.
inline __m512 Hsum16(const __m512 (&v)[16]) {
  __m512 halves[8], quarters[4], pairs[2];
  for (int i = 0; i < 8; ++i)  // v[i] in 128-bit lanes 0-1, v[i + 8] in 2-3
    halves[i] =
        _mm512_add_ps(_mm512_shuffle_f32x4(v[i], v[i + 8], 0x44), _mm512_shuffle_f32x4(v[i], v[i + 8], 0xEE));
  for (int i = 0; i < 4; ++i)  // 128-bit lanes 0-3: v[i], v[i + 8], v[i + 4], v[i + 12]
    quarters[i] = _mm512_add_ps(_mm512_shuffle_f32x4(halves[i], halves[i + 4], 0x88),
                                _mm512_shuffle_f32x4(halves[i], halves[i + 4], 0xDD));
  for (int i = 0; i < 2; ++i)
    pairs[i] = _mm512_add_ps(_mm512_shuffle_ps(quarters[i], quarters[i + 2], 0x44),
                             _mm512_shuffle_ps(quarters[i], quarters[i + 2], 0xEE));
  const __m512 sums =
      _mm512_add_ps(_mm512_shuffle_ps(pairs[0], pairs[1], 0x88), _mm512_shuffle_ps(pairs[0], pairs[1], 0xDD));
  // sums holds the sums of v[0, 2, 1, 3, 8, 10, 9, 11, 4, 6, 5, 7, 12, 14, 13, 15].
  return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 2, 1, 3, 8, 10, 9, 11, 4, 6, 5, 7, 12, 14, 13, 15), sums);
}

// The first min(count, 16) lanes.
inline __mmask16 FirstLanes(int64_t count) {
  return count >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << count) - 1);
}

// --- Q8_0 x Q8_0 and Q4_0 x Q8_0 ---
//
// vpdpbusd needs one unsigned operand. Q8_0: activations are flipped to
// a + 128 (unsigned) and the excess 128 * sum(w) is taken off by starting the
// accumulator at -128 * sum(w). Q4_0: the raw nibbles q (0..15) are the
// unsigned operand, and the accumulator starts at -8 * sum(a), since
// (q - 8) . a = q . a - 8 * sum(a). Integer results are exact, so only the
// float accumulation order differs from the scalar reference.
//
// A 512-bit register holds two consecutive blocks (lanes 0-7: block 2k,
// lanes 8-15: block 2k + 1), which halves the FMA dependency chain per block;
// an odd last block fills the low half and leaves zeros above.

// Two blocks' int8 quants (or one, zero-extended) from 32-byte fields.
inline __m512i LoadPair(const int8_t* q0, const int8_t* q1) {
  const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q0));
  if (q1 == nullptr) return _mm512_zextsi256_si512(lo);
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo),
                            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q1)), 1);
}
inline __m512 ScalePair(uint16_t d0, const uint16_t* d1) {
  const __m256 lo = _mm256_set1_ps(Fp16(d0));
  if (d1 == nullptr) return _mm512_zextps256_ps512(lo);
  return _mm512_insertf32x8(_mm512_castps256_ps512(lo), _mm256_set1_ps(Fp16(*d1)), 1);
}
// 16 nibbles of one Q4_0 block as 32 bytes in element order.
inline __m256i UnpackQ4_0(const uint8_t* qs) {
  const __m128i t = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(t), _mm_srli_epi16(t, 4), 1);
  return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

struct Operands {
  __m512i q;     // the bytes fed to vpdpbusd
  __m512i init;  // accumulator start contributed by this side
  __m512 d;      // block scales per lane
};

inline Operands LoadActQ8_0Unsigned(const BlockQ8_0* b, bool pair) {
  Operands o;
  o.q = _mm512_xor_si512(LoadPair(b[0].qs, pair ? b[1].qs : nullptr),
                         _mm512_set1_epi8(static_cast<char>(0x80)));
  o.init = _mm512_setzero_si512();
  o.d = ScalePair(b[0].d, pair ? &b[1].d : nullptr);
  return o;
}

struct WeightQ8_0 {
  using Block = BlockQ8_0;
  static inline Operands Load(const Block* b, bool pair) {
    Operands o;
    o.q = LoadPair(b[0].qs, pair ? b[1].qs : nullptr);
    const __m512i sum =
        _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8(static_cast<char>(0x80)), o.q);
    o.init = _mm512_sub_epi32(_mm512_setzero_si512(), sum);
    o.d = ScalePair(b[0].d, pair ? &b[1].d : nullptr);
    return o;
  }
  static inline Operands LoadAct(const BlockQ8_0* b, bool pair) { return LoadActQ8_0Unsigned(b, pair); }
  static inline __m512i Dot(const Operands& w, const Operands& a) {
    return _mm512_dpbusd_epi32(w.init, a.q, w.q);
  }
};

struct WeightQ4_0 {
  using Block = BlockQ4_0;
  static inline Operands Load(const Block* b, bool pair) {
    Operands o;
    const __m256i lo = UnpackQ4_0(b[0].qs);
    o.q = pair ? _mm512_inserti64x4(_mm512_castsi256_si512(lo), UnpackQ4_0(b[1].qs), 1)
               : _mm512_zextsi256_si512(lo);
    o.init = _mm512_setzero_si512();
    o.d = ScalePair(b[0].d, pair ? &b[1].d : nullptr);
    return o;
  }
  static inline Operands LoadAct(const BlockQ8_0* b, bool pair) {
    Operands o;
    o.q = LoadPair(b[0].qs, pair ? b[1].qs : nullptr);
    const __m512i sum8 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_set1_epi8(8), o.q);
    o.init = _mm512_sub_epi32(_mm512_setzero_si512(), sum8);
    o.d = ScalePair(b[0].d, pair ? &b[1].d : nullptr);
    return o;
  }
  static inline __m512i Dot(const Operands& w, const Operands& a) {
    return _mm512_dpbusd_epi32(a.init, w.q, a.q);
  }
};

// One step (a pair of blocks, or the odd last block) of an NR x NC tile.
template <typename W, int NR, int NC>
inline void TileStep(int64_t b, bool pair, const uint8_t* w, size_t ws, const uint8_t* a, size_t as,
                     __m512 (&acc)[NR][NC]) {
  Operands wo[NR];
  for (int r = 0; r < NR; ++r)
    wo[r] = W::Load(reinterpret_cast<const typename W::Block*>(w + r * ws) + b, pair);
  for (int c = 0; c < NC; ++c) {
    const Operands ao = W::LoadAct(reinterpret_cast<const BlockQ8_0*>(a + c * as) + b, pair);
    for (int r = 0; r < NR; ++r) {
      const __m512 scale = _mm512_mul_ps(wo[r].d, ao.d);
      acc[r][c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(W::Dot(wo[r], ao)), scale, acc[r][c]);
    }
  }
}

// NR weight rows x NC activation rows over nb blocks.
template <typename W, int NR, int NC>
void TileQ(int64_t nb, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, float* out, size_t os) {
  __m512 acc[NR][NC];
  for (int r = 0; r < NR; ++r) {
    for (int c = 0; c < NC; ++c) acc[r][c] = _mm512_setzero_ps();
  }
  int64_t b = 0;
  for (; b + 2 <= nb; b += 2) TileStep<W, NR, NC>(b, true, w, ws, a, as, acc);
  if (b < nb) TileStep<W, NR, NC>(b, false, w, ws, a, as, acc);
  for (int r = 0; r < NR; ++r) {
    for (int c = 0; c < NC; ++c) out[c * os + r] = Hsum(acc[r][c]);
  }
}

constexpr int kTileRows = 4;
constexpr int kTileCols = 3;
constexpr int kSmallBatch = 4;

template <typename W, int NR>
void RowTileQ(int64_t nb, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int nc, float* out,
              size_t os) {
  int c = 0;
  for (; c + kTileCols <= nc; c += kTileCols)
    TileQ<W, NR, kTileCols>(nb, w, ws, a + c * as, as, out + c * os, os);
  switch (nc - c) {
    case 1:
      TileQ<W, NR, 1>(nb, w, ws, a + c * as, as, out + c * os, os);
      break;
    case 2:
      TileQ<W, NR, 2>(nb, w, ws, a + c * as, as, out + c * os, os);
      break;
    default:
      break;
  }
}

template <typename W>
void GemmQ(int64_t n, const void* w, size_t ws, int nr, const void* a, size_t as, int nc, float* out,
           size_t os) {
  const int64_t nb = n / kQK8_0;
  const uint8_t* wb = static_cast<const uint8_t*>(w);
  const uint8_t* ab = static_cast<const uint8_t*>(a);
  int r = 0;
  if (nc <= kSmallBatch) {
    // Decode (of one or a few sequences) is memory-bound: one weight row at a
    // time keeps a single sequential stream, which the prefetchers follow far
    // better than interleaved rows; the few activation rows stay in L1.
    for (; r < nr; ++r) RowTileQ<W, 1>(nb, wb + r * ws, ws, ab, as, nc, out + r, os);
    return;
  }
  for (; r + kTileRows <= nr; r += kTileRows)
    RowTileQ<W, kTileRows>(nb, wb + r * ws, ws, ab, as, nc, out + r, os);
  switch (nr - r) {
    case 1:
      RowTileQ<W, 1>(nb, wb + r * ws, ws, ab, as, nc, out + r, os);
      break;
    case 2:
      RowTileQ<W, 2>(nb, wb + r * ws, ws, ab, as, nc, out + r, os);
      break;
    case 3:
      RowTileQ<W, 3>(nb, wb + r * ws, ws, ab, as, nc, out + r, os);
      break;
    default:
      break;
  }
}

template <typename W>
float DotQ(int64_t n, const void* w, const void* a) {
  float out;
  TileQ<W, 1, 1>(n / kQK8_0, static_cast<const uint8_t*>(w), 0, static_cast<const uint8_t*>(a), 0, &out, 0);
  return out;
}

// --- F32 / F16 / BF16: 16 lanes per step, masked tail ---

struct LoadF32 {
  using T = float;
  static inline __m512 Load(const float* p) { return _mm512_loadu_ps(p); }
  static inline __m512 LoadTail(const float* p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
};
struct LoadF16 {
  using T = uint16_t;
  static inline __m512 Load(const uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static inline __m512 LoadTail(const uint16_t* p, __mmask16 m) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p));
  }
};
struct LoadBf16 {
  using T = uint16_t;
  static inline __m512 Widen(__m256i h) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
  }
  static inline __m512 Load(const uint16_t* p) {
    return Widen(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static inline __m512 LoadTail(const uint16_t* p, __mmask16 m) {
    return Widen(_mm256_maskz_loadu_epi16(m, p));
  }
};

template <typename L, int NR, int NC>
void TileF(int64_t n, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, float* out, size_t os) {
  using T = typename L::T;
  __m512 acc[NR][NC];
  for (int r = 0; r < NR; ++r) {
    for (int c = 0; c < NC; ++c) acc[r][c] = _mm512_setzero_ps();
  }
  int64_t k = 0;
  for (; k + 16 <= n; k += 16) {
    __m512 wv[NR];
    for (int r = 0; r < NR; ++r) wv[r] = L::Load(reinterpret_cast<const T*>(w + r * ws) + k);
    for (int c = 0; c < NC; ++c) {
      const __m512 av = L::Load(reinterpret_cast<const T*>(a + c * as) + k);
      for (int r = 0; r < NR; ++r) acc[r][c] = _mm512_fmadd_ps(wv[r], av, acc[r][c]);
    }
  }
  if (k < n) {
    const __mmask16 m = FirstLanes(n - k);
    __m512 wv[NR];
    for (int r = 0; r < NR; ++r) wv[r] = L::LoadTail(reinterpret_cast<const T*>(w + r * ws) + k, m);
    for (int c = 0; c < NC; ++c) {
      const __m512 av = L::LoadTail(reinterpret_cast<const T*>(a + c * as) + k, m);
      for (int r = 0; r < NR; ++r) acc[r][c] = _mm512_fmadd_ps(wv[r], av, acc[r][c]);
    }
  }
  for (int r = 0; r < NR; ++r) {
    for (int c = 0; c < NC; ++c) out[c * os + r] = Hsum(acc[r][c]);
  }
}

constexpr int kTileRowsF = 4;
constexpr int kTileColsF = 5;

template <typename L, int NR>
void RowTileF(int64_t n, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int nc, float* out,
              size_t os) {
  int c = 0;
  for (; c + kTileColsF <= nc; c += kTileColsF)
    TileF<L, NR, kTileColsF>(n, w, ws, a + c * as, as, out + c * os, os);
  switch (nc - c) {
    case 1:
      TileF<L, NR, 1>(n, w, ws, a + c * as, as, out + c * os, os);
      break;
    case 2:
      TileF<L, NR, 2>(n, w, ws, a + c * as, as, out + c * os, os);
      break;
    case 3:
      TileF<L, NR, 3>(n, w, ws, a + c * as, as, out + c * os, os);
      break;
    case 4:
      TileF<L, NR, 4>(n, w, ws, a + c * as, as, out + c * os, os);
      break;
    default:
      break;
  }
}

// Rows of at most kShortRowF elements (attention's heads of 64) by 4 or more
// activation rows: the activations are converted to float once for all
// weight rows rather than once per tile, and each 4 x 4 tile's 16 sums are
// reduced together (Hsum16). Per (r, c) the same fused multiply-adds in the
// same order and the same reduction tree as TileF, so the same bits; rows and
// columns beyond whole tiles go to TileF. Measured on attention's scores (64
// wide, 8 query heads per KV head): 1.5-1.7x at 256-1000 positions.
constexpr int64_t kShortRowF = 128;

template <typename L>
void ShortRowsTileF(int64_t n, const uint8_t* w, size_t ws, const float (&af)[4][kShortRowF], float* out,
                    size_t os) {
  using T = typename L::T;
  __m512 acc[16];  // [c * 4 + r]
  for (__m512& x : acc) x = _mm512_setzero_ps();
  for (int64_t k = 0; k < n; k += 16) {
    const __mmask16 m = FirstLanes(n - k);
    __m512 wv[4];
    for (int r = 0; r < 4; ++r) {
      const T* row = reinterpret_cast<const T*>(w + r * ws) + k;
      wv[r] = m == 0xFFFF ? L::Load(row) : L::LoadTail(row, m);
    }
    for (int c = 0; c < 4; ++c) {
      const __m512 av = _mm512_load_ps(&af[c][k]);
      for (int r = 0; r < 4; ++r) acc[c * 4 + r] = _mm512_fmadd_ps(wv[r], av, acc[c * 4 + r]);
    }
  }
  alignas(64) float sums[16];
  _mm512_store_ps(sums, Hsum16(acc));
  for (int c = 0; c < 4; ++c) std::memcpy(out + c * os, sums + 4 * c, 4 * sizeof(float));
}

// nc is a multiple of 4.
template <typename L>
void GemmShortRowsF(int64_t n, const uint8_t* w, size_t ws, int nr, const uint8_t* a, size_t as, int nc,
                    float* out, size_t os) {
  using T = typename L::T;
  for (int c = 0; c < nc; c += 4) {
    alignas(64) float af[4][kShortRowF];  // zero beyond n, as TileF's masked loads
    for (int j = 0; j < 4; ++j) {
      for (int64_t k = 0; k < n; k += 16) {
        const __mmask16 m = FirstLanes(n - k);
        _mm512_store_ps(&af[j][k], L::LoadTail(reinterpret_cast<const T*>(a + (c + j) * as) + k, m));
      }
    }
    int r = 0;
    for (; r + 4 <= nr; r += 4) ShortRowsTileF<L>(n, w + r * ws, ws, af, out + c * os + r, os);
    for (; r < nr; ++r) TileF<L, 1, 4>(n, w + r * ws, ws, a + c * as, as, out + c * os + r, os);
  }
}

template <typename L>
void GemmF(int64_t n, const void* w, size_t ws, int nr, const void* a, size_t as, int nc, float* out,
           size_t os) {
  const uint8_t* wb = static_cast<const uint8_t*>(w);
  const uint8_t* ab = static_cast<const uint8_t*>(a);
  if (n <= kShortRowF && nc >= 4) {
    const int whole = nc / 4 * 4;
    GemmShortRowsF<L>(n, wb, ws, nr, ab, as, whole, out, os);
    if (whole == nc) return;
    ab += whole * as;
    out += whole * os;
    nc -= whole;
  }
  int r = 0;
  for (; r + kTileRowsF <= nr; r += kTileRowsF)
    RowTileF<L, kTileRowsF>(n, wb + r * ws, ws, ab, as, nc, out + r, os);
  switch (nr - r) {
    case 1:
      RowTileF<L, 1>(n, wb + r * ws, ws, ab, as, nc, out + r, os);
      break;
    case 2:
      RowTileF<L, 2>(n, wb + r * ws, ws, ab, as, nc, out + r, os);
      break;
    case 3:
      RowTileF<L, 3>(n, wb + r * ws, ws, ab, as, nc, out + r, os);
      break;
    default:
      break;
  }
}

template <typename L>
float DotF(int64_t n, const void* w, const void* a) {
  float out;
  TileF<L, 1, 1>(n, static_cast<const uint8_t*>(w), 0, static_cast<const uint8_t*>(a), 0, &out, 0);
  return out;
}

// --- weighted sums of V rows (ops.h WeightedSumF16, WeightedSumF32) ---
//
// As the AVX2 kernels with 16 lanes: M sums by V vectors of accumulators stay
// in registers over all the rows (4 by 4: a 64-wide head), each row of v
// loaded and converted once for the M; a masked tail. One fused multiply-add
// per element and row, as in AVX2.

template <typename L, int M, int V>
void WeightedSumBlock(const float* p, size_t ps, int64_t n_rows, const typename L::T* v, size_t v_stride,
                      float* out, size_t os, __mmask16 tail = 0) {
  __m512 acc[M][V];
  for (int h = 0; h < M; ++h) {
    for (int k = 0; k < V; ++k) acc[h][k] = _mm512_setzero_ps();
  }
  for (int64_t j = 0; j < n_rows; ++j) {
    const typename L::T* row = v + j * static_cast<int64_t>(v_stride);
    __m512 x[V];
    for (int k = 0; k < V; ++k) x[k] = tail ? L::LoadTail(row + 16 * k, tail) : L::Load(row + 16 * k);
    for (int h = 0; h < M; ++h) {
      const __m512 a = _mm512_set1_ps(p[h * ps + j]);
      for (int k = 0; k < V; ++k) acc[h][k] = _mm512_fmadd_ps(a, x[k], acc[h][k]);
    }
  }
  for (int h = 0; h < M; ++h) {
    for (int k = 0; k < V; ++k) {
      if (tail) {
        _mm512_mask_storeu_ps(out + h * os + 16 * k, tail, acc[h][k]);
      } else {
        _mm512_storeu_ps(out + h * os + 16 * k, acc[h][k]);
      }
    }
  }
}

template <typename L, int M>
void WeightedSumRows(const float* p, size_t ps, int64_t n_rows, const typename L::T* v, size_t v_stride,
                     int64_t n, float* out, size_t os) {
  int64_t d = 0;
  for (; d + 64 <= n; d += 64) WeightedSumBlock<L, M, 4>(p, ps, n_rows, v + d, v_stride, out + d, os);
  for (; d + 16 <= n; d += 16) WeightedSumBlock<L, M, 1>(p, ps, n_rows, v + d, v_stride, out + d, os);
  if (d < n) {
    WeightedSumBlock<L, M, 1>(p, ps, n_rows, v + d, v_stride, out + d, os, FirstLanes(n - d));
  }
}

template <typename L>
void WeightedSum(int m, const float* p, size_t ps, int64_t n_rows, const typename L::T* v, size_t v_stride,
                 int64_t n, float* out, size_t os) {
  int h = 0;
  for (; h + 4 <= m; h += 4) WeightedSumRows<L, 4>(p + h * ps, ps, n_rows, v, v_stride, n, out + h * os, os);
  for (; h < m; ++h) WeightedSumRows<L, 1>(p + h * ps, ps, n_rows, v, v_stride, n, out + h * os, os);
}

// --- Q6_K x Q8_K: one super-block at a time ---
//
// For plain rows (a matrix whose rows are not a multiple of 8; vec_dot);
// interleaved ones have TilesQ6_Kx8 below. Plain Q4_K keeps the AVX2 kernels
// (vec_dot_avx2.cpp): their 1 x 8 register tile ran prefill faster than a
// 512-bit dot per (row, column) did (~90 against ~77 GFLOP/s per core).

// One weight row by NC activation rows: each super-block is unpacked once for
// all of them. Per (row, column) the same operations whatever NC, so gemm and
// vec_dot (NC = 1) agree bit for bit.
template <int NC>
void RowQ6_K(int64_t nb, const BlockQ6_K* x, const uint8_t* a, size_t as, float* out, size_t os) {
  const __m512i low = _mm512_set1_epi8(0x0F);
  const __m512i bits45 = _mm512_set1_epi8(0x30);
  // Per 16-bit lane shifts that bring qh's 2-bit fields to bits 4-5: quarter 1
  // (<< 4) and 2 (<< 2) in the first zmm, quarter 3 (>> 0) and 4 (>> 2) in the second.
  const __m512i shl_12 = _mm512_inserti64x4(_mm512_set1_epi16(4), _mm256_set1_epi16(2), 1);
  const __m512i shr_34 = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_set1_epi16(2), 1);
  __m512 acc[NC];
  for (int c = 0; c < NC; ++c) acc[c] = _mm512_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    // Quants are stored as q + 32: dot = sum(sc * q . y) - 32 * sum(sc * bsum).
    const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x[i].scales)));
    // q[2 h + k]: elements 128 h + 64 k .. + 63 (0..63); scale[..]: their
    // groups' scales as int16, one per 16 elements (a 128-bit lane).
    __m512i q[4], scale[4];
    for (int half = 0; half < 2; ++half) {
      const __m512i ql = InRegister(_mm512_loadu_si512(x[i].ql + 64 * half));
      const __m512i qh =
          _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[i].qh + 32 * half)));
      q[2 * half] =
          _mm512_or_si512(_mm512_and_si512(ql, low), _mm512_and_si512(_mm512_sllv_epi16(qh, shl_12), bits45));
      q[2 * half + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), low),
                                        _mm512_and_si512(_mm512_srlv_epi16(qh, shr_34), bits45));
    }
    for (int k = 0; k < 4; ++k) {
      const short g = static_cast<short>(4 * k);
      const __m512i idx = _mm512_set_epi16(g + 3, g + 3, g + 3, g + 3, g + 3, g + 3, g + 3, g + 3, g + 2,
                                           g + 2, g + 2, g + 2, g + 2, g + 2, g + 2, g + 2, g + 1, g + 1,
                                           g + 1, g + 1, g + 1, g + 1, g + 1, g + 1, g, g, g, g, g, g, g, g);
      scale[k] = _mm512_permutexvar_epi16(idx, _mm512_zextsi256_si512(sc16));
    }
    const float dw = Fp16(x[i].d);
    for (int c = 0; c < NC; ++c) {
      const BlockQ8_K& y = reinterpret_cast<const BlockQ8_K*>(a + c * as)[i];
      // The offset first (8 lanes of 32 * sc * bsum pairs), then q times a in
      // int16 pairs (at most 2 * 63 * 128) times the group's scale, summed
      // into int32 by vpdpwssd: the block's whole dot in exact integers.
      const __m256i bs16 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y.bsums));
      __m512i sumi = _mm512_zextsi256_si512(
          _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(_mm256_madd_epi16(sc16, bs16), 5)));
      for (int k = 0; k < 4; ++k)
        sumi = _mm512_dpwssd_epi32(sumi, _mm512_maddubs_epi16(q[k], _mm512_loadu_si512(y.qs + 64 * k)),
                                   scale[k]);
      acc[c] = _mm512_fmadd_ps(_mm512_set1_ps(y.d * dw), _mm512_cvtepi32_ps(sumi), acc[c]);
    }
  }
  for (int c = 0; c < NC; ++c) out[c * os] = Hsum(acc[c]);
}

template <int NC>
void RowQ6_KTail(int nc, int64_t nb, const BlockQ6_K* x, const uint8_t* a, size_t as, float* out, size_t os) {
  if constexpr (NC > 0) {
    if (nc == NC) return RowQ6_K<NC>(nb, x, a, as, out, os);
    RowQ6_KTail<NC - 1>(nc, nb, x, a, as, out, os);
  }
}

void GemmQ6_K(int64_t n, const void* w, size_t ws, int nr, const void* a, size_t as, int nc, float* out,
              size_t os) {
  constexpr int kCols = 8;
  const uint8_t* ab = static_cast<const uint8_t*>(a);
  for (int r = 0; r < nr; ++r) {
    const auto* x = reinterpret_cast<const BlockQ6_K*>(static_cast<const uint8_t*>(w) + r * ws);
    int c = 0;
    for (; c + kCols <= nc; c += kCols) RowQ6_K<kCols>(n / kQK_K, x, ab + c * as, as, out + c * os + r, os);
    RowQ6_KTail<kCols - 1>(nc - c, n / kQK_K, x, ab + c * as, as, out + c * os + r, os);
  }
}

float DotQ6_K(int64_t n, const void* w, const void* a) {
  float out;
  RowQ6_K<1>(n / kQK_K, static_cast<const BlockQ6_K*>(w), static_cast<const uint8_t*>(a), 0, &out, 0);
  return out;
}

// --- Q4_0 interleaved by 8 rows (quants.h BlockQ4_0x8) ---
//
// As the AVX2 kernel (lane r of every vector is weight row r), with vpdpbusd
// summing each chunk's products straight into int32: the same exact integers,
// so the same bits. 32 vector registers leave room for 8 activation rows. The
// high nibbles stay in place (16 times their value; vpdpbusd's sums cannot
// overflow, maddubs's int16 pairs could) and their dot is shifted back once,
// which saves a shift per chunk: decode +3-7 % (3 runs of 25-35 rounds in
// turns with the old tile on the same weights in one process, Q4_0 1.1B).

// Q8_0 x8: the weights as unsigned bytes w + 128 (one xor), so vpdpbusd takes
// them with each activation dword broadcast from memory, and each dot starts
// at -128 * sum(a): the same exact integers as w . a, so the same bits, for
// one instruction per chunk and row instead of three (the old |w| . (a with
// w's sign)). Fewer instructions per byte stream faster from memory: bench_kernels,
// 2 threads, old and new in turns (5 pairs): decode +4-8 %, prefill +30 %. 4
// activation rows per tile: 8 were no clear gain (and spilled with the old kernel).
struct TilesQ8_0x8 : TilesQ8_0x8Base {
  static constexpr int kCols = 4;
  template <int NC>
  static void Run(int64_t nb, const BlockQ8_0x8* x, const uint8_t* a, size_t as, const ActQ8_0Sum* sums,
                  float* out, size_t os) {
    __m256 acc[NC];
    for (int c = 0; c < NC; ++c) acc[c] = _mm256_setzero_ps();
    const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
    for (int64_t b = 0; b < nb; ++b) {
      const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x[b].d)));
      __m256i w[8];
      for (int k = 0; k < 8; ++k) w[k] = _mm256_xor_si256(LoadI8x32(x[b].qs + 32 * k), flip);
      for (int c = 0; c < NC; ++c) {
        const ActQ8_0Sum& s = sums[c * nb + b];
        const int8_t* q = reinterpret_cast<const BlockQ8_0*>(a + c * as)[b].qs;
        // Two chains of vpdpbusd halve the latency per block (integer sums: same bits).
        __m256i dot = _mm256_set1_epi32(-16 * s.sum8), dot_odd = _mm256_setzero_si256();  // sum8 = 8 sum(a)
        for (int k = 0; k < 8; k += 2) {
          dot = DpbusdBroadcast4(dot, w[k], q + 4 * k);
          dot_odd = DpbusdBroadcast4(dot_odd, w[k + 1], q + 4 * k + 4);
        }
        dot = _mm256_add_epi32(dot, dot_odd);
        const __m256 scale = _mm256_mul_ps(dw, _mm256_set1_ps(s.d));
        acc[c] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(dot), acc[c]);
      }
    }
    for (int c = 0; c < NC; ++c) _mm256_storeu_ps(out + c * os, acc[c]);
  }
};

struct TilesQ4_0x8 : TilesQ4_0x8Base {
  static constexpr int kCols = 8;
  template <int NC>
  static void Run(int64_t nb, const BlockQ4_0x8* x, const uint8_t* a, size_t as, const ActQ8_0Sum* sums,
                  float* out, size_t os) {
    __m256 acc[NC];
    for (int c = 0; c < NC; ++c) acc[c] = _mm256_setzero_ps();
    const __m256i low = _mm256_set1_epi8(0x0F), high = _mm256_set1_epi8(static_cast<char>(0xF0));
    StreamPrefetch<64 * sizeof(BlockQ4_0x8)> ahead(
        x);  // used by decode (one activation row) only, as measured
    for (int64_t b = 0; b < nb; ++b) {
      if constexpr (NC == 1) ahead.Upto(x + b + 1);
      const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x[b].d)));
      __m256i w[8];  // the low nibbles, then the high ones in place (16 times their value)
      for (int k = 0; k < 4; ++k) {
        const __m256i chunk = InRegister(LoadU8x32(x[b].qs + 32 * k));
        w[k] = _mm256_and_si256(chunk, low);
        w[4 + k] = _mm256_and_si256(chunk, high);
      }
      for (int c = 0; c < NC; ++c) {
        const ActQ8_0Sum& s = sums[c * nb + b];
        const int8_t* q = reinterpret_cast<const BlockQ8_0*>(a + c * as)[b].qs;
        // Two chains of vpdpbusd halve the latency per block (integer sums: same bits).
        __m256i dot = _mm256_set1_epi32(-s.sum8), dot_hi = _mm256_setzero_si256();
        for (int k = 0; k < 4; ++k) {
          dot = DpbusdBroadcast4(dot, w[k], q + 4 * k);
          dot_hi = DpbusdBroadcast4(dot_hi, w[4 + k], q + 16 + 4 * k);
        }
        dot = _mm256_add_epi32(dot, _mm256_srai_epi32(dot_hi, 4));  // exact: dot_hi is 16 times an integer
        const __m256 scale = _mm256_mul_ps(dw, _mm256_set1_ps(s.d));
        acc[c] = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(dot), acc[c]);
      }
    }
    for (int c = 0; c < NC; ++c) _mm256_storeu_ps(out + c * os, acc[c]);
  }
};

// Q8_0 by 16 rows (quants.h BlockQ8_0x16, the layout this table asks for),
// read as TilesQ4_0x16 reads Q4_0.
struct TilesQ8_0x16 : TilesBase<BlockQ8_0x16, BlockQ8_0, ActQ8_0Sum, kQK8_0> {
  static constexpr int kCols = 4, kGroups = 2;
  using Single = TilesQ8_0x8;
  template <int NC>
  static void Run(int64_t nb, const BlockQ8_0x16* x, const uint8_t* a, size_t as, const ActQ8_0Sum* sums,
                  float* out, size_t os) {
    __m512 acc[NC];
    for (int c = 0; c < NC; ++c) acc[c] = _mm512_setzero_ps();
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
    ForEachBlockX16<BlockQ8_0x16, NC == 1, 2 * sizeof(BlockQ8_0x16)>(
        nb, x, [&](const uint16_t* d, const uint8_t* qs, int64_t b) {
          __m512i w[8];
          for (int k = 0; k < 8; ++k)
            w[k] = _mm512_xor_si512(InRegister(_mm512_loadu_si512(qs + 64 * k)), flip);
          const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(d)));
          for (int c = 0; c < NC; ++c) {
            const ActQ8_0Sum& s = sums[c * nb + b];
            const int8_t* q = reinterpret_cast<const BlockQ8_0*>(a + c * as)[b].qs;
            __m512i dot = _mm512_set1_epi32(-16 * s.sum8), dot_odd = _mm512_setzero_si512();
            for (int k = 0; k < 8; k += 2) {
              dot = DpbusdBroadcast4(dot, w[k], q + 4 * k);
              dot_odd = DpbusdBroadcast4(dot_odd, w[k + 1], q + 4 * k + 4);
            }
            const __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(s.d));
            acc[c] = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(_mm512_add_epi32(dot, dot_odd)), acc[c]);
          }
        });
    for (int c = 0; c < NC; ++c) _mm512_storeu_ps(out + c * os, acc[c]);
  }
};

// Q4_0 by 16 rows (quants.h BlockQ4_0x16, the layout this table asks for):
// the 8-row tile's integers with 16 lanes, one 64-byte load per chunk, so the
// same bits for half the instructions per weight byte. What made a decode
// stream as fast as Q4_K's 16-row tile (which 16-row blocks of 288 bytes did
// not, 0.91-0.95 of the 8-row tile, nor such blocks paired on whole cache
// lines) is 8 blocks' scales first and then their chunks, 2304 bytes at a time
// as BlockQ4_Kx16, with a software prefetch 9 KB ahead, and the 8 blocks
// unrolled. Q4_0 matrix-vector products alone, 2 threads, GB/s as a fraction
// of Q4_K's 16-row tile in the same run: 8-row tile 0.74-0.86; this 0.96-1.01
// (0.74-0.79 without the prefetch, 0.74 with the blocks in a loop). 1.1B
// decode, 4 runs of each in turns: 75-86 % of the bandwidth ceiling -> 93-101 %.
// Four chains of two vpdpbusd from zero, the offset subtracted last by a
// broadcast from memory, decoded no faster from L2 on 2 MiB pages (72-81 GB/s
// on one core against 74-81; bench_kernels' "from cache" line).
struct TilesQ4_0x16 : TilesBase<BlockQ4_0x16, BlockQ8_0, ActQ8_0Sum, kQK4_0> {
  static constexpr int kCols = 8, kGroups = 2;
  using Single = TilesQ4_0x8;
  template <int NC>
  static void Run(int64_t nb, const BlockQ4_0x16* x, const uint8_t* a, size_t as, const ActQ8_0Sum* sums,
                  float* out, size_t os) {
    __m512 acc[NC];
    for (int c = 0; c < NC; ++c) acc[c] = _mm512_setzero_ps();
    const __m512i low = _mm512_set1_epi8(0x0F), high = _mm512_set1_epi8(static_cast<char>(0xF0));
    ForEachBlockX16<BlockQ4_0x16, NC == 1, 4 * sizeof(BlockQ4_0x16)>(
        nb, x, [&](const uint16_t* d, const uint8_t* qs, int64_t b) {
          __m512i w[8];  // the low nibbles, then the high ones in place (16 times their value)
          for (int k = 0; k < 4; ++k) {
            const __m512i chunk = InRegister(_mm512_loadu_si512(qs + 64 * k));
            w[k] = _mm512_and_si512(chunk, low);
            w[4 + k] = _mm512_and_si512(chunk, high);
          }
          const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(d)));
          for (int c = 0; c < NC; ++c) {
            const ActQ8_0Sum& s = sums[c * nb + b];
            const int8_t* q = reinterpret_cast<const BlockQ8_0*>(a + c * as)[b].qs;
            // Two chains of vpdpbusd halve the latency per block (integer sums: same bits).
            __m512i dot = _mm512_set1_epi32(-s.sum8), dot_hi = _mm512_setzero_si512();
            for (int k = 0; k < 4; ++k) {
              dot = DpbusdBroadcast4(dot, w[k], q + 4 * k);
              dot_hi = DpbusdBroadcast4(dot_hi, w[4 + k], q + 16 + 4 * k);
            }
            dot =
                _mm512_add_epi32(dot, _mm512_srai_epi32(dot_hi, 4));  // exact: dot_hi is 16 times an integer
            const __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(s.d));
            acc[c] = _mm512_fmadd_ps(scale, _mm512_cvtepi32_ps(dot), acc[c]);
          }
        });
    for (int c = 0; c < NC; ++c) _mm512_storeu_ps(out + c * os, acc[c]);
  }
};

// --- Q4_K interleaved by 8 rows (quants.h BlockQ4_Kx8) ---
//
// As the AVX2 kernel, with vpdpbusd summing a sub-block's chunks straight into
// int32 per row (no int16 stage and widening multiply), then one multiply by
// the rows' scales: the same integers, so the same bits. Two chains per
// sub-block (even and odd chunks) halve the dependency chain of a decode. In
// cache a decode is bound by loads (each 32-byte chunk and its two 4-byte
// broadcasts; Zen 4 sustains ~2 a cycle), ~80 cycles per block of 8 rows.
struct TilesQ4_Kx8 : TilesQ4_Kx8Base {
  static constexpr int kCols = 4;
  template <int NC>
  static void AddSubBlocks(const uint8_t* qs, size_t stride, int jj, const int8_t* const* q,
                           const uint8_t* sc, __m256i* sumi) {
    const __m256i low = _mm256_set1_epi8(0x0F);
    // [c][0]: sub-block 2 jj (low nibbles), [c][1]: 2 jj + 1; [2], [3]: odd chunks of each
    __m256i dot[NC][4];
    for (int c = 0; c < NC; ++c)
      for (int i = 0; i < 4; ++i) dot[c][i] = _mm256_setzero_si256();
    for (int k = 0; k < 8; ++k) {
      const __m256i chunk = InRegister(LoadU8x32(qs + stride * (8 * jj + k)));
      const __m256i ql = _mm256_and_si256(chunk, low);
      const __m256i qh = _mm256_and_si256(_mm256_srli_epi16(chunk, 4), low);
      const int odd = NC == 1 ? 2 * (k % 2) : 0;  // more columns are chains enough
      for (int c = 0; c < NC; ++c) {
        const int8_t* qc = q[c] + 64 * jj + 4 * k;
        dot[c][odd] = DpbusdBroadcast4(dot[c][odd], ql, qc);
        dot[c][odd + 1] = DpbusdBroadcast4(dot[c][odd + 1], qh, qc + 32);
      }
    }
    const __m256i sc_lo =
        _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sc + 16 * jj)));
    const __m256i sc_hi =
        _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(sc + 16 * jj + 8)));
    for (int c = 0; c < NC; ++c) {
      const __m256i lo = _mm256_add_epi32(dot[c][0], dot[c][2]), hi = _mm256_add_epi32(dot[c][1], dot[c][3]);
      sumi[c] = _mm256_add_epi32(
          sumi[c], _mm256_add_epi32(_mm256_mullo_epi32(lo, sc_lo), _mm256_mullo_epi32(hi, sc_hi)));
    }
  }
  template <int NC>
  static void Run(int64_t nb, const BlockQ4_Kx8* x, const uint8_t* a, size_t as, const ActQ8_KSum* sums,
                  float* out, size_t os) {
    RunQ4_Kx8<TilesQ4_Kx8, NC>(nb, x, 0, a, as, sums, out, os);
  }
};

// Q4_K by 16 rows (quants.h BlockQ4_Kx16, the layout this table asks for):
// the 8-row tile's sums with 16 lanes, one 64-byte load per chunk and the
// high nibbles kept in place (16 times their value, shifted back once per
// sub-block pair, exactly); the same integers and fused multiply-adds per
// row, so the same bits, for half the instructions per weight byte: in L2,
// one core, 80 GB/s against 52. Decode of the 1.1B Q4_K_M, both layouts in
// one process in turns: +16 % and +22 % (40 pairs each; the second with the
// tensors on 64-byte boundaries, as loads now put them); prefill (4
// activation rows a tile) +49 %, 261 -> 386 tok/s (16 pairs).
struct TilesQ4_Kx16 : TilesBase<BlockQ4_Kx16, BlockQ8_K, ActQ8_KSum, kQK_K> {
  static constexpr int kCols = 4, kGroups = 2;
  using Single = TilesQ4_Kx8;
  // The 16 rows' scales (or mins' row pairs) of one index from both halves.
  static __m512i Scales16(const uint8_t (&sc)[2][64], int j) {
    const __m128i lo = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(sc[0] + 8 * j));
    const __m128i hi = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(sc[1] + 8 * j));
    return _mm512_cvtepu8_epi32(_mm_unpacklo_epi64(lo, hi));
  }
  template <int NC>
  static void Run(int64_t nb, const BlockQ4_Kx16* x, const uint8_t* a, size_t as, const ActQ8_KSum* sums,
                  float* out, size_t os) {
    __m512 acc[NC];
    for (int c = 0; c < NC; ++c) acc[c] = _mm512_setzero_ps();
    const __m512i low = _mm512_set1_epi8(0x0F), high = _mm512_set1_epi8(static_cast<char>(0xF0));
    alignas(64) uint8_t sc[2][64], mn[2][64];
    StreamPrefetch<2 * sizeof(BlockQ4_Kx16)> ahead(x);  // used by decode only, as measured
    for (int64_t b = 0; b < nb; ++b) {
      if constexpr (NC == 1) ahead.Upto(x + b + 1);
      const BlockQ4_Kx16& blk = x[b];
      for (int h = 0; h < 2; ++h) {
        UnpackSixBits(blk.scales_lo[h], blk.scales_hi[h], sc[h]);
        UnpackSixBits(blk.mins_lo[h], blk.mins_hi[h], mn[h]);
      }
      const int8_t* q[NC];
      __m512i sumi[NC];
      for (int c = 0; c < NC; ++c) {
        q[c] = reinterpret_cast<const BlockQ8_K*>(a + c * as)[b].qs;
        sumi[c] = _mm512_setzero_si512();
      }
      for (int jj = 0; jj < 4; ++jj) {
        // [c][0]: sub-block 2 jj (low nibbles), [c][1]: 2 jj + 1; [2], [3]: odd chunks of each
        __m512i dot[NC][4];
        for (int c = 0; c < NC; ++c)
          for (int i = 0; i < 4; ++i) dot[c][i] = _mm512_setzero_si512();
        for (int k = 0; k < 8; ++k) {
          const __m512i chunk = InRegister(_mm512_loadu_si512(blk.qs + 64 * (8 * jj + k)));
          const __m512i ql = _mm512_and_si512(chunk, low), qh = _mm512_and_si512(chunk, high);
          const int odd = NC == 1 ? 2 * (k % 2) : 0;  // more columns are chains enough
          for (int c = 0; c < NC; ++c) {
            const int8_t* qc = q[c] + 64 * jj + 4 * k;
            dot[c][odd] = DpbusdBroadcast4(dot[c][odd], ql, qc);
            dot[c][odd + 1] = DpbusdBroadcast4(dot[c][odd + 1], qh, qc + 32);
          }
        }
        const __m512i sc_lo = Scales16(sc, 2 * jj), sc_hi = Scales16(sc, 2 * jj + 1);
        for (int c = 0; c < NC; ++c) {
          const __m512i lo = _mm512_add_epi32(dot[c][0], dot[c][2]);
          const __m512i hi = _mm512_srai_epi32(_mm512_add_epi32(dot[c][1], dot[c][3]), 4);  // exact
          sumi[c] = _mm512_add_epi32(
              sumi[c], _mm512_add_epi32(_mm512_mullo_epi32(lo, sc_lo), _mm512_mullo_epi32(hi, sc_hi)));
        }
      }
      const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.d)));
      const __m512 dmw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.dmin)));
      for (int c = 0; c < NC; ++c) {
        const ActQ8_KSum& s = sums[c * nb + b];
        const __m512 da = _mm512_set1_ps(s.d);
        const __m512i mins =
            _mm512_inserti64x4(_mm512_castsi256_si512(MinsX8(mn[0], s.pairs)), MinsX8(mn[1], s.pairs), 1);
        acc[c] = _mm512_fmadd_ps(_mm512_mul_ps(dw, da), _mm512_cvtepi32_ps(sumi[c]), acc[c]);
        acc[c] = _mm512_fnmadd_ps(_mm512_mul_ps(dmw, da), _mm512_cvtepi32_ps(mins), acc[c]);
      }
    }
    for (int c = 0; c < NC; ++c) _mm512_storeu_ps(out + c * os, acc[c]);
  }
};

}  // namespace

void FillAvx512Table(KernelTable* t) {
  t->traits[kQ8_0].vec_dot = DotQ<WeightQ8_0>;
  t->traits[kQ8_0].gemm = GemmQ<WeightQ8_0>;
  t->traits[kQ8_0].tile_rows = kTileRows;
  t->traits[kQ4_0].vec_dot = DotQ<WeightQ4_0>;
  t->traits[kQ4_0].gemm = GemmQ<WeightQ4_0>;
  t->traits[kQ4_0].tile_rows = kTileRows;
  t->traits[kQ4_0].gemm_x8 = GemmX8<TilesQ4_0x16>;
  t->traits[kQ4_0].group_rows = 2 * kInterleave;
  t->traits[kQ8_0].gemm_x8 = GemmX8<TilesQ8_0x16>;
  t->traits[kQ8_0].group_rows = 2 * kInterleave;
  t->traits[kQ4_K].gemm_x8 = GemmX8<TilesQ4_Kx16>;
  t->traits[kQ4_K].group_rows = 2 * kInterleave;
  t->traits[kQ6_K].gemm_x8 = GemmX8<TilesQ6_Kx8>;
  t->traits[kQ6_K].vec_dot = DotQ6_K;
  t->traits[kQ6_K].gemm = GemmQ6_K;
  t->weighted_sum_f16 = WeightedSum<LoadF16>;
  t->weighted_sum_f32 = WeightedSum<LoadF32>;
  t->silu_mul = SiluMulAvx512;
  t->softmax = SoftmaxAvx512;
  t->traits[kF32].vec_dot = DotF<LoadF32>;
  t->traits[kF32].gemm = GemmF<LoadF32>;
  t->traits[kF32].tile_rows = kTileRowsF;
  t->traits[kF16].vec_dot = DotF<LoadF16>;
  t->traits[kF16].gemm = GemmF<LoadF16>;
  t->traits[kF16].tile_rows = kTileRowsF;
  t->traits[kBF16].vec_dot = DotF<LoadBf16>;
  t->traits[kBF16].gemm = GemmF<LoadBf16>;
  t->traits[kBF16].tile_rows = kTileRowsF;
}

}  // namespace ss::engine::internal
