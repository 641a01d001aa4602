#include "engine/ops.h"

#include <cmath>
#include <limits>
#include <vector>

#include "engine/vec_dot.h"
#include "engine/vec_dot_internal.h"

namespace ss::engine {

void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* y) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
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

void SiluMul(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = (g / (1.0f + std::exp(-g))) * up[i];
  }
}

void Softmax(float* x, int64_t n) {
  float max = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) max = std::fmax(max, x[i]);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float e = x[i] == -std::numeric_limits<float>::infinity() ? 0.0f : std::exp(x[i] - max);
    x[i] = e;
    sum += static_cast<double>(e);
  }
  const float scale = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= scale;
}

float DotF16Rows(const uint16_t* a, const uint16_t* b, int64_t n) {
  return GetTypeTraits(gguf::TensorType::F16)->vec_dot(n, a, b);
}

void AxpyF16(float alpha, const uint16_t* v, int64_t n, float* y) {
  internal::ActiveAxpyF16()(alpha, v, n, y);
}

}  // namespace ss::engine
