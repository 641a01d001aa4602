#include "util/huge_pages.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace ss {

Result<HugePageBuffer> HugePageBuffer::Allocate(size_t size) {
  constexpr size_t kHuge = size_t{2} << 20;
  HugePageBuffer b;
  if (size == 0) return b;
  // Rounded up to whole huge pages, plus one for the alignment.
  const size_t rounded = (size + kHuge - 1) / kHuge * kHuge;
  void* region = ::mmap(nullptr, rounded + kHuge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (region == MAP_FAILED)
    return Status::Error("cannot allocate " + std::to_string(size >> 20) + " MiB: " + std::strerror(errno));
  b.region_ = region;
  b.region_size_ = rounded + kHuge;
  b.data_ = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(region) + kHuge - 1) / kHuge * kHuge);
  b.size_ = size;
  ::madvise(b.data_, rounded, MADV_HUGEPAGE);
  return b;
}

HugePageBuffer::~HugePageBuffer() {
  if (region_ != nullptr) ::munmap(region_, region_size_);
}

HugePageBuffer::HugePageBuffer(HugePageBuffer&& other) noexcept { *this = std::move(other); }

HugePageBuffer& HugePageBuffer::operator=(HugePageBuffer&& other) noexcept {
  if (this != &other) {
    if (region_ != nullptr) ::munmap(region_, region_size_);
    region_ = std::exchange(other.region_, nullptr);
    region_size_ = std::exchange(other.region_size_, 0);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

}  // namespace ss
