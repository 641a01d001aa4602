#include "util/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ss {

Result<std::unique_ptr<MappedFile>> MappedFile::Open(const std::string& path, FileLoad load,
                                                     uint64_t aligned_offset) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Error(path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::Error(path + ": not a regular file");
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (load == FileLoad::kResident && size > 0) {
    auto resident = ReadResident(path, fd, size, (64 - aligned_offset % 64) % 64);
    ::close(fd);
    return resident;
  }
  const uint8_t* data = nullptr;
  if (size > 0) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      return Status::Error(path + ": mmap failed: " + std::strerror(err));
    }
    data = static_cast<const uint8_t*>(p);
  }
  ::close(fd);
  return std::unique_ptr<MappedFile>(new MappedFile(path, data, size, const_cast<uint8_t*>(data), {}));
}

// The file's bytes start `lead` bytes into the (page-aligned) buffer.
Result<std::unique_ptr<MappedFile>> MappedFile::ReadResident(const std::string& path, int fd, size_t size,
                                                             size_t lead) {
  auto buf = HugePageBuffer::Allocate(lead + size);
  if (!buf.ok()) return Status::Error(path + ": " + buf.status().message());
  uint8_t* data = buf->data() + lead;
  for (size_t done = 0; done < size;) {
    const ssize_t n =
        ::pread(fd, data + done, std::min<size_t>(size - done, size_t{64} << 20), static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = n < 0 ? std::strerror(errno) : "the file ended early (truncated meanwhile?)";
      return Status::Error(path + ": reading byte " + std::to_string(done) + ": " + why);
    }
    done += static_cast<size_t>(n);
  }
  return std::unique_ptr<MappedFile>(new MappedFile(path, data, size, nullptr, std::move(*buf)));
}

void MappedFile::Release(const void* p, size_t n) const {
  if (resident_.data() != nullptr) return;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  auto begin = reinterpret_cast<uintptr_t>(p);
  auto end = begin + n;
  begin = (begin + page - 1) / page * page;  // only whole pages inside the range
  end = end / page * page;
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

MappedFile::~MappedFile() {
  if (map_ != nullptr) ::munmap(map_, size_);
}

}  // namespace ss
