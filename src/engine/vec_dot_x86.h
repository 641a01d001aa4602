#pragma once
// Small helpers shared by the x86 kernel files (vec_dot_avx2.cpp,
// vec_dot_avx512.cpp, ops_avx2.cpp, ops_avx512.cpp), which are compiled with
// different -m flags. All have internal linkage, so each file keeps its own
// copy built for its own ISA: an inline function with external linkage could
// be merged by the linker and run AVX-512 code on an AVX2 machine (which is
// also why util/half.h is not used here). Include only from those files, after
// <immintrin.h>.

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>

#include "engine/vec_dot_internal.h"

namespace ss::engine::internal {
namespace {

// Same bits as util/half.h except NaN payloads.
inline float Fp16(uint16_t h) { return _cvtsh_ss(h); }

inline __m256i LoadI8x32(const int8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline __m256i LoadU8x32(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// v, kept in a register: a loaded vector used by two instructions is
// otherwise loaded twice, GCC folding the load into each. Loads are what the
// decode kernels run out of first (Zen 4: two 256-bit or one 512-bit per
// cycle, broadcasts included).
template <typename V>
inline V InRegister(V v) {
  asm("" : "+x"(v));
  return v;
}

// Software prefetch of every cache line kAheadBytes ahead of a stream that a
// loop reads front to back: Upto(p) asks for the lines up to p + kAheadBytes
// not yet asked for (one prefetch per line, whatever the block size). Only
// for loops that do much work per byte, whose loads alone keep too few lines
// in flight: the Q4_0 decode tile (8 rows x 32 weights in 144 bytes and ~30
// instructions) read 0.61-0.72 of the probe in a stretch of slow memory (36-41
// GB/s) while Q4_K_M read 96 %. Prefetching lifted Q4_0 decode +19-27 % there
// on AVX2 and AVX-512, and +8 % (AVX2) / +2 % (AVX-512, median of 10 runs, -4
// to +9 %) with the usual 55-66 GB/s; the 8-row Q8_0 and Q4_K tiles lost 2-16
// and 0-7 % (AVX2 and AVX-512 alike). 64 Q4_0 blocks (9 KB) ahead: against
// 32, +2.4 % (median of 8 runs on both ISAs, 7 of them ahead); 16 lost 5 %, 8
// 10 %, 128 no more than 32. (One process, the same weights, in turns.) The
// 16-row tiles, with half the 8-row tiles' instructions per byte, want one:
// Q4_K's (AVX-512) streamed 0.75-0.88 of the 8-row tile without one, 2 blocks
// (4.6 KB) ahead 1.16 and 1.22, 4 blocks 1.11 and 1.13 (40 pairs each); so
// every 16-row decode tile prefetches ~9 KB or 4.6 KB (Q4_K) ahead.
// One stream per thread, though a plain read loop (no work per byte) reads
// more with more: 61-65 GB/s with one stream per thread, 68-72 with two, 70-74
// with eight (2 threads, the same minutes); a prefetch lowers that loop to
// 52-61. Two 16-row tiles read in lockstep (two streams per thread) lowered
// the Q4_0 decode tile from 58-63 to 48-55 GB/s with the prefetch and to
// 35-39 without it (3 runs each, in turns). The 8-row Q6_K tile keeps none:
// 3 or 6 blocks ahead lowered its decode from 54-62 to 47-55 GB/s.
// Addresses are integers, as the lines past the end of a matrix may lie
// outside it; a prefetch never faults.
template <uintptr_t kAheadBytes>
class StreamPrefetch {
 public:
  explicit StreamPrefetch(const void* start) : next_(reinterpret_cast<uintptr_t>(start) + kAheadBytes) {}
  void Upto(const void* p) {
    for (const uintptr_t end = reinterpret_cast<uintptr_t>(p) + kAheadBytes; next_ < end; next_ += 64)
      _mm_prefetch(reinterpret_cast<const char*>(next_), _MM_HINT_T0);
  }

 private:
  uintptr_t next_;
};

// The blocks of a 16-row layout of blocks of 32 (quants.h BlockQ4_0x16,
// BlockQ8_0x16) in order: each(d, qs, b) for block b, its 16 rows' scales at
// d and its chunks at qs. A decode (kDecode) prefetches kAheadBytes ahead. The
// 8 blocks of each full one are unrolled, as measured: in a loop, Q4_0 decode
// streamed 0.74 of Q4_K's 16-row tile, unrolled 0.96.
template <typename BlockX16, bool kDecode, size_t kAheadBytes, typename Each>
inline void ForEachBlockX16(int64_t nb, const BlockX16* x, Each&& each) {
  StreamPrefetch<kAheadBytes> ahead(x);
  int64_t b0 = 0;
  for (; b0 + 8 <= nb; b0 += 8, ++x) {
    if constexpr (kDecode) {
      ahead.Upto(x + 1);
#pragma GCC unroll 8
      for (int i = 0; i < 8; ++i) each(x->d[i], reinterpret_cast<const uint8_t*>(x->qs[i]), b0 + i);
    } else {
      for (int i = 0; i < 8; ++i) each(x->d[i], reinterpret_cast<const uint8_t*>(x->qs[i]), b0 + i);
    }
  }
  const auto* d = reinterpret_cast<const uint16_t*>(x);  // a shorter last one: m blocks' scales, then chunks
  const int m = static_cast<int>(nb - b0);
  const auto* qs = reinterpret_cast<const uint8_t*>(d + m * std::size(x->d[0]));
  for (int i = 0; i < m; ++i) each(d + std::size(x->d[0]) * i, qs + sizeof(x->qs[0]) * i, b0 + i);
}

// The sum (largest) of a vector's lanes: halves, then pairs, then the last two.
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

#ifdef __AVX512F__
// The sum of a vector's lanes: halves, then quarters, then pairs, then the
// last two (the order of GCC 12's _mm512_reduce_add_ps, written out so the
// bits do not depend on a compiler's choice and vec_dot_avx512.cpp's Hsum16 and ops_avx512.cpp's Softmax can
// match them).
inline float Hsum(__m512 x) {
  const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(x), _mm512_extractf32x8_ps(x, 1));
  const __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  const __m128 p = _mm_add_ps(q, _mm_movehl_ps(q, q));
  return _mm_cvtss_f32(_mm_add_ss(p, _mm_movehdup_ps(p)));
}
#endif

// 4 activation bytes in every 32-bit lane: the operand of one interleaved
// chunk (quants.h), whose lane r holds weight row r's 4 bytes.
inline __m256i Broadcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

#ifdef __AVX512VNNI__
// vpdpbusd of w with the 4 activation bytes at p broadcast to every lane,
// taken straight from memory ({1to8}, {1to16}): GCC 12 loads and broadcasts
// them in a separate instruction first, one more per multiply (measured in
// cache, one core: Q4_0 x8 +14 %, Q4_K x8 +7 %, Q6_K x8 +8 %; Q4_0 prefill
// +15 %). The same instruction, so the same bits.
inline __m256i DpbusdBroadcast4(__m256i acc, __m256i w, const int8_t* p) {
  asm("vpdpbusd %[p]%{1to8%}, %[w], %[acc]"
      : [acc] "+v"(acc)
      : [w] "v"(w), [p] "m"(*reinterpret_cast<const int32_t*>(p)));
  return acc;
}
inline __m512i DpbusdBroadcast4(__m512i acc, __m512i w, const int8_t* p) {
  asm("vpdpbusd %[p]%{1to16%}, %[w], %[acc]"
      : [acc] "+v"(acc)
      : [w] "v"(w), [p] "m"(*reinterpret_cast<const int32_t*>(p)));
  return acc;
}
#endif

// 64 6-bit values (scales or mins of a BlockQ4_Kx8) from their low nibbles and
// high bit pairs, by index as UnpackQ4_Kx8Scales.
inline void UnpackSixBits(const uint8_t* lo32, const uint8_t* hi16, uint8_t* out64) {
  const __m256i low = _mm256_set1_epi8(0x0F), three = _mm256_set1_epi8(3);
  const __m256i lo = LoadU8x32(lo32);
  const __m256i h = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(hi16)));
  const __m256i hx = _mm256_and_si256(_mm256_srlv_epi32(h, _mm256_setr_epi32(0, 0, 0, 0, 2, 2, 2, 2)), three);
  const __m256i hy = _mm256_and_si256(_mm256_srlv_epi32(h, _mm256_setr_epi32(4, 4, 4, 4, 6, 6, 6, 6)), three);
  _mm256_store_si256(reinterpret_cast<__m256i*>(out64),
                     _mm256_or_si256(_mm256_and_si256(lo, low), _mm256_slli_epi16(hx, 4)));
  _mm256_store_si256(
      reinterpret_cast<__m256i*>(out64 + 32),
      _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(lo, 4), low), _mm256_slli_epi16(hy, 4)));
}

// The mins term of one BlockQ4_Kx8 for an activation row: lane r is
// sum_j min(j, r) * (sum of the activations of sub-block j), from the
// unpacked mins and the activation's sub-block sums in int16 pairs.
inline __m256i MinsX8(const uint8_t* mn, const int32_t* pairs) {
  __m256i summ = _mm256_setzero_si256();
  for (int p = 0; p < 4; ++p) {
    const __m256i m16 = _mm256_cvtepu8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(mn + 16 * p)));
    summ = _mm256_add_epi32(summ, _mm256_madd_epi16(m16, _mm256_set1_epi32(pairs[p])));
  }
  return summ;
}

// A field of a BlockQ4_Kx8, or half h's of a BlockQ4_Kx16.
template <size_t N>
inline const uint8_t* HalfOf(const uint8_t (&field)[N], int) {
  return field;
}
template <size_t N>
inline const uint8_t* HalfOf(const uint8_t (&field)[2][N], int h) {
  return field[h];
}

// The frame both interleaved Q4_K tiles share (BlockQ4_Kx8, or rows 8 h ..
// 8 h + 7 of a BlockQ4_Kx16, by NC activation rows): per block, the rows'
// scales and mins are unpacked, Dot::AddSubBlocks adds each column's sum over
// sub-blocks 2 jj and 2 jj + 1 of scale * (nibbles . a) into sumi[c], exactly
// (its chunks of 8 rows' words `stride` bytes apart), and the block adds
// d_a * d * sumi - d_a * dmin * (mins term) per row.
template <typename Dot, int NC, typename Block>
void RunQ4_Kx8(int64_t nb, const Block* x, int h, const uint8_t* a, size_t as, const ActQ8_KSum* sums,
               float* out, size_t os) {
  constexpr size_t kStride = sizeof(Block::qs) / 32;
  __m256 acc[NC];
  for (int c = 0; c < NC; ++c) acc[c] = _mm256_setzero_ps();
  alignas(32) uint8_t sc[64], mn[64];
  for (int64_t b = 0; b < nb; ++b) {
    const Block& blk = x[b];
    UnpackSixBits(HalfOf(blk.scales_lo, h), HalfOf(blk.scales_hi, h), sc);
    UnpackSixBits(HalfOf(blk.mins_lo, h), HalfOf(blk.mins_hi, h), mn);
    __m256i sumi[NC];
    for (int c = 0; c < NC; ++c) sumi[c] = _mm256_setzero_si256();
    const int8_t* q[NC];
    for (int c = 0; c < NC; ++c) q[c] = reinterpret_cast<const BlockQ8_K*>(a + c * as)[b].qs;
    for (int jj = 0; jj < 4; ++jj) Dot::template AddSubBlocks<NC>(blk.qs + 32 * h, kStride, jj, q, sc, sumi);
    const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.d + 8 * h)));
    const __m256 dmw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.dmin + 8 * h)));
    for (int c = 0; c < NC; ++c) {
      const ActQ8_KSum& s = sums[c * nb + b];
      const __m256 da = _mm256_set1_ps(s.d);
      acc[c] = _mm256_fmadd_ps(_mm256_mul_ps(dw, da), _mm256_cvtepi32_ps(sumi[c]), acc[c]);
      acc[c] = _mm256_fnmadd_ps(_mm256_mul_ps(dmw, da), _mm256_cvtepi32_ps(MinsX8(mn, s.pairs)), acc[c]);
    }
  }
  for (int c = 0; c < NC; ++c) _mm256_storeu_ps(out + c * os, acc[c]);
}

// init + the dots of w[j] (32 unsigned bytes, lane r row r's 4 quants) with
// the 4 activation bytes q + 4 j, j = 0..3, in each int32 lane: exact, by
// vpdpbusd with AVX-512 VNNI; on AVX2 in int16 pairs of products first (of
// quants < 64: at most 4 * 63 * 128 per lane, no saturation).
inline __m256i DotFourChunks(__m256i init, const __m256i (&w)[4], const int8_t* q) {
#ifdef __AVX512VNNI__
  for (int j = 0; j < 4; ++j) init = DpbusdBroadcast4(init, w[j], q + 4 * j);
  return init;
#else
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i s01 = _mm256_add_epi16(_mm256_maddubs_epi16(w[0], Broadcast4(q)),
                                       _mm256_maddubs_epi16(w[1], Broadcast4(q + 4)));
  const __m256i s23 = _mm256_add_epi16(_mm256_maddubs_epi16(w[2], Broadcast4(q + 8)),
                                       _mm256_maddubs_epi16(w[3], Broadcast4(q + 12)));
  return _mm256_add_epi32(init, _mm256_add_epi32(_mm256_madd_epi16(s01, ones), _mm256_madd_epi16(s23, ones)));
#endif
}

// --- Q6_K interleaved by 8 rows (quants.h BlockQ6_Kx8), for both ISAs ---
//
// As the scalar TilesQ6_Kx8: per group the three chunks are unpacked into
// four vectors of quants once for all columns; each column's dot starts at its
// -32 * sum term, so times the rows' scales it is the group's whole exact
// contribution; per block one fused multiply-add. 4 activation rows per tile
// where there are 32 vector registers, 2 where there are 16. A 16-row layout
// read with 64-byte loads on AVX-512, as Q4_K's, multiplied 1.8x faster in
// prefill (Q6_K alone: 470 -> 850 GFLOP/s, 2 threads; the Q4_K_M model +12 %)
// but decoded 0.87-0.94 of Q4_K's tile where this one decodes 0.89-1.02 (4
// runs in turns; read as two 32-byte halves 0.79-0.91, with a prefetch 1-10
// KB ahead no better), so Q6_K keeps this layout.
struct TilesQ6_Kx8 : TilesQ6_Kx8Base {
#ifdef __AVX512F__
  static constexpr int kCols = 4;
#else
  static constexpr int kCols = 2;
#endif
  template <int NC>
  static void Run(int64_t nb, const BlockQ6_Kx8* x, const uint8_t* a, size_t as, const ActQ8_KSum* sums,
                  float* out, size_t os) {
    const __m256i six = _mm256_set1_epi8(0x3F), m03 = _mm256_set1_epi8(0x03), m0c = _mm256_set1_epi8(0x0C),
                  m30 = _mm256_set1_epi8(0x30);
    __m256 acc[NC];
    for (int c = 0; c < NC; ++c) acc[c] = _mm256_setzero_ps();
    for (int64_t b = 0; b < nb; ++b) {
      const BlockQ6_Kx8& blk = x[b];
      const int8_t* q[NC];
      const ActQ8_KSum* s[NC];
      __m256i sumi[NC];
      for (int c = 0; c < NC; ++c) {
        q[c] = reinterpret_cast<const BlockQ8_K*>(a + c * as)[b].qs;
        s[c] = sums + c * nb + b;
        sumi[c] = _mm256_setzero_si256();
      }
      for (int g = 0; g < kQK_K / 16; ++g) {
        const __m256i b0 = InRegister(LoadU8x32(blk.qs + 96 * g));
        const __m256i b1 = InRegister(LoadU8x32(blk.qs + 96 * g + 32));
        const __m256i b2 = InRegister(LoadU8x32(blk.qs + 96 * g + 64));
        const __m256i w[4] = {
            _mm256_and_si256(b0, six), _mm256_and_si256(b1, six), _mm256_and_si256(b2, six),
            _mm256_or_si256(_mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(b0, 6), m03),
                                            _mm256_and_si256(_mm256_srli_epi16(b1, 4), m0c)),
                            _mm256_and_si256(_mm256_srli_epi16(b2, 2), m30))};
        const __m256i sc =
            _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(blk.scales + 8 * g)));
        for (int c = 0; c < NC; ++c) {
          const __m256i dot = DotFourChunks(_mm256_set1_epi32(s[c]->offsets[g]), w, q[c] + 16 * g);
          sumi[c] = _mm256_add_epi32(sumi[c], _mm256_mullo_epi32(dot, sc));
        }
      }
      const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.d)));
      for (int c = 0; c < NC; ++c)
        acc[c] =
            _mm256_fmadd_ps(_mm256_mul_ps(dw, _mm256_set1_ps(s[c]->d)), _mm256_cvtepi32_ps(sumi[c]), acc[c]);
    }
    for (int c = 0; c < NC; ++c) _mm256_storeu_ps(out + c * os, acc[c]);
  }
};

}  // namespace
}  // namespace ss::engine::internal
