#pragma once
// Writes a GGUF v3 file in one forward pass and constant memory: describe the
// metadata and tensors, Begin() writes the header, then Append() streams the
// tensor data in declaration order (in pieces of any size) and Finish() checks
// that every tensor got exactly its bytes. Alignment follows
// 'general.alignment' when set (default 32); padding is zeros.

#include <cstdint>
#include <string>
#include <vector>

#include "gguf/types.h"
#include "gguf/value.h"
#include "util/file_io.h"
#include "util/status.h"

namespace ss::gguf {

class Writer {
 public:
  // Appends a key, or replaces the value of an existing one in place.
  void SetMetadata(const std::string& key, Value value);
  // dims ne[0] first. Fails on a row length that does not fit the type's block.
  Status AddTensor(const std::string& name, const std::vector<uint64_t>& dims, TensorType type);

  Status Begin(OutputFile* out);
  Status Append(const void* data, size_t n);
  Status Finish();

  uint64_t TotalSize() const;  // header + data, known before Begin()
  const std::vector<KeyValue>& metadata() const { return kvs_; }

 private:
  struct Planned {
    std::string name;
    std::vector<uint64_t> dims;
    TensorType type;
    uint64_t offset;
    uint64_t size;
  };
  uint32_t Alignment() const;
  std::string EncodeHeader() const;
  uint64_t AlignUp(uint64_t n) const;

  std::vector<KeyValue> kvs_;
  std::vector<Planned> tensors_;
  OutputFile* out_ = nullptr;
  size_t current_ = 0;         // tensor being streamed
  uint64_t current_done_ = 0;  // its bytes written so far
};

}  // namespace ss::gguf
