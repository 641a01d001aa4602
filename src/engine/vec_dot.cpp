// The ISA dispatch: which kernel table (vec_dot_scalar.cpp, vec_dot_avx2.cpp,
// vec_dot_avx512.cpp) serves, chosen once from the CPU and SHARDSWARM_ISA.

#include "engine/vec_dot.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "engine/vec_dot_internal.h"

namespace ss::engine {
namespace {

using gguf::TensorType;

struct Tables {
  internal::KernelTable by_isa[3];
  Isa detected = Isa::kScalar;
};

#if defined(__x86_64__)
// CPUID leaf 1, ECX bit 29: clang (14) has no "f16c" for __builtin_cpu_supports.
bool HasF16c() {
  unsigned a, b, c, d;
  return __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C) != 0;
}
#endif

Isa Detect() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
      __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx2") &&
      __builtin_cpu_supports("fma") && HasF16c()) {
    return Isa::kAvx512;
  }
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && HasF16c()) {
    return Isa::kAvx2;
  }
#endif
  return Isa::kScalar;
}

const Tables& GetTables() {
  static const Tables tables = [] {
    Tables t;
    t.detected = Detect();
    internal::FillScalarTable(&t.by_isa[0]);
    t.by_isa[1] = t.by_isa[0];
    if (t.detected >= Isa::kAvx2) internal::FillAvx2Table(&t.by_isa[1]);
    t.by_isa[2] = t.by_isa[1];
    if (t.detected >= Isa::kAvx512) internal::FillAvx512Table(&t.by_isa[2]);
    return t;
  }();
  return tables;
}

Isa IsaFromEnv(Isa detected) {
  const char* env = std::getenv("SHARDSWARM_ISA");
  if (env == nullptr) return detected;
  const std::string v(env);
  Isa want = detected;
  if (v == "scalar") want = Isa::kScalar;
  if (v == "avx2") want = Isa::kAvx2;
  if (v == "avx512") want = Isa::kAvx512;
  return want < detected ? want : detected;
}

std::atomic<int>& ActiveIsaSlot() {
  static std::atomic<int> slot{static_cast<int>(IsaFromEnv(GetTables().detected))};
  return slot;
}

const internal::KernelTable& ActiveTable() {
  return GetTables().by_isa[ActiveIsaSlot().load(std::memory_order_relaxed)];
}

int IndexOf(TensorType type) {
  switch (type) {
    case TensorType::F32:
      return internal::kF32;
    case TensorType::F16:
      return internal::kF16;
    case TensorType::BF16:
      return internal::kBF16;
    case TensorType::Q8_0:
      return internal::kQ8_0;
    case TensorType::Q4_0:
      return internal::kQ4_0;
    case TensorType::Q4_K:
      return internal::kQ4_K;
    case TensorType::Q6_K:
      return internal::kQ6_K;
    default:
      return -1;
  }
}

}  // namespace

namespace internal {

WeightedSumF16Fn ActiveWeightedSumF16() { return ActiveTable().weighted_sum_f16; }
WeightedSumF32Fn ActiveWeightedSumF32() { return ActiveTable().weighted_sum_f32; }
SiluMulFn ActiveSiluMul() { return ActiveTable().silu_mul; }
SoftmaxFn ActiveSoftmax() { return ActiveTable().softmax; }

}  // namespace internal

const char* IsaName(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return "scalar";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
  }
  return "?";
}

Isa DetectedIsa() { return GetTables().detected; }
Isa ActiveIsa() { return static_cast<Isa>(ActiveIsaSlot().load(std::memory_order_relaxed)); }

void SetActiveIsa(Isa isa) {
  const Isa clamped = isa < DetectedIsa() ? isa : DetectedIsa();
  ActiveIsaSlot().store(static_cast<int>(clamped), std::memory_order_relaxed);
}

const TypeTraits* GetTypeTraits(TensorType type) {
  const int i = IndexOf(type);
  return i < 0 ? nullptr : &ActiveTable().traits[i];
}

const TypeTraits* GetTypeTraits(TensorType type, Isa isa) {
  const int i = IndexOf(type);
  if (i < 0 || isa > DetectedIsa()) return nullptr;
  return &GetTables().by_isa[static_cast<int>(isa)].traits[i];
}

void SumX8InPanels(const TypeTraits& tt, int64_t n, const void* a_row, int c, int nc, void* sums) {
  const auto* a = static_cast<const uint8_t*>(a_row);
  auto* out = static_cast<uint8_t*>(sums);
  for (int64_t p0 = 0; p0 < n; p0 += kPanelElements) {
    const int64_t width = std::min(kPanelElements, n - p0);
    tt.sum_x8(width, a + RowBytes(tt.act_type, p0), out + tt.SumX8Bytes(p0) * nc + tt.SumX8Bytes(width) * c);
  }
}

void FloatToHalfRow(const float* x, uint16_t* y, int64_t n) { ActiveTable().fp32_to_fp16(x, y, n); }
void HalfToFloatRow(const uint16_t* x, float* y, int64_t n) { ActiveTable().fp16_to_fp32(x, y, n); }
void FloatToBf16Row(const float* x, uint16_t* y, int64_t n) { ActiveTable().fp32_to_bf16(x, y, n); }

}  // namespace ss::engine
