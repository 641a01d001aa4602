#pragma once
// Element-wise and row operations of the Llama forward pass, written to round
// the way ggml does so the stage's results track llama.cpp's.

#include <cstddef>
#include <cstdint>

namespace ss::engine {

// y = (x * scale) * weight with scale = 1 / sqrt(mean(x^2) + eps); the sum of
// squares of float products is accumulated in double (in 16 interleaved
// partial sums, where ggml_compute_forward_rms_norm keeps one) and the mean
// rounded to float. y may alias x.
void RmsNorm(const float* x, const float* weight, int64_t n, float eps, float* y);

// cos/sin of the rope_dim / 2 rotation angles at position pos: theta starts at
// pos and is multiplied by powf(base, -2 / rope_dim) per pair, in float, like
// ggml's rope cache.
void RopeAngles(int pos, int rope_dim, float base, float* cos_out, float* sin_out);
// "Normal" Llama rope in place on n_heads heads of head_dim floats: pairs
// (2i, 2i + 1), i < rope_dim / 2, rotate by the angles above; dims beyond
// rope_dim are left alone.
void RopeNormal(float* x, int n_heads, int head_dim, int rope_dim, int pos, float base);
// Same, with angles from RopeAngles (to share them between Q and K).
void RopeNormalWithAngles(float* x, int n_heads, int head_dim, int rope_dim, const float* cos_v,
                          const float* sin_v);

// ggml's vector exp (AVX-512 build): a polynomial within 1.5 ulp of expf,
// which llama.cpp uses for SiLU and softmax; emulated lane by lane.
inline constexpr int64_t kGgmlLanes = 16;
float GgmlExpf(float x);
namespace internal {
// The vector code itself on 16 floats (AVX-512 CPUs only): GgmlExpf's twin;
// and its AVX2 emulation on 8 (AVX2 CPUs only).
void ExpfAvx512(const float* x, float* y);
void ExpfAvx2(const float* x, float* y);
}  // namespace internal

// out = silu(gate) * up, silu(x) = x / (1 + exp(-x)) with GgmlExpf for whole
// vectors of 16 and expf for the tail, as ggml_vec_silu_f32 does per row:
// call it per row. out may alias either input. SiluMulScalar is the reference
// the AVX2 and AVX-512 paths (chosen with the active ISA) are held to, bit for bit.
void SiluMul(const float* gate, const float* up, int64_t n, float* out);
void SiluMulScalar(const float* gate, const float* up, int64_t n, float* out);

// In-place softmax as ggml_soft_max_ext without a mask: x * scale first, then
// as ggml_vec_soft_max_f32: GgmlExpf(x - max), each vector of 16 summed in
// float (halves, then quarters, then pairs) and added in double, then scaled
// by the float of 1 / sum. Entries of -inf become 0. With round_f16 the
// results are rounded to f16 (llama.cpp multiplies an f16 V cache by f16
// weights). Bit-identical on every ISA.
void Softmax(float* x, int64_t n, float scale = 1.0f, bool round_f16 = false);

// For an F16 KV cache (active ISA, float accumulation; the scores K . Q are
// the F16 gemm's, Q rounded to f16 as llama.cpp does): m weighted sums of the
// same n_rows f16 rows (v_stride elements apart), one per row of weights
// (p_stride apart; the m query heads that share a KV head):
// out[h * out_stride + d] = sum_j p[h * p_stride + j] * v[j * v_stride + d]
// for h < m, d < n, added in j order from 0 (llama.cpp rounds the softmax
// weights to f16 before multiplying by V: pass p already rounded). Each ISA
// adds a term as its axpy would, so each result is y += p[j] * v_j row after
// row from y = 0, whatever m is; the m sums share each row of v as it is read
// (and converted), which is what makes several at once faster.
void WeightedSumF16(int m, const float* p, size_t p_stride, int64_t n_rows, const uint16_t* v,
                    size_t v_stride, int64_t n, float* out, size_t out_stride);
// The same for an F32 cache.
void WeightedSumF32(int m, const float* p, size_t p_stride, int64_t n_rows, const float* v, size_t v_stride,
                    int64_t n, float* out, size_t out_stride);

}  // namespace ss::engine
