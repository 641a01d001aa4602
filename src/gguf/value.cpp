#include "gguf/value.h"

#include <cstring>
#include <sstream>

namespace ss::gguf {
namespace {
double BitsToDouble(uint64_t b) {
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}
uint64_t DoubleToBits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}
}  // namespace

Value Value::Scalar(ValueType type, uint64_t bits) {
  Value v;
  v.type_ = type;
  v.bits_ = bits;
  return v;
}

Value Value::F32(float f) { return Scalar(ValueType::FLOAT32, DoubleToBits(f)); }

Value Value::String(std::string s) {
  Value v;
  v.type_ = ValueType::STRING;
  v.str_ = std::move(s);
  return v;
}

Value Value::StringArray(std::vector<std::string> items) {
  Value v;
  v.type_ = ValueType::ARRAY;
  v.elem_ = ValueType::STRING;
  v.strs_ = std::move(items);
  return v;
}

Value Value::NumberArray(ValueType elem, std::vector<uint64_t> bits) {
  Value v;
  v.type_ = ValueType::ARRAY;
  v.elem_ = elem;
  v.nums_ = std::move(bits);
  return v;
}

Value Value::F32Array(const std::vector<float>& items) {
  std::vector<uint64_t> bits;
  bits.reserve(items.size());
  for (float f : items) bits.push_back(DoubleToBits(f));
  return NumberArray(ValueType::FLOAT32, std::move(bits));
}

Value Value::I32Array(const std::vector<int32_t>& items) {
  std::vector<uint64_t> bits;
  bits.reserve(items.size());
  for (int32_t i : items) bits.push_back(static_cast<uint64_t>(static_cast<int64_t>(i)));
  return NumberArray(ValueType::INT32, std::move(bits));
}

bool Value::is_integer() const {
  return !is_float() && type_ != ValueType::STRING && type_ != ValueType::ARRAY;
}

int64_t Value::AsInt() const {
  return is_float() ? static_cast<int64_t>(BitsToDouble(bits_)) : static_cast<int64_t>(bits_);
}

double Value::AsDouble() const {
  if (is_float()) return BitsToDouble(bits_);
  if (type_ == ValueType::UINT64) return static_cast<double>(bits_);
  return static_cast<double>(static_cast<int64_t>(bits_));
}

double Value::DoubleAt(size_t i) const {
  if (elem_ == ValueType::FLOAT32 || elem_ == ValueType::FLOAT64) return BitsToDouble(nums_[i]);
  return static_cast<double>(static_cast<int64_t>(nums_[i]));
}

std::string Value::ToString() const {
  std::ostringstream os;
  switch (type_) {
    case ValueType::STRING:
      os << '"' << (str_.size() > 60 ? str_.substr(0, 60) + "…" : str_) << '"';
      break;
    case ValueType::ARRAY:
      os << "[" << ArraySize() << " × " << ValueTypeName(elem_) << "]";
      break;
    case ValueType::BOOL:
      os << (bits_ ? "true" : "false");
      break;
    case ValueType::FLOAT32:
    case ValueType::FLOAT64:
      os << AsDouble();
      break;
    case ValueType::UINT64:
      os << bits_;
      break;
    default:
      os << AsInt();
  }
  return os.str();
}

}  // namespace ss::gguf
