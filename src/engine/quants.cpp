#include "engine/quants.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "util/half.h"

namespace ss::engine {
namespace {

// ggml's nearest_int: round half to even through the float mantissa.
inline int NearestInt(float fval) {
  float val = fval + 12582912.f;
  int i;
  std::memcpy(&i, &val, sizeof(int));
  return (i & 0x007fffff) - 0x00400000;
}

// Value with the largest magnitude; the first one wins ties, as in ggml.
inline float SignedAbsMax(const float* x, int n, float* amax_out) {
  float amax = 0.0f;
  float max = 0.0f;
  for (int j = 0; j < n; ++j) {
    const float ax = std::fabs(x[j]);
    if (ax > amax) {
      amax = ax;
      max = x[j];
    }
  }
  *amax_out = amax;
  return max;
}

}  // namespace

void QuantizeRowQ8_0(const float* x, BlockQ8_0* y, int64_t n) {
  const int64_t nb = n / kQK8_0;
  for (int64_t i = 0; i < nb; ++i, x += kQK8_0) {
    float amax = 0.0f;
    for (int j = 0; j < kQK8_0; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    y[i].d = FloatToHalf(amax / 127.f);
    const float id = amax != 0.0f ? 127.f / amax : 0.0f;
    for (int j = 0; j < kQK8_0; ++j) {
      // nearbyint rounds half to even, like _mm256_round_ps(_MM_ROUND_NEAREST).
      y[i].qs[j] = static_cast<int8_t>(std::nearbyint(x[j] * id));
    }
  }
}

void QuantizeRowQ8_K(const float* x, BlockQ8_K* y, int64_t n) {
  const int64_t nb = n / kQK_K;
  for (int64_t i = 0; i < nb; ++i, x += kQK_K) {
    float amax;
    const float max = SignedAbsMax(x, kQK_K, &amax);
    if (amax == 0.0f) {
      std::memset(&y[i], 0, sizeof(BlockQ8_K));
      continue;
    }
    const float iscale = -127.f / max;
    for (int j = 0; j < kQK_K; ++j) {
      const int v = NearestInt(iscale * x[j]);
      y[i].qs[j] = static_cast<int8_t>(v < 127 ? v : 127);
    }
    for (int g = 0; g < kQK_K / 16; ++g) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += y[i].qs[16 * g + l];
      y[i].bsums[g] = static_cast<int16_t>(sum);
    }
    y[i].d = 1 / iscale;
  }
}

void QuantizeRowQ4_0(const float* x, BlockQ4_0* y, int64_t n) {
  const int64_t nb = n / kQK4_0;
  for (int64_t i = 0; i < nb; ++i, x += kQK4_0) {
    float amax;
    const float max = SignedAbsMax(x, kQK4_0, &amax);
    const float d = max / -8;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = FloatToHalf(d);
    for (int j = 0; j < kQK4_0 / 2; ++j) {
      const int8_t lo = static_cast<int8_t>(x[j] * id + 8.5f);
      const int8_t hi = static_cast<int8_t>(x[kQK4_0 / 2 + j] * id + 8.5f);
      const uint8_t q0 = static_cast<uint8_t>(lo < 15 ? lo : 15);
      const uint8_t q1 = static_cast<uint8_t>(hi < 15 ? hi : 15);
      y[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void DequantizeRowQ8_0(const BlockQ8_0* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n / kQK8_0; ++i) {
    const float d = HalfToFloat(x[i].d);
    for (int j = 0; j < kQK8_0; ++j) *y++ = d * x[i].qs[j];
  }
}

void DequantizeRowQ4_0(const BlockQ4_0* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n / kQK4_0; ++i, y += kQK4_0) {
    const float d = HalfToFloat(x[i].d);
    for (int j = 0; j < kQK4_0 / 2; ++j) {
      y[j] = d * ((x[i].qs[j] & 0x0F) - 8);
      y[j + kQK4_0 / 2] = d * ((x[i].qs[j] >> 4) - 8);
    }
  }
}

void Q4KScaleMin(int j, const uint8_t* q, uint8_t* sc, uint8_t* m) {
  if (j < 4) {
    *sc = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

void DequantizeRowQ4_K(const BlockQ4_K* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    const float d = HalfToFloat(x[i].d);
    const float dmin = HalfToFloat(x[i].dmin);
    const uint8_t* q = x[i].qs;
    for (int j = 0; j < 4; ++j, q += 32) {
      uint8_t sc, m;
      Q4KScaleMin(2 * j, x[i].scales, &sc, &m);
      const float d1 = d * sc, m1 = dmin * m;
      Q4KScaleMin(2 * j + 1, x[i].scales, &sc, &m);
      const float d2 = d * sc, m2 = dmin * m;
      for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
    }
  }
}

void UnpackQ6_K(const BlockQ6_K& b, uint8_t* q) {
  for (int half = 0; half < 2; ++half) {
    const uint8_t* ql = b.ql + 64 * half;
    const uint8_t* qh = b.qh + 32 * half;
    uint8_t* o = q + 128 * half;
    for (int l = 0; l < 32; ++l) {
      o[l] = static_cast<uint8_t>((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4));
      o[l + 32] = static_cast<uint8_t>((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4));
      o[l + 64] = static_cast<uint8_t>((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4));
      o[l + 96] = static_cast<uint8_t>((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4));
    }
  }
}

void DequantizeRowQ6_K(const BlockQ6_K* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n / kQK_K; ++i, y += kQK_K) {
    const float d = HalfToFloat(x[i].d);
    uint8_t q[kQK_K];
    UnpackQ6_K(x[i], q);
    for (int e = 0; e < kQK_K; ++e) y[e] = d * x[i].scales[e / 16] * (q[e] - 32);
  }
}

void DequantizeRowQ8_K(const BlockQ8_K* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n / kQK_K; ++i) {
    for (int j = 0; j < kQK_K; ++j) *y++ = x[i].d * x[i].qs[j];
  }
}

bool CanDequantize(gguf::TensorType type) {
  using T = gguf::TensorType;
  switch (type) {
    case T::F32:
    case T::F16:
    case T::BF16:
    case T::Q8_0:
    case T::Q4_0:
    case T::Q4_K:
    case T::Q6_K:
    case T::Q8_K:
      return true;
    default:
      return false;
  }
}

bool DequantizeRow(gguf::TensorType type, const void* x, float* y, int64_t n) {
  using T = gguf::TensorType;
  if (!CanDequantize(type) || n % gguf::TypeInfo(type).block_size != 0) return false;
  switch (type) {
    case T::F32:
      std::memcpy(y, x, n * sizeof(float));
      break;
    case T::F16:
      for (int64_t i = 0; i < n; ++i) y[i] = HalfToFloat(static_cast<const uint16_t*>(x)[i]);
      break;
    case T::BF16:
      for (int64_t i = 0; i < n; ++i) y[i] = Bf16ToFloat(static_cast<const uint16_t*>(x)[i]);
      break;
    case T::Q8_0:
      DequantizeRowQ8_0(static_cast<const BlockQ8_0*>(x), y, n);
      break;
    case T::Q4_0:
      DequantizeRowQ4_0(static_cast<const BlockQ4_0*>(x), y, n);
      break;
    case T::Q4_K:
      DequantizeRowQ4_K(static_cast<const BlockQ4_K*>(x), y, n);
      break;
    case T::Q6_K:
      DequantizeRowQ6_K(static_cast<const BlockQ6_K*>(x), y, n);
      break;
    case T::Q8_K:
      DequantizeRowQ8_K(static_cast<const BlockQ8_K*>(x), y, n);
      break;
    default:
      return false;
  }
  return true;
}

size_t RowBytes(gguf::TensorType type, int64_t n) {
  const gguf::TensorTypeInfo info = gguf::TypeInfo(type);
  if (info.name == nullptr || info.block_size == 0) return 0;
  return static_cast<size_t>(n / info.block_size) * info.type_size;
}

namespace {

// The frame every interleaver shares: R rows of nb blocks each, rewritten in
// place into nb BlockXR (each zeroed first) by fill(out block, row r, row r's
// block).
template <typename Block, typename BlockXR, int R = kInterleave, typename Fill>
void InterleaveBlocks(uint8_t* rows, int64_t nb, Fill fill) {
  std::vector<Block> copy(static_cast<size_t>(nb * R));
  std::memcpy(copy.data(), rows, copy.size() * sizeof(Block));
  auto* out = reinterpret_cast<BlockXR*>(rows);
  for (int64_t b = 0; b < nb; ++b) {
    std::memset(&out[b], 0, sizeof(BlockXR));
    for (int r = 0; r < R; ++r) fill(out[b], r, copy[static_cast<size_t>(r * nb + b)]);
  }
}

// Q8_0 and Q4_0: a block's scale, then its quants in 4-byte words.
template <typename Block, typename BlockX8>
void InterleaveWords(uint8_t* rows, int64_t n, int64_t block_size) {
  InterleaveBlocks<Block, BlockX8>(rows, n / block_size, [](BlockX8& o, int r, const Block& in) {
    o.d[r] = in.d;
    for (int k = 0; k < static_cast<int>(sizeof(Block::qs) / 4); ++k)
      std::memcpy(o.qs + 32 * k + 4 * r, in.qs + 4 * k, 4);
  });
}

// Q8_0 and Q4_0 by 16 rows: BlockQ8_0x16 or BlockQ4_0x16, 8 blocks at a
// time, the last of a row maybe fewer.
template <typename Block>
void InterleaveWordsX16(uint8_t* rows, int64_t n, int64_t block_size) {
  constexpr int R = 2 * kInterleave, kWords = sizeof(Block::qs) / 4;
  const int64_t nb = n / block_size;
  std::vector<Block> copy(static_cast<size_t>(nb * R));
  std::memcpy(copy.data(), rows, copy.size() * sizeof(Block));
  for (int64_t s = 0; s < nb; s += 8) {
    const int m = static_cast<int>(std::min<int64_t>(8, nb - s));
    uint8_t* d = rows + s * R * sizeof(Block);
    uint8_t* qs = d + m * R * sizeof(uint16_t);
    for (int i = 0; i < m; ++i) {
      for (int r = 0; r < R; ++r) {
        const Block& in = copy[static_cast<size_t>(r * nb + s + i)];
        std::memcpy(d + sizeof(uint16_t) * (R * i + r), &in.d, sizeof(uint16_t));
        for (int k = 0; k < kWords; ++k) std::memcpy(qs + 4 * R * (kWords * i + k) + 4 * r, in.qs + 4 * k, 4);
      }
    }
  }
}

// Value v (6 bits) at index i of a BlockQ4_Kx8's packed scales or mins.
void PutSixBits(uint8_t* lo32, uint8_t* hi16, int i, uint8_t v) {
  lo32[i % 32] |= static_cast<uint8_t>((v & 0xF) << (i < 32 ? 0 : 4));
  hi16[i % 16] |= static_cast<uint8_t>((v >> 4) << (2 * (i / 16)));
}

// Q4_K by R rows (BlockQ4_Kx8, or BlockQ4_Kx16 with its two halves' scales).
template <typename BlockXR, int R>
void InterleaveQ4_K(uint8_t* rows, int64_t n) {
  InterleaveBlocks<BlockQ4_K, BlockXR, R>(rows, n / kQK_K, [](BlockXR& o, int r, const BlockQ4_K& in) {
    o.d[r] = in.d;
    o.dmin[r] = in.dmin;
    const int h = r / kInterleave, rr = r % kInterleave;  // half, row within it
    auto at = [h](auto& field) -> uint8_t* {
      if constexpr (R == kInterleave) {
        return field;
      } else {
        return field[h];
      }
    };
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      Q4KScaleMin(j, in.scales, &sc, &m);
      PutSixBits(at(o.scales_lo), at(o.scales_hi), 8 * j + rr, sc);
      PutSixBits(at(o.mins_lo), at(o.mins_hi), 16 * (j / 2) + 2 * rr + j % 2, m);
    }
    for (int c = 0; c < 32; ++c) std::memcpy(o.qs + 4 * R * c + 4 * r, in.qs + 4 * c, 4);
  });
}

void InterleaveQ6_K(uint8_t* rows, int64_t n) {
  InterleaveBlocks<BlockQ6_K, BlockQ6_Kx8>(rows, n / kQK_K, [](BlockQ6_Kx8& o, int r, const BlockQ6_K& in) {
    uint8_t q[kQK_K];
    UnpackQ6_K(in, q);
    o.d[r] = in.d;
    for (int g = 0; g < kQK_K / 16; ++g) {
      o.scales[8 * g + r] = in.scales[g];
      for (int j = 0; j < 3; ++j) {
        for (int i = 0; i < 4; ++i) {
          const int top = (q[16 * g + 12 + i] >> (2 * j)) & 3;
          o.qs[96 * g + 32 * j + 4 * r + i] = static_cast<uint8_t>(q[16 * g + 4 * j + i] | (top << 6));
        }
      }
    }
  });
}

}  // namespace

bool CanInterleave(gguf::TensorType type) {
  return type == gguf::TensorType::Q8_0 || type == gguf::TensorType::Q4_0 || type == gguf::TensorType::Q4_K ||
         type == gguf::TensorType::Q6_K;
}

void InterleaveRows(gguf::TensorType type, uint8_t* rows, int64_t n, int group_rows) {
  if (group_rows == 2 * kInterleave && type == gguf::TensorType::Q8_0)
    return InterleaveWordsX16<BlockQ8_0>(rows, n, kQK8_0);
  if (group_rows == 2 * kInterleave && type == gguf::TensorType::Q4_0)
    return InterleaveWordsX16<BlockQ4_0>(rows, n, kQK4_0);
  if (group_rows == 2 * kInterleave && type == gguf::TensorType::Q4_K)
    return InterleaveQ4_K<BlockQ4_Kx16, 2 * kInterleave>(rows, n);
  switch (type) {
    case gguf::TensorType::Q8_0:
      return InterleaveWords<BlockQ8_0, BlockQ8_0x8>(rows, n, kQK8_0);
    case gguf::TensorType::Q4_0:
      return InterleaveWords<BlockQ4_0, BlockQ4_0x8>(rows, n, kQK4_0);
    case gguf::TensorType::Q4_K:
      return InterleaveQ4_K<BlockQ4_Kx8, kInterleave>(rows, n);
    case gguf::TensorType::Q6_K:
      return InterleaveQ6_K(rows, n);
    default:
      return;
  }
}

void InterleaveMatrix(gguf::TensorType type, uint8_t* data, int64_t n, int64_t n_out, int group_rows) {
  const size_t group_bytes = RowBytes(type, n) * kInterleave;
  const int64_t groups = n_out / kInterleave, step = group_rows / kInterleave;
  int64_t g = 0;
  for (; g + step <= groups; g += step) InterleaveRows(type, data + g * group_bytes, n, group_rows);
  for (; g < groups; ++g) InterleaveRows(type, data + g * group_bytes, n);
  if (n <= kPanelElements) return;
  // Blocks keep their order within a group, so a panel of a group (of k
  // groups of 8 rows) is one run.
  const std::vector<uint8_t> rows(data, data + groups * group_bytes);
  uint8_t* out = data;
  for (int64_t p0 = 0; p0 < n; p0 += kPanelElements) {
    const size_t offset = RowBytes(type, p0) * kInterleave;
    const size_t run = RowBytes(type, std::min(kPanelElements, n - p0)) * kInterleave;
    for (int64_t g = 0, k = step; g < groups; g += k, out += k * run) {
      k = g + step <= groups ? step : 1;
      std::memcpy(out, rows.data() + g * group_bytes + k * offset, k * run);
    }
  }
}

void UnpackQ6_Kx8Row(const BlockQ6_Kx8& b, int r, uint8_t* q) {
  for (int g = 0; g < kQK_K / 16; ++g) {
    const uint8_t* chunks = b.qs + 96 * g + 4 * r;  // b0, b1, b2 at + 0, 32, 64
    for (int i = 0; i < 4; ++i) {
      int top = 0;
      for (int j = 0; j < 3; ++j) {
        q[16 * g + 4 * j + i] = chunks[32 * j + i] & 0x3F;
        top |= (chunks[32 * j + i] >> 6) << (2 * j);
      }
      q[16 * g + 12 + i] = static_cast<uint8_t>(top);
    }
  }
}

void UnpackQ4_Kx8Scales(const BlockQ4_Kx8& b, uint8_t* scales, uint8_t* mins) {
  for (int i = 0; i < 64; ++i) {
    const int lo_shift = i < 32 ? 0 : 4, hi_shift = 2 * (i / 16);
    scales[i] = static_cast<uint8_t>(((b.scales_lo[i % 32] >> lo_shift) & 0xF) |
                                     (((b.scales_hi[i % 16] >> hi_shift) & 3) << 4));
    mins[i] = static_cast<uint8_t>(((b.mins_lo[i % 32] >> lo_shift) & 0xF) |
                                   (((b.mins_hi[i % 16] >> hi_shift) & 3) << 4));
  }
}

}  // namespace ss::engine
