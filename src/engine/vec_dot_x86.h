#pragma once
// Small helpers shared by the x86 kernel files (vec_dot_avx2.cpp,
// vec_dot_avx512.cpp), which are compiled with different -m flags. All have
// internal linkage, so each file keeps its own copy built for its own ISA: an
// inline function with external linkage could be merged by the linker and run
// AVX-512 code on an AVX2 machine (which is also why util/half.h is not used
// here). Include only from those files, after <immintrin.h>.

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace ss::engine::internal {
namespace {

// Same bits as util/half.h except NaN payloads.
inline float Fp16(uint16_t h) { return _cvtsh_ss(h); }

inline __m256i LoadI8x32(const int8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline __m256i LoadU8x32(const uint8_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }

// 4 activation bytes in every 32-bit lane: the operand of one interleaved
// chunk (quants.h), whose lane r holds weight row r's 4 bytes.
inline __m256i Broadcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

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

}  // namespace
}  // namespace ss::engine::internal
