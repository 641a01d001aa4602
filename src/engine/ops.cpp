#include "engine/ops.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/vec_dot_internal.h"
#include "util/half.h"

namespace ss::engine {

void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* y) {
  // One running sum per element index mod kLanes, then a fixed tree: the same
  // bits wherever it runs, and no 2048-long chain of dependent additions
  // (~2.2 us per call, between every layer's matmuls while memory sits idle).
  constexpr int kLanes = 16;
  double lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int j = 0; j < kLanes; ++j) lanes[j] += static_cast<double>(x[i + j] * x[i + j]);
  }
  for (int j = 0; i < n; ++i, ++j) lanes[j] += static_cast<double>(x[i] * x[i]);
  for (int width = kLanes / 2; width > 0; width /= 2) {
    for (int j = 0; j < width; ++j) lanes[j] += lanes[j + width];
  }
  const double sum = lanes[0];
  const float mean = static_cast<float>(sum / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (int64_t i = 0; i < n; ++i) y[i] = (x[i] * scale) * weight[i];
}

void RopeAngles(int pos, int rope_dim, float base, float* cos_out, float* sin_out) {
  const float theta_scale = std::pow(base, -2.0f / static_cast<float>(rope_dim));
  float theta = static_cast<float>(pos);
  for (int i = 0; i < rope_dim / 2; ++i) {
    cos_out[i] = std::cos(theta);
    sin_out[i] = std::sin(theta);
    theta *= theta_scale;
  }
}

void RopeNormalWithAngles(float* x, int n_heads, int head_dim, int rope_dim, const float* cos_v,
                          const float* sin_v) {
  for (int h = 0; h < n_heads; ++h) {
    float* v = x + static_cast<int64_t>(h) * head_dim;
    for (int i = 0; i < rope_dim / 2; ++i) {
      const float x0 = v[2 * i];
      const float x1 = v[2 * i + 1];
      v[2 * i] = x0 * cos_v[i] - x1 * sin_v[i];
      v[2 * i + 1] = x0 * sin_v[i] + x1 * cos_v[i];
    }
  }
}

void RopeNormal(float* x, int n_heads, int head_dim, int rope_dim, int pos, float base) {
  std::vector<float> cs(rope_dim);  // cos in the first half, sin in the second
  RopeAngles(pos, rope_dim, base, cs.data(), cs.data() + rope_dim / 2);
  RopeNormalWithAngles(x, n_heads, head_dim, rope_dim, cs.data(), cs.data() + rope_dim / 2);
}

float GgmlExpf(float x) {
  // Each step is one IEEE single operation (fmaf is fused), as in the vector code.
  const float r = 0x1.8p23f;
  const float z = std::fma(x, 0x1.715476p+0f, r);
  const float n = z - r;
  const float b = std::fma(-n, 0x1.7f7d1cp-20f, std::fma(-n, 0x1.62e4p-1f, x));
  const float u = b * b;
  const float j = std::fma(
      std::fma(std::fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, std::fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
      u, std::fma(0x1.ffffecp-1f, b, 1.0f));
  if (std::fabs(n) > 192.0f) return n <= 0.0f ? 0.0f : std::numeric_limits<float>::infinity();
  return std::ldexp(j, static_cast<int>(n));
}

void SiluMulScalar(const float* gate, const float* up, int64_t n, float* out) {
  const int64_t vec_end = n / kGgmlLanes * kGgmlLanes;
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    const float e = i < vec_end ? GgmlExpf(0.0f - g) : std::exp(-g);
    const float silu = g / (1.0f + e);
    out[i] = silu * up[i];
  }
}

void SiluMul(const float* gate, const float* up, int64_t n, float* out) {
  internal::ActiveSiluMul()(gate, up, n, out);
}

namespace internal {

void SoftmaxScalar(float* x, int64_t n, float scale, bool round_f16) {
  float max = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) {
    x[i] *= scale;
    // (a comparison rather than std::fmax, whose NaN rule kept this a library call per element)
    max = x[i] > max ? x[i] : max;
  }
  // ggml pads the row with masked (-inf) entries to whole vectors, so every
  // element takes the vector exp and each vector's sum is reduced as
  // _mm512_reduce_add_ps does: halves, then quarters, then pairs.
  for (int64_t i = 0; i < n; ++i)
    x[i] = x[i] == -std::numeric_limits<float>::infinity() ? 0.0f : GgmlExpf(x[i] - max);
  double sum = 0.0;
  for (int64_t c = 0; c < n; c += kGgmlLanes) {
    float lane[kGgmlLanes] = {};
    for (int64_t i = c; i < std::min(n, c + kGgmlLanes); ++i) lane[i - c] = x[i];
    for (int width = kGgmlLanes / 2; width >= 2; width /= 2)
      for (int i = 0; i < width; ++i) lane[i] = lane[i + width] + lane[i];
    sum += static_cast<double>(lane[0] + lane[1]);
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) {
    x[i] *= inv;
    if (round_f16) x[i] = HalfToFloat(FloatToHalf(x[i]));
  }
}

}  // namespace internal

void Softmax(float* x, int64_t n, float scale, bool round_f16) {
  internal::ActiveSoftmax()(x, n, scale, round_f16);
}

void WeightedSumF16(int m, const float* p, size_t p_stride, int64_t n_rows, const uint16_t* v,
                    size_t v_stride, int64_t n, float* out, size_t out_stride) {
  internal::ActiveWeightedSumF16()(m, p, p_stride, n_rows, v, v_stride, n, out, out_stride);
}

void WeightedSumF32(int m, const float* p, size_t p_stride, int64_t n_rows, const float* v, size_t v_stride,
                    int64_t n, float* out, size_t out_stride) {
  internal::ActiveWeightedSumF32()(m, p, p_stride, n_rows, v, v_stride, n, out, out_stride);
}

}  // namespace ss::engine
