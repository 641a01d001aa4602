#pragma once
// GGUF metadata value types and ggml tensor types. The tensor type table gives
// each type's block size (elements) and bytes per block, which is all the
// reader and the splitter need: a file of any type llama.cpp writes can be read
// and split even where the engine cannot compute with that type.

#include <cstddef>
#include <cstdint>
#include <string>

namespace ss::gguf {

enum class ValueType : uint32_t {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
};
inline constexpr uint32_t kValueTypeCount = 13;
const char* ValueTypeName(ValueType t);
// Encoded size of a scalar value type; 0 for STRING and ARRAY.
size_t ValueTypeSize(ValueType t);

// ggml type ids as stored in GGUF tensor infos.
enum class TensorType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
};

struct TensorTypeInfo {
  const char* name;     // nullptr for ids that are not (or no longer) types
  uint32_t block_size;  // elements per block
  uint32_t type_size;   // bytes per block
};

// Info for a raw type id; name == nullptr when the id is unknown.
TensorTypeInfo TypeInfo(uint32_t id);
inline TensorTypeInfo TypeInfo(TensorType t) { return TypeInfo(static_cast<uint32_t>(t)); }
const char* TypeName(TensorType t);
// Parses "f32", "Q8_0", ... (case-insensitive); false if unknown.
bool ParseTensorType(const std::string& name, TensorType* out);

}  // namespace ss::gguf
