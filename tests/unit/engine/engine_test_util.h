#pragma once
// Random inputs for the kernel tests: float rows and weight rows of every
// supported type, built from raw random blocks so every bit pattern a file
// may hold (within the format) gets exercised.

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "engine/quants.h"
#include "gguf/types.h"
#include "util/half.h"

namespace ss::engine::testutil {

inline std::vector<float> RandomFloats(std::mt19937& rng, int64_t n, float scale = 1.0f) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

inline uint16_t RandomScale(std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> dist(lo, hi);
  return FloatToHalf(dist(rng));
}

// A weight row of n elements (a multiple of the type's block size).
inline std::vector<uint8_t> RandomWeightRow(std::mt19937& rng, gguf::TensorType type, int64_t n) {
  using T = gguf::TensorType;
  std::vector<uint8_t> row(RowBytes(type, n));
  std::uniform_int_distribution<int> byte(0, 255);
  for (auto& b : row) b = static_cast<uint8_t>(byte(rng));
  switch (type) {
    case T::F32: {
      const std::vector<float> f = RandomFloats(rng, n);
      std::memcpy(row.data(), f.data(), row.size());
      break;
    }
    case T::F16:
    case T::BF16: {
      const std::vector<float> f = RandomFloats(rng, n);
      uint16_t* h = reinterpret_cast<uint16_t*>(row.data());
      for (int64_t i = 0; i < n; ++i) h[i] = type == T::F16 ? FloatToHalf(f[i]) : FloatToBf16(f[i]);
      break;
    }
    case T::Q8_0: {
      auto* b = reinterpret_cast<BlockQ8_0*>(row.data());
      for (int64_t i = 0; i < n / kQK8_0; ++i) {
        b[i].d = RandomScale(rng, 0.001f, 0.02f);
        for (auto& q : b[i].qs) q = static_cast<int8_t>(byte(rng) % 255 - 127);  // [-127, 127]
      }
      break;
    }
    case T::Q4_0: {
      auto* b = reinterpret_cast<BlockQ4_0*>(row.data());
      for (int64_t i = 0; i < n / kQK4_0; ++i) b[i].d = RandomScale(rng, -0.2f, 0.2f);
      break;
    }
    case T::Q4_K: {
      auto* b = reinterpret_cast<BlockQ4_K*>(row.data());
      for (int64_t i = 0; i < n / kQK_K; ++i) {
        b[i].d = RandomScale(rng, 0.0005f, 0.005f);
        b[i].dmin = RandomScale(rng, 0.0005f, 0.005f);
      }
      break;
    }
    case T::Q6_K: {
      auto* b = reinterpret_cast<BlockQ6_K*>(row.data());
      for (int64_t i = 0; i < n / kQK_K; ++i) b[i].d = RandomScale(rng, 0.0001f, 0.002f);
      break;
    }
    default:
      break;
  }
  return row;
}

inline std::vector<uint8_t> RandomWeights(std::mt19937& rng, gguf::TensorType type, int64_t n_in,
                                          int64_t n_out) {
  std::vector<uint8_t> all;
  for (int64_t r = 0; r < n_out; ++r) {
    const std::vector<uint8_t> row = RandomWeightRow(rng, type, n_in);
    all.insert(all.end(), row.begin(), row.end());
  }
  return all;
}

inline std::vector<float> Dequantize(gguf::TensorType type, const void* data, int64_t n) {
  std::vector<float> out(n);
  DequantizeRow(type, data, out.data(), n);
  return out;
}

}  // namespace ss::engine::testutil
