#pragma once
// A validated view of a GGUF v2/v3 file. Open() memory-maps the file and checks
// everything before anything is used: magic, version, counts, every string and
// array length, value types, tensor dims and their product, type ids, offsets,
// alignment, that every tensor's bytes lie inside the file and that no two
// overlap. A failure is an error naming the field and its byte offset.
// Tensor data stays in the map: data() pointers are valid while the File lives.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "gguf/types.h"
#include "gguf/value.h"
#include "util/mapped_file.h"
#include "util/status.h"

namespace ss::gguf {

inline constexpr uint32_t kMagic = 0x46554747;  // "GGUF" little-endian
inline constexpr uint32_t kDefaultAlignment = 32;
inline constexpr uint32_t kMaxDims = 4;

struct TensorInfo {
  std::string name;
  std::vector<uint64_t> dims;  // ne[0] first: ne[0] is the contiguous row length
  TensorType type = TensorType::F32;
  uint64_t offset = 0;  // relative to the start of the data section
  uint64_t size = 0;    // bytes
  const uint8_t* data = nullptr;

  uint64_t elements() const;
  uint64_t rows() const { return dims.empty() ? 1 : elements() / dims[0]; }
  std::string ShapeString() const;  // "[256, 32000]"
};

class File {
 public:
  // kResident puts the tensor data on a 64-byte boundary (a tensor whose
  // offset in it is a multiple of 64 starts on a cache line).
  static Result<std::unique_ptr<File>> Open(const std::string& path, FileLoad load = FileLoad::kMapped);
  // Parses bytes owned by the caller (kept alive while the File is used).
  static Result<std::unique_ptr<File>> Parse(const uint8_t* data, size_t size, std::string name = "<memory>");

  const std::string& path() const { return name_; }
  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }  // absolute start of tensor data
  uint64_t file_size() const { return size_; }
  const uint8_t* bytes() const { return bytes_; }
  // The bytes of a file opened FileLoad::kResident, writable (the engine
  // rewrites weights for its kernels); nullptr otherwise.
  uint8_t* mutable_bytes() const { return map_ ? map_->mutable_data() : nullptr; }
  // After a streaming pass: drop these mapped pages from memory (no-op for Parse()).
  void ReleasePages(const uint8_t* p, size_t n) const {
    if (map_) map_->Release(p, n);
  }

  const std::vector<KeyValue>& metadata() const { return kvs_; }
  const Value* Find(const std::string& key) const;
  // Typed lookups that explain a missing or mistyped key.
  Result<int64_t> GetInt(const std::string& key) const;
  Result<double> GetFloat(const std::string& key) const;
  Result<std::string> GetString(const std::string& key) const;
  std::string GetStringOr(const std::string& key, const std::string& fallback) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* FindTensor(const std::string& name) const;

 private:
  File() = default;
  Status ParseAll();

  std::unique_ptr<MappedFile> map_;
  std::string name_;
  const uint8_t* bytes_ = nullptr;
  uint64_t size_ = 0;
  uint32_t version_ = 0;
  uint32_t alignment_ = kDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::vector<KeyValue> kvs_;
  std::unordered_map<std::string, size_t> kv_index_;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string, size_t> tensor_index_;
};

// The layer count ("{general.architecture}.block_count") of a model file.
Result<int> LayerCount(const File& file);

}  // namespace ss::gguf
