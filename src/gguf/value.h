#pragma once
// One GGUF metadata value: a scalar, a string, or a flat array of either.
// Numbers keep their exact GGUF type so a value written back is byte-identical.

#include <cstdint>
#include <string>
#include <vector>

#include "gguf/types.h"

namespace ss::gguf {

class Value {
 public:
  Value() = default;
  static Value U32(uint32_t v) { return Scalar(ValueType::UINT32, v); }
  static Value I32(int32_t v) {
    return Scalar(ValueType::INT32, static_cast<uint64_t>(static_cast<int64_t>(v)));
  }
  static Value U64(uint64_t v) { return Scalar(ValueType::UINT64, v); }
  static Value F32(float v);
  static Value Bool(bool v) { return Scalar(ValueType::BOOL, v ? 1 : 0); }
  static Value String(std::string s);
  // Scalar from raw bits: unsigned types zero-extended, signed sign-extended,
  // FLOAT32/FLOAT64 as the bits of a double.
  static Value Scalar(ValueType type, uint64_t bits);
  static Value StringArray(std::vector<std::string> items);
  static Value NumberArray(ValueType elem, std::vector<uint64_t> bits);
  static Value F32Array(const std::vector<float>& items);
  static Value I32Array(const std::vector<int32_t>& items);

  ValueType type() const { return type_; }
  ValueType elem_type() const { return elem_; }  // for arrays
  bool is_array() const { return type_ == ValueType::ARRAY; }
  bool is_string() const { return type_ == ValueType::STRING; }
  bool is_integer() const;
  bool is_float() const { return type_ == ValueType::FLOAT32 || type_ == ValueType::FLOAT64; }

  // Numeric access (any numeric scalar type converts).
  int64_t AsInt() const;
  uint64_t AsUint() const { return static_cast<uint64_t>(AsInt()); }
  double AsDouble() const;
  bool AsBool() const { return bits_ != 0; }
  const std::string& AsString() const { return str_; }

  size_t ArraySize() const { return elem_ == ValueType::STRING ? strs_.size() : nums_.size(); }
  const std::vector<std::string>& Strings() const { return strs_; }
  int64_t IntAt(size_t i) const { return static_cast<int64_t>(nums_[i]); }
  double DoubleAt(size_t i) const;
  const std::vector<uint64_t>& RawNumbers() const { return nums_; }
  uint64_t RawBits() const { return bits_; }

  // Human-readable, arrays abbreviated ("[32000 × string]").
  std::string ToString() const;

  bool operator==(const Value& o) const {
    return type_ == o.type_ && elem_ == o.elem_ && bits_ == o.bits_ && str_ == o.str_ && strs_ == o.strs_ &&
           nums_ == o.nums_;
  }

 private:
  ValueType type_ = ValueType::UINT8;
  ValueType elem_ = ValueType::UINT8;
  uint64_t bits_ = 0;
  std::string str_;
  std::vector<std::string> strs_;
  std::vector<uint64_t> nums_;
};

struct KeyValue {
  std::string key;
  Value value;
  bool operator==(const KeyValue& o) const { return key == o.key && value == o.value; }
};

}  // namespace ss::gguf
