// Matmul benchmark on the TinyLlama-1.1B shapes (n_embd 2048, n_ff 5632,
// 4 KV heads of 64, vocab 32000, 22 layers). Decode streams a whole model's
// worth of weights (more than the L3 cache) per token and reports GB/s of
// weights; prefill multiplies 128 tokens at once and reports GFLOP/s. The
// per-token figures add up the matmuls only (attention and the element-wise
// ops come on top). A first line per type decodes from cache on each core:
// how fast the kernels could go if memory kept up.
// Usage: bench_kernels [type ...]  (default q8_0 q4_0 q4_k f16);
// SHARDSWARM_ISA=scalar|avx2|avx512 forces a kernel set.

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "engine/matmul.h"
#include "engine/quants.h"
#include "engine/vec_dot.h"
#include "util/half.h"
#include "util/huge_pages.h"
#include "util/thread_pool.h"

namespace {

using ss::engine::WeightView;
using ss::gguf::TensorType;

constexpr int kLayers = 22;
constexpr int64_t kEmbd = 2048, kFf = 5632, kKv = 256, kVocab = 32000;
constexpr int kPrefillTokens = 128;
constexpr int kPrefillLayers = 2;  // prefill runs this many layers and scales up

struct Shape {
  const char* name;
  int64_t n_in, n_out;
};
const Shape kLayerShapes[] = {{"attn_q", kEmbd, kEmbd},   {"attn_k", kEmbd, kKv},   {"attn_v", kEmbd, kKv},
                              {"attn_out", kEmbd, kEmbd}, {"ffn_gate", kEmbd, kFf}, {"ffn_up", kEmbd, kFf},
                              {"ffn_down", kFf, kEmbd}};
const Shape kOutput = {"output", kEmbd, kVocab};

struct Target {
  TensorType type;
  double decode_tok_s, prefill_tok_s;
};
const Target kTargets[] = {{TensorType::Q8_0, 17, 45}, {TensorType::Q4_0, 28, 52}};

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

uint64_t g_state = 0x9E3779B97F4A7C15ull;
uint64_t Next() {
  g_state ^= g_state << 13;
  g_state ^= g_state >> 7;
  g_state ^= g_state << 17;
  return g_state;
}

// Random weights with sane scales (no NaN or Inf in any fp16 field).
std::vector<uint8_t> MakeWeights(TensorType type, int64_t n_in, int64_t n_out) {
  const size_t row = ss::engine::RowBytes(type, n_in);
  std::vector<uint8_t> buf(row * n_out);
  for (size_t i = 0; i + 8 <= buf.size(); i += 8) {
    const uint64_t r = Next();
    std::memcpy(&buf[i], &r, 8);
  }
  const uint16_t scale = ss::FloatToHalf(0.01f);
  auto set_half = [&](size_t off) { std::memcpy(&buf[off], &scale, 2); };
  const int64_t blocks = static_cast<int64_t>(buf.size() / ss::gguf::TypeInfo(type).type_size);
  const size_t bs = ss::gguf::TypeInfo(type).type_size;
  for (int64_t b = 0; b < blocks; ++b) {
    switch (type) {
      case TensorType::Q8_0:
      case TensorType::Q4_0:
        set_half(b * bs);
        break;
      case TensorType::Q4_K:
        set_half(b * bs);
        set_half(b * bs + 2);
        break;
      case TensorType::Q6_K:
        set_half(b * bs + 208);
        break;
      default:
        break;
    }
  }
  if (type == TensorType::F16) {
    uint16_t* h = reinterpret_cast<uint16_t*>(buf.data());
    for (size_t i = 0; i < buf.size() / 2; ++i) h[i] &= 0xBBFF;  // exponent <= 0x0E: |x| < 1
  }
  return buf;
}

// Weights on 2 MiB pages, as a Stage holds them (on 4 KiB pages decode reads
// ~30 % slower on a VM, which would understate the kernels).
struct Model {
  std::vector<ss::HugePageBuffer> layer_weights;  // kLayers * 7 matrices
  ss::HugePageBuffer output;
  TensorType type;
  int group_rows = 0;  // interleaved as a Stage lays them out (weights.h InterleaveStageWeights)
  size_t bytes = 0;
};

ss::HugePageBuffer MakeMatrix(TensorType type, int64_t n_in, int64_t n_out, int group_rows) {
  const std::vector<uint8_t> w = MakeWeights(type, n_in, n_out);
  auto buf = ss::HugePageBuffer::Allocate(w.size());
  if (!buf.ok()) {
    std::fprintf(stderr, "%s\n", buf.status().message().c_str());
    std::exit(1);
  }
  std::memcpy(buf->data(), w.data(), w.size());
  if (group_rows != 0) ss::engine::InterleaveMatrix(type, buf->data(), n_in, n_out, group_rows);
  return std::move(*buf);
}

Model MakeModel(TensorType type) {
  Model m;
  m.type = type;
  m.group_rows = ss::engine::CanInterleave(type) ? ss::engine::GetTypeTraits(type)->group_rows : 0;
  for (int l = 0; l < kLayers; ++l) {
    for (const Shape& s : kLayerShapes) {
      m.layer_weights.push_back(MakeMatrix(type, s.n_in, s.n_out, m.group_rows));
      m.bytes += m.layer_weights.back().size();
    }
  }
  m.output = MakeMatrix(type, kOutput.n_in, kOutput.n_out, m.group_rows);
  m.bytes += m.output.size();
  return m;
}

struct Timing {
  double per_shape[8] = {};  // seconds per call, summed over the layers run
  double total = 0;          // seconds for a whole model pass
};

// A failed product would time nothing: it ends the benchmark.
void MatMulOrExit(const WeightView& w, const std::vector<float>& x, int n_tokens, std::vector<float>& y,
                  ss::ThreadPool* pool, std::vector<uint8_t>& scratch) {
  const ss::Status s = ss::engine::MatMul(w, x.data(), n_tokens, y.data(), pool, &scratch);
  if (!s.ok()) {
    std::fprintf(stderr, "bench_kernels: %s\n", s.message().c_str());
    std::exit(1);
  }
}

// One forward's matmuls over `layers` layers plus the output matrix.
Timing RunPass(const Model& m, int layers, int n_tokens, ss::ThreadPool* pool, std::vector<float>& x,
               std::vector<float>& y, std::vector<uint8_t>& scratch) {
  Timing t;
  const double start = Now();
  for (int l = 0; l < layers; ++l) {
    for (int s = 0; s < 7; ++s) {
      const Shape& sh = kLayerShapes[s];
      const WeightView w{m.type, m.layer_weights[l * 7 + s].data(), sh.n_in, sh.n_out, m.group_rows};
      const double t0 = Now();
      MatMulOrExit(w, x, n_tokens, y, pool, scratch);
      t.per_shape[s] += Now() - t0;
    }
  }
  const WeightView w{m.type, m.output.data(), kOutput.n_in, kOutput.n_out, m.group_rows};
  const double t0 = Now();
  MatMulOrExit(w, x, n_tokens, y, pool, scratch);
  t.per_shape[7] = Now() - t0;
  t.total = Now() - start;
  return t;
}

const Target* FindTarget(TensorType type) {
  for (const Target& t : kTargets) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

void PrintShapeLine(const char* name, int64_t n_in, int64_t n_out, double decode_s, double prefill_s,
                    TensorType type) {
  const double bytes = static_cast<double>(ss::engine::RowBytes(type, n_in)) * n_out;
  const double flops = 2.0 * n_in * n_out * kPrefillTokens;
  std::printf("    %-9s %5lld -> %5lld   decode %7.1f us %6.1f GB/s   prefill(128) %8.2f ms %7.1f GFLOP/s\n",
              name, static_cast<long long>(n_in), static_cast<long long>(n_out), decode_s * 1e6,
              bytes / decode_s / 1e9, prefill_s * 1e3, flops / prefill_s / 1e9);
}

// The CPUs this process may run on, by number.
std::vector<int> UsableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  return cpus;
}

bool PinToCpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

// Decode from cache: one thread on each core in turn multiplies a 256-row
// attn_q-wide matrix (~300-550 KB, in L2) by one row, again and again, so
// memory plays no part: the GB/s the kernels could stream on that core if
// memory kept up. Decode reads 2 threads' worth of the probe's bandwidth, so
// the kernel needs about half of it here on each core. The cores of a shared
// VM differ and drift (seen with Q4_0: one core 73-81 GB/s, the other 44-58
// from one minute to the next), so each is shown.
void PrintInCacheDecode(TensorType type, int group_rows, const std::vector<float>& x) {
  constexpr int64_t kRows = 256;
  constexpr int kCalls = 2000, kReps = 5;
  const ss::HugePageBuffer w = MakeMatrix(type, kEmbd, kRows, group_rows);
  const WeightView v{type, w.data(), kEmbd, kRows, group_rows};
  std::vector<float> y(kRows);
  std::vector<uint8_t> scratch;
  std::printf("  decode from cache (%zu KB matrix, 1 thread):", w.size() / 1024);
  for (int cpu : UsableCpus()) {
    double best = 0;
    std::thread([&] {
      if (!PinToCpu(cpu)) return;
      for (int rep = 0; rep < kReps; ++rep) {
        const double t0 = Now();
        for (int i = 0; i < kCalls; ++i) MatMulOrExit(v, x, 1, y, nullptr, scratch);
        best = std::max(best, static_cast<double>(w.size()) * kCalls / (Now() - t0) / 1e9);
      }
    }).join();
    if (best > 0) std::printf("  cpu %d %.1f GB/s", cpu, best);
  }
  std::printf("\n");
}

void BenchType(TensorType type) {
  const Model m = MakeModel(type);
  std::vector<float> x(kPrefillTokens * kFf), y(kPrefillTokens * kVocab);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<float>(static_cast<int64_t>(Next() % 2001) - 1000) / 500.f;
  std::vector<uint8_t> scratch;
  std::printf("\n== %s  (%.0f MB of weights, kernels %s)\n", ss::gguf::TypeName(type), m.bytes / 1e6,
              ss::engine::IsaName(ss::engine::ActiveIsa()));
  PrintInCacheDecode(type, m.group_rows, x);
  for (int threads : {1, 2}) {
    ss::ThreadPool pool(threads);
    RunPass(m, kLayers, 1, &pool, x, y, scratch);  // warm-up
    Timing best;
    best.total = 1e9;
    for (int rep = 0; rep < 5; ++rep) {
      const Timing t = RunPass(m, kLayers, 1, &pool, x, y, scratch);
      if (t.total < best.total) best = t;
    }
    RunPass(m, 1, kPrefillTokens, &pool, x, y, scratch);  // warm-up
    const Timing pre = RunPass(m, kPrefillLayers, kPrefillTokens, &pool, x, y, scratch);
    std::printf("  %d thread%s\n", threads, threads > 1 ? "s" : "");
    for (int s = 0; s < 7; ++s) {
      const Shape& sh = kLayerShapes[s];
      PrintShapeLine(sh.name, sh.n_in, sh.n_out, best.per_shape[s] / kLayers,
                     pre.per_shape[s] / kPrefillLayers, type);
    }
    PrintShapeLine(kOutput.name, kOutput.n_in, kOutput.n_out, best.per_shape[7], pre.per_shape[7], type);
    const double decode_tok_s = 1.0 / best.total;
    double prefill_layer = 0;
    for (int s = 0; s < 7; ++s) prefill_layer += pre.per_shape[s] / kPrefillLayers;
    const double prefill_pass = prefill_layer * kLayers + pre.per_shape[7];
    const double prefill_tok_s = kPrefillTokens / prefill_pass;
    const double flops = 2.0 * (1.0 * kLayers * (2 * kEmbd * kEmbd + 2 * kEmbd * kKv + 3 * kEmbd * kFf) +
                                1.0 * kEmbd * kVocab);
    const Target* target = FindTarget(type);
    std::printf("  => decode  %6.1f tok/s (%5.1f GB/s of weights)", decode_tok_s, m.bytes / best.total / 1e9);
    if (target != nullptr && threads == 2) std::printf("   target >= %.0f tok/s", target->decode_tok_s);
    std::printf("\n  => prefill %6.1f tok/s (%5.1f GFLOP/s)", prefill_tok_s, flops * prefill_tok_s / 1e9);
    if (target != nullptr && threads == 2)
      std::printf("          target >= %.0f tok/s", target->prefill_tok_s);
    std::printf("\n     (matmuls only; attention and element-wise ops not included)\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<TensorType> types;
  for (int i = 1; i < argc; ++i) {
    TensorType t;
    if (!ss::gguf::ParseTensorType(argv[i], &t) || ss::engine::GetTypeTraits(t) == nullptr) {
      std::fprintf(stderr, "unsupported type: %s\n", argv[i]);
      return 2;
    }
    types.push_back(t);
  }
  if (types.empty()) types = {TensorType::Q8_0, TensorType::Q4_0, TensorType::Q4_K, TensorType::F16};
  std::printf("bench_kernels: TinyLlama-1.1B matmul shapes, %d layers, detected ISA %s, active %s\n", kLayers,
              ss::engine::IsaName(ss::engine::DetectedIsa()), ss::engine::IsaName(ss::engine::ActiveIsa()));
  std::printf(
      "targets (2 threads, whole engine): Q8_0 decode >= 17 tok/s (~20 GB/s), prefill >= 45 tok/s;\n"
      "                                   Q4_0 decode >= 28 tok/s, prefill >= 52 tok/s (~100 GFLOP/s)\n");
  for (TensorType t : types) BenchType(t);
  return 0;
}
