#pragma once
// A whole file in memory, read-only, in one of two ways:
// - kMapped: a memory map. Pages are loaded on first touch, so opening a
//   multi-gigabyte model costs nothing until its tensors are read.
// - kResident: read at once into a HugePageBuffer, for weights a forward
//   pass streams through every token (a map of a file the page cache holds
//   in 4 KiB pages, one just written by `shard split` or a download, measured
//   30 % slower). This memory is private, and writable through
//   mutable_data(): the engine rewrites some weights into its kernels'
//   layout in place. Byte `aligned_offset` of the file lands on a 64-byte
//   boundary (a cache line), so 64-byte loads from there do not straddle two.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "util/huge_pages.h"
#include "util/status.h"

namespace ss {

enum class FileLoad { kMapped, kResident };

class MappedFile {
 public:
  static Result<std::unique_ptr<MappedFile>> Open(const std::string& path, FileLoad load = FileLoad::kMapped,
                                                  uint64_t aligned_offset = 0);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  // The bytes of a kResident file, for rewriting in place; nullptr for a map.
  uint8_t* mutable_data() const {
    return resident_.data() != nullptr ? const_cast<uint8_t*>(data_) : nullptr;
  }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Drops the pages of [p, p + n) from this process's memory (they stay in the
  // page cache); lets a streaming pass over a huge file run in constant RSS.
  // A no-op for kResident (its memory is the only copy).
  void Release(const void* p, size_t n) const;

 private:
  MappedFile(std::string path, const uint8_t* data, size_t size, void* map, HugePageBuffer resident)
      : path_(std::move(path)), data_(data), size_(size), map_(map), resident_(std::move(resident)) {}
  static Result<std::unique_ptr<MappedFile>> ReadResident(const std::string& path, int fd, size_t size,
                                                          size_t lead);

  std::string path_;
  const uint8_t* data_;
  size_t size_;
  void* map_;                // what munmap releases (kMapped)
  HugePageBuffer resident_;  // the bytes (kResident)
};

}  // namespace ss
