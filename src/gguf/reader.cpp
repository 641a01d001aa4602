#include "gguf/reader.h"

#include <algorithm>
#include <cstring>
#include <sstream>
#include <type_traits>

namespace ss::gguf {
namespace {

// Every GGUF string and array count is preceded by a uint64 length.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;              // empty key, type, 1-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;  // empty name, n_dims, type, offset

// Sequential little-endian reader over untrusted bytes; never reads past end.
class Cursor {
 public:
  Cursor(const uint8_t* data, uint64_t size) : data_(data), size_(size) {}
  uint64_t pos() const { return pos_; }
  uint64_t left() const { return size_ - pos_; }

  template <typename T>
  Status Read(T* out, const std::string& field) {
    if (left() < sizeof(T)) return Truncated(field, sizeof(T));
    std::memcpy(out, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return Status::Ok();
  }

  Status ReadString(std::string* out, const std::string& field) {
    uint64_t at = pos_;
    uint64_t len = 0;
    SS_RETURN_IF_ERROR(Read(&len, field + " length"));
    if (len > left())
      return Error(at, field + " length " + std::to_string(len) + " exceeds the " + std::to_string(left()) +
                           " bytes left in the file");
    out->assign(reinterpret_cast<const char*>(data_ + pos_), static_cast<size_t>(len));
    pos_ += len;
    return Status::Ok();
  }

  Status Error(uint64_t at, const std::string& what) const {
    return Status::Error("offset " + std::to_string(at) + ": " + what);
  }
  Status Truncated(const std::string& field, uint64_t need) const {
    return Error(pos_, "file truncated in " + field + " (needs " + std::to_string(need) + " bytes, " +
                           std::to_string(left()) + " left)");
  }

 private:
  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
};

// Reads one scalar of type T into raw 64-bit form: signed types sign-extended,
// FLOAT32 widened to the bits of a double.
template <typename T>
Status ReadAs(Cursor& c, const std::string& field, uint64_t* bits) {
  T v{};
  SS_RETURN_IF_ERROR(c.Read(&v, field));
  if constexpr (std::is_same_v<T, float>) {
    double d = v;
    std::memcpy(bits, &d, 8);
  } else if constexpr (std::is_signed_v<T>) {
    *bits = static_cast<uint64_t>(static_cast<int64_t>(v));
  } else {
    *bits = static_cast<uint64_t>(v);
  }
  return Status::Ok();
}

Status ReadScalarBits(Cursor& c, ValueType type, const std::string& field, uint64_t* bits) {
  switch (type) {
    case ValueType::UINT8:
      return ReadAs<uint8_t>(c, field, bits);
    case ValueType::INT8:
      return ReadAs<int8_t>(c, field, bits);
    case ValueType::UINT16:
      return ReadAs<uint16_t>(c, field, bits);
    case ValueType::INT16:
      return ReadAs<int16_t>(c, field, bits);
    case ValueType::UINT32:
      return ReadAs<uint32_t>(c, field, bits);
    case ValueType::INT32:
      return ReadAs<int32_t>(c, field, bits);
    case ValueType::FLOAT32:
      return ReadAs<float>(c, field, bits);
    case ValueType::UINT64:
    case ValueType::INT64:
    case ValueType::FLOAT64:
      return ReadAs<uint64_t>(c, field, bits);
    case ValueType::BOOL: {
      uint64_t at = c.pos();
      SS_RETURN_IF_ERROR(ReadAs<uint8_t>(c, field, bits));
      if (*bits > 1)
        return c.Error(at, field + ": bool value " + std::to_string(*bits) + " is neither 0 nor 1");
      return Status::Ok();
    }
    default:
      return c.Error(c.pos(), field + ": not a scalar type");
  }
}

Status ReadValue(Cursor& c, const std::string& field, Value* out) {
  uint64_t at = c.pos();
  uint32_t raw_type = 0;
  SS_RETURN_IF_ERROR(c.Read(&raw_type, field + " type"));
  if (raw_type >= kValueTypeCount)
    return c.Error(at, field + ": unknown value type " + std::to_string(raw_type));
  auto type = static_cast<ValueType>(raw_type);
  if (type == ValueType::STRING) {
    std::string s;
    SS_RETURN_IF_ERROR(c.ReadString(&s, field));
    *out = Value::String(std::move(s));
    return Status::Ok();
  }
  if (type != ValueType::ARRAY) {
    uint64_t bits = 0;
    SS_RETURN_IF_ERROR(ReadScalarBits(c, type, field, &bits));
    *out = Value::Scalar(type, bits);
    return Status::Ok();
  }
  uint64_t elem_at = c.pos();
  uint32_t raw_elem = 0;
  uint64_t count = 0;
  SS_RETURN_IF_ERROR(c.Read(&raw_elem, field + " array element type"));
  if (raw_elem == static_cast<uint32_t>(ValueType::ARRAY))
    return c.Error(elem_at, field + ": arrays of arrays are not supported");
  if (raw_elem >= kValueTypeCount)
    return c.Error(elem_at, field + ": unknown array element type " + std::to_string(raw_elem));
  uint64_t count_at = c.pos();
  SS_RETURN_IF_ERROR(c.Read(&count, field + " array length"));
  auto elem = static_cast<ValueType>(raw_elem);
  // Each element takes at least its scalar size (a string at least its 8-byte length).
  uint64_t min_elem = elem == ValueType::STRING ? 8 : ValueTypeSize(elem);
  if (count > c.left() / min_elem)
    return c.Error(count_at, field + ": array length " + std::to_string(count) + " of " +
                                 ValueTypeName(elem) + " cannot fit in the " + std::to_string(c.left()) +
                                 " bytes left");
  if (elem == ValueType::STRING) {
    std::vector<std::string> items(static_cast<size_t>(count));
    for (uint64_t i = 0; i < count; ++i)
      SS_RETURN_IF_ERROR(c.ReadString(&items[i], field + "[" + std::to_string(i) + "]"));
    *out = Value::StringArray(std::move(items));
  } else {
    std::vector<uint64_t> items(static_cast<size_t>(count));
    for (uint64_t i = 0; i < count; ++i)
      SS_RETURN_IF_ERROR(ReadScalarBits(c, elem, field + "[" + std::to_string(i) + "]", &items[i]));
    *out = Value::NumberArray(elem, std::move(items));
  }
  return Status::Ok();
}

// Magic, version and the two counts, each count bounded by the bytes left.
Status ReadHeader(Cursor& c, uint32_t* version, uint64_t* tensor_count, uint64_t* kv_count) {
  uint32_t magic = 0;
  SS_RETURN_IF_ERROR(c.Read(&magic, "magic"));
  if (magic != kMagic) return c.Error(0, "bad magic: not a GGUF file");
  SS_RETURN_IF_ERROR(c.Read(version, "version"));
  if (*version != 2 && *version != 3)
    return c.Error(4, "unsupported GGUF version " + std::to_string(*version) + " (supported: 2, 3)");
  SS_RETURN_IF_ERROR(c.Read(tensor_count, "tensor count"));
  SS_RETURN_IF_ERROR(c.Read(kv_count, "metadata count"));
  if (*kv_count > c.left() / kMinKvBytes)
    return c.Error(16, "metadata count " + std::to_string(*kv_count) + " cannot fit in the file");
  if (*tensor_count > c.left() / kMinTensorInfoBytes)
    return c.Error(8, "tensor count " + std::to_string(*tensor_count) + " cannot fit in the file");
  return Status::Ok();
}

Status ReadKeyValue(Cursor& c, uint64_t i, KeyValue* kv) {
  const uint64_t at = c.pos();
  const std::string field = "metadata #" + std::to_string(i);
  SS_RETURN_IF_ERROR(c.ReadString(&kv->key, field + " key"));
  if (kv->key.empty()) return c.Error(at, field + ": empty key");
  return ReadValue(c, "metadata '" + kv->key + "'", &kv->value);
}

// general.alignment, when present: a uint32 power of two.
Status ReadAlignment(const Value* a, uint32_t* alignment) {
  if (a == nullptr) return Status::Ok();
  if (a->type() != ValueType::UINT32)
    return Status::Error("metadata 'general.alignment' must be uint32, not " +
                         std::string(ValueTypeName(a->type())));
  const uint64_t v = a->AsUint();
  if (v == 0 || (v & (v - 1)) != 0)
    return Status::Error("metadata 'general.alignment' = " + std::to_string(v) + " is not a power of two");
  *alignment = static_cast<uint32_t>(v);
  return Status::Ok();
}

// Tensor #i's name, shape, type and offset; its size in bytes computed
// without overflow.
Status ReadTensorInfo(Cursor& c, uint64_t i, uint32_t alignment, TensorInfo* t) {
  const uint64_t at = c.pos();
  SS_RETURN_IF_ERROR(c.ReadString(&t->name, "tensor #" + std::to_string(i) + " name"));
  const std::string field = "tensor '" + t->name + "'";
  uint32_t n_dims = 0;
  SS_RETURN_IF_ERROR(c.Read(&n_dims, field + " n_dims"));
  if (n_dims == 0 || n_dims > kMaxDims)
    return c.Error(c.pos() - 4, field + ": n_dims " + std::to_string(n_dims) + " is not in 1..4");
  uint64_t product = 1;
  for (uint32_t d = 0; d < n_dims; ++d) {
    uint64_t dim = 0;
    SS_RETURN_IF_ERROR(c.Read(&dim, field + " dim " + std::to_string(d)));
    if (dim == 0 || dim > (uint64_t{1} << 62))
      return c.Error(c.pos() - 8,
                     field + ": dim " + std::to_string(d) + " = " + std::to_string(dim) + " is out of range");
    if (product > (uint64_t{INT64_MAX} / dim))
      return c.Error(c.pos() - 8, field + ": element count overflows 63 bits");
    product *= dim;
    t->dims.push_back(dim);
  }
  uint32_t raw_type = 0;
  SS_RETURN_IF_ERROR(c.Read(&raw_type, field + " type"));
  const TensorTypeInfo ti = TypeInfo(raw_type);
  if (!ti.name) return c.Error(c.pos() - 4, field + ": unknown tensor type id " + std::to_string(raw_type));
  t->type = static_cast<TensorType>(raw_type);
  if (t->dims[0] % ti.block_size != 0)
    return c.Error(at, field + ": row length " + std::to_string(t->dims[0]) + " is not a multiple of the " +
                           ti.name + " block size " + std::to_string(ti.block_size));
  // Checked before multiplying: the byte size must fit 64 bits.
  if (product / ti.block_size > UINT64_MAX / ti.type_size)
    return c.Error(at, field + ": its size in bytes overflows 64 bits");
  t->size = product / ti.block_size * ti.type_size;
  SS_RETURN_IF_ERROR(c.Read(&t->offset, field + " offset"));
  if (t->offset % alignment != 0)
    return c.Error(c.pos() - 8, field + ": data offset " + std::to_string(t->offset) +
                                    " is not a multiple of the alignment " + std::to_string(alignment));
  return Status::Ok();
}

// Points each tensor at its data, which must lie inside the file's data
// section and overlap no other tensor's.
Status PlaceTensorData(const uint8_t* bytes, uint64_t size, uint64_t data_offset,
                       std::vector<TensorInfo>* tensors) {
  const uint64_t data_size = size >= data_offset ? size - data_offset : 0;
  std::vector<const TensorInfo*> by_offset;
  for (TensorInfo& t : *tensors) {
    if (t.offset > data_size || t.size > data_size - t.offset)
      return Status::Error("tensor '" + t.name + "': data [" + std::to_string(data_offset + t.offset) + ", " +
                           std::to_string(data_offset + t.offset + t.size) + ") lies outside the file (" +
                           std::to_string(size) + " bytes): file truncated or corrupt");
    t.data = bytes + data_offset + t.offset;
    by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const TensorInfo* p = by_offset[i - 1];
    const TensorInfo* q = by_offset[i];
    if (p->offset + p->size > q->offset)
      return Status::Error("tensors '" + p->name + "' and '" + q->name + "' overlap at data offset " +
                           std::to_string(data_offset + q->offset));
  }
  return Status::Ok();
}

}  // namespace

uint64_t TensorInfo::elements() const {
  uint64_t n = 1;
  for (uint64_t d : dims) n *= d;
  return n;
}

std::string TensorInfo::ShapeString() const {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < dims.size(); ++i) os << (i ? ", " : "") << dims[i];
  os << "]";
  return os.str();
}

Result<std::unique_ptr<File>> File::Open(const std::string& path, FileLoad load) {
  // The tensor data's offset comes from parsing the header, of a map first:
  // GGUF aligns tensors to 32 bytes, and the 16-row kernels' 64-byte loads
  // that straddle two cache lines streamed 5-17 % slower (Q4_K_M decode,
  // separate runs with and without a software prefetch).
  uint64_t aligned_offset = 0;
  if (load == FileLoad::kResident) {
    auto mapped = Open(path, FileLoad::kMapped);
    if (!mapped.ok()) return mapped.status();
    aligned_offset = (*mapped)->data_offset();
  }
  auto map = MappedFile::Open(path, load, aligned_offset);
  if (!map.ok()) return map.status();
  std::unique_ptr<File> f(new File());
  f->name_ = path;
  f->bytes_ = (*map)->data();
  f->size_ = (*map)->size();
  f->map_ = std::move(map.value());
  Status s = f->ParseAll();
  if (!s.ok()) return s.Context(path);
  return f;
}

Result<std::unique_ptr<File>> File::Parse(const uint8_t* data, size_t size, std::string name) {
  std::unique_ptr<File> f(new File());
  f->name_ = std::move(name);
  f->bytes_ = data;
  f->size_ = size;
  Status s = f->ParseAll();
  if (!s.ok()) return s.Context(f->name_);
  return f;
}

Status File::ParseAll() {
  Cursor c(bytes_, size_);
  uint64_t tensor_count = 0, kv_count = 0;
  SS_RETURN_IF_ERROR(ReadHeader(c, &version_, &tensor_count, &kv_count));
  kvs_.reserve(static_cast<size_t>(kv_count));
  for (uint64_t i = 0; i < kv_count; ++i) {
    const uint64_t at = c.pos();
    KeyValue kv;
    SS_RETURN_IF_ERROR(ReadKeyValue(c, i, &kv));
    if (!kv_index_.emplace(kv.key, kvs_.size()).second)
      return c.Error(at, "metadata key '" + kv.key + "' appears twice");
    kvs_.push_back(std::move(kv));
  }
  SS_RETURN_IF_ERROR(ReadAlignment(Find("general.alignment"), &alignment_));
  tensors_.reserve(static_cast<size_t>(tensor_count));
  for (uint64_t i = 0; i < tensor_count; ++i) {
    const uint64_t at = c.pos();
    TensorInfo t;
    SS_RETURN_IF_ERROR(ReadTensorInfo(c, i, alignment_, &t));
    if (!tensor_index_.emplace(t.name, tensors_.size()).second)
      return c.Error(at, "tensor name '" + t.name + "' appears twice");
    tensors_.push_back(std::move(t));
  }
  data_offset_ = (c.pos() + alignment_ - 1) / alignment_ * alignment_;
  if (data_offset_ > size_ && !tensors_.empty())
    return c.Error(c.pos(), "file truncated before the tensor data section");
  return PlaceTensorData(bytes_, size_, data_offset_, &tensors_);
}

const Value* File::Find(const std::string& key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kvs_[it->second].value;
}

Result<int64_t> File::GetInt(const std::string& key) const {
  const Value* v = Find(key);
  if (!v) return Status::Error(name_ + ": metadata key '" + key + "' is missing");
  if (!v->is_integer()) return Status::Error(name_ + ": metadata key '" + key + "' is not an integer");
  return v->AsInt();
}

Result<double> File::GetFloat(const std::string& key) const {
  const Value* v = Find(key);
  if (!v) return Status::Error(name_ + ": metadata key '" + key + "' is missing");
  if (!v->is_float() && !v->is_integer())
    return Status::Error(name_ + ": metadata key '" + key + "' is not a number");
  return v->AsDouble();
}

Result<std::string> File::GetString(const std::string& key) const {
  const Value* v = Find(key);
  if (!v) return Status::Error(name_ + ": metadata key '" + key + "' is missing");
  if (!v->is_string()) return Status::Error(name_ + ": metadata key '" + key + "' is not a string");
  return v->AsString();
}

std::string File::GetStringOr(const std::string& key, const std::string& fallback) const {
  const Value* v = Find(key);
  return v && v->is_string() ? v->AsString() : fallback;
}

const TensorInfo* File::FindTensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

Result<int> LayerCount(const gguf::File& file) {
  auto arch = file.GetString("general.architecture");
  if (!arch.ok()) return arch.status();
  auto n = file.GetInt(*arch + ".block_count");
  if (!n.ok()) return n.status();
  if (*n <= 0 || *n > 100000)
    return Status::Error(file.path() + ": '" + *arch + ".block_count' = " + std::to_string(*n) +
                         " is not a valid layer count");
  return static_cast<int>(*n);
}

}  // namespace ss::gguf
