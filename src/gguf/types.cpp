#include "gguf/types.h"

#include <algorithm>
#include <cctype>
#include <iterator>

namespace ss::gguf {
namespace {

struct Entry {
  uint32_t id;
  TensorTypeInfo info;
};

// Block layouts as defined by ggml (ggml-common.h); QK_K = 256.
constexpr Entry kTypes[] = {
    {0, {"F32", 1, 4}},         {1, {"F16", 1, 2}},         {2, {"Q4_0", 32, 18}},
    {3, {"Q4_1", 32, 20}},      {6, {"Q5_0", 32, 22}},      {7, {"Q5_1", 32, 24}},
    {8, {"Q8_0", 32, 34}},      {9, {"Q8_1", 32, 36}},      {10, {"Q2_K", 256, 84}},
    {11, {"Q3_K", 256, 110}},   {12, {"Q4_K", 256, 144}},   {13, {"Q5_K", 256, 176}},
    {14, {"Q6_K", 256, 210}},   {15, {"Q8_K", 256, 292}},   {16, {"IQ2_XXS", 256, 66}},
    {17, {"IQ2_XS", 256, 74}},  {18, {"IQ3_XXS", 256, 98}}, {19, {"IQ1_S", 256, 50}},
    {20, {"IQ4_NL", 32, 18}},   {21, {"IQ3_S", 256, 110}},  {22, {"IQ2_S", 256, 82}},
    {23, {"IQ4_XS", 256, 136}}, {24, {"I8", 1, 1}},         {25, {"I16", 1, 2}},
    {26, {"I32", 1, 4}},        {27, {"I64", 1, 8}},        {28, {"F64", 1, 8}},
    {29, {"IQ1_M", 256, 56}},   {30, {"BF16", 1, 2}},       {34, {"TQ1_0", 256, 54}},
    {35, {"TQ2_0", 256, 66}},
};

}  // namespace

const char* ValueTypeName(ValueType t) {
  static const char* kNames[] = {"uint8", "int8",   "uint16", "int16",  "uint32", "int32",  "float32",
                                 "bool",  "string", "array",  "uint64", "int64",  "float64"};
  auto i = static_cast<uint32_t>(t);
  return i < kValueTypeCount ? kNames[i] : "unknown";
}

size_t ValueTypeSize(ValueType t) {
  switch (t) {
    case ValueType::UINT8:
    case ValueType::INT8:
    case ValueType::BOOL:
      return 1;
    case ValueType::UINT16:
    case ValueType::INT16:
      return 2;
    case ValueType::UINT32:
    case ValueType::INT32:
    case ValueType::FLOAT32:
      return 4;
    case ValueType::UINT64:
    case ValueType::INT64:
    case ValueType::FLOAT64:
      return 8;
    default:
      return 0;
  }
}

TensorTypeInfo TypeInfo(uint32_t id) {
  for (const Entry& e : kTypes)
    if (e.id == id) return e.info;
  return {nullptr, 0, 0};
}

const char* TypeName(TensorType t) {
  const char* n = TypeInfo(t).name;
  return n ? n : "unknown";
}

bool ParseTensorType(const std::string& name, TensorType* out) {
  std::string upper;
  std::transform(name.begin(), name.end(), std::back_inserter(upper),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const Entry& e : kTypes) {
    if (upper == e.info.name) {
      *out = static_cast<TensorType>(e.id);
      return true;
    }
  }
  return false;
}

}  // namespace ss::gguf
