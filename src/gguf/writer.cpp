#include "gguf/writer.h"

#include <algorithm>
#include <cstring>

namespace ss::gguf {
namespace {

template <typename T>
void Put(std::string* out, T v) {
  out->append(reinterpret_cast<const char*>(&v), sizeof(T));
}

void PutString(std::string* out, const std::string& s) {
  Put<uint64_t>(out, s.size());
  out->append(s);
}

void PutScalar(std::string* out, ValueType type, uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, 8);
  switch (type) {
    case ValueType::UINT8:
    case ValueType::INT8:
    case ValueType::BOOL:
      Put<uint8_t>(out, static_cast<uint8_t>(bits));
      break;
    case ValueType::UINT16:
    case ValueType::INT16:
      Put<uint16_t>(out, static_cast<uint16_t>(bits));
      break;
    case ValueType::UINT32:
    case ValueType::INT32:
      Put<uint32_t>(out, static_cast<uint32_t>(bits));
      break;
    case ValueType::FLOAT32:
      Put<float>(out, static_cast<float>(d));
      break;
    default:
      Put<uint64_t>(out, bits);
      break;  // UINT64, INT64, FLOAT64
  }
}

void PutValue(std::string* out, const Value& v) {
  Put<uint32_t>(out, static_cast<uint32_t>(v.type()));
  if (v.is_string()) {
    PutString(out, v.AsString());
  } else if (v.is_array()) {
    Put<uint32_t>(out, static_cast<uint32_t>(v.elem_type()));
    Put<uint64_t>(out, v.ArraySize());
    if (v.elem_type() == ValueType::STRING) {
      for (const std::string& s : v.Strings()) PutString(out, s);
    } else {
      for (uint64_t bits : v.RawNumbers()) PutScalar(out, v.elem_type(), bits);
    }
  } else {
    PutScalar(out, v.type(), v.RawBits());
  }
}

}  // namespace

void Writer::SetMetadata(const std::string& key, Value value) {
  for (KeyValue& kv : kvs_) {
    if (kv.key == key) {
      kv.value = std::move(value);
      return;
    }
  }
  kvs_.push_back({key, std::move(value)});
}

uint32_t Writer::Alignment() const {
  for (const KeyValue& kv : kvs_)
    if (kv.key == "general.alignment") return static_cast<uint32_t>(kv.value.AsUint());
  return 32;
}

uint64_t Writer::AlignUp(uint64_t n) const {
  uint64_t a = Alignment();
  return (n + a - 1) / a * a;
}

Status Writer::AddTensor(const std::string& name, const std::vector<uint64_t>& dims, TensorType type) {
  TensorTypeInfo ti = TypeInfo(type);
  if (!ti.name) return Status::Error("tensor '" + name + "': unknown type");
  if (dims.empty() || dims.size() > 4) return Status::Error("tensor '" + name + "': needs 1 to 4 dims");
  if (dims[0] % ti.block_size != 0)
    return Status::Error("tensor '" + name + "': row length " + std::to_string(dims[0]) +
                         " is not a multiple of the " + ti.name + " block size");
  uint64_t n = 1;
  for (uint64_t d : dims) n *= d;
  uint64_t offset = tensors_.empty() ? 0 : AlignUp(tensors_.back().offset + tensors_.back().size);
  tensors_.push_back({name, dims, type, offset, n / ti.block_size * ti.type_size});
  return Status::Ok();
}

std::string Writer::EncodeHeader() const {
  std::string h;
  Put<uint32_t>(&h, 0x46554747);
  Put<uint32_t>(&h, 3);
  Put<uint64_t>(&h, tensors_.size());
  Put<uint64_t>(&h, kvs_.size());
  for (const KeyValue& kv : kvs_) {
    PutString(&h, kv.key);
    PutValue(&h, kv.value);
  }
  for (const Planned& t : tensors_) {
    PutString(&h, t.name);
    Put<uint32_t>(&h, static_cast<uint32_t>(t.dims.size()));
    for (uint64_t d : t.dims) Put<uint64_t>(&h, d);
    Put<uint32_t>(&h, static_cast<uint32_t>(t.type));
    Put<uint64_t>(&h, t.offset);
  }
  h.resize(AlignUp(h.size()), '\0');
  return h;
}

uint64_t Writer::TotalSize() const {
  uint64_t data = tensors_.empty() ? 0 : AlignUp(tensors_.back().offset + tensors_.back().size);
  return EncodeHeader().size() + data;
}

Status Writer::Begin(OutputFile* out) {
  out_ = out;
  current_ = 0;
  current_done_ = 0;
  std::string h = EncodeHeader();
  return out_->Write(h.data(), h.size());
}

Status Writer::Append(const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (n > 0) {
    if (current_ >= tensors_.size()) return Status::Error("more tensor data than the tensors declared");
    const Planned& t = tensors_[current_];
    size_t take = static_cast<size_t>(std::min<uint64_t>(n, t.size - current_done_));
    SS_RETURN_IF_ERROR(out_->Write(p, take));
    p += take;
    n -= take;
    current_done_ += take;
    if (current_done_ == t.size) {
      SS_RETURN_IF_ERROR(out_->WriteZeros(static_cast<size_t>(AlignUp(t.size) - t.size)));
      ++current_;
      current_done_ = 0;
    }
  }
  return Status::Ok();
}

Status Writer::Finish() {
  if (current_ != tensors_.size())
    return Status::Error("tensor '" + tensors_[current_].name + "' got " + std::to_string(current_done_) +
                         " of its " + std::to_string(tensors_[current_].size) + " bytes");
  return Status::Ok();
}

}  // namespace ss::gguf
