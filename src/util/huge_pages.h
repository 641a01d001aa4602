#pragma once
// Anonymous read-write memory aligned to 2 MiB and asked to be backed by
// transparent huge pages (madvise: a hint, plain pages where THP is off).
// Data a forward pass streams through every token belongs here: on 4 KiB
// pages every 4 KiB costs a TLB miss, and on a virtual machine each miss
// walks two page tables (decode measured 30 % slower on 4 KiB pages).

#include <cstddef>
#include <cstdint>

#include "util/status.h"

namespace ss {

class HugePageBuffer {
 public:
  // size bytes, zeroed; an error names the size and why mmap refused it.
  static Result<HugePageBuffer> Allocate(size_t size);

  HugePageBuffer() = default;  // empty
  ~HugePageBuffer();
  HugePageBuffer(HugePageBuffer&& other) noexcept;
  HugePageBuffer& operator=(HugePageBuffer&& other) noexcept;
  HugePageBuffer(const HugePageBuffer&) = delete;
  HugePageBuffer& operator=(const HugePageBuffer&) = delete;

  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void* region_ = nullptr;  // what munmap releases: the data and its alignment slack
  size_t region_size_ = 0;
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace ss
