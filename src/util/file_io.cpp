#include "util/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace ss {
namespace {
std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }
}  // namespace

Result<std::unique_ptr<InputFile>> InputFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Error(Errno(path));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::Error(path + ": not a regular file");
  }
  return std::unique_ptr<InputFile>(new InputFile(path, fd, static_cast<uint64_t>(st.st_size)));
}

InputFile::~InputFile() { ::close(fd_); }

Status InputFile::ReadAt(uint64_t offset, void* dst, size_t n) const {
  auto* p = static_cast<uint8_t*>(dst);
  while (n > 0) {
    ssize_t r = ::pread(fd_, p, n, static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Status::Error(Errno(path_ + ": read at offset " + std::to_string(offset)));
    if (r == 0) return Status::Error(path_ + ": unexpected end of file at offset " + std::to_string(offset));
    p += r;
    n -= static_cast<size_t>(r);
    offset += static_cast<uint64_t>(r);
  }
  return Status::Ok();
}

Result<std::unique_ptr<OutputFile>> OutputFile::Create(const std::string& final_path, int mode) {
  std::string temp = final_path + ".part";
  ::unlink(temp.c_str());  // a stale .part may carry a wider mode
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, static_cast<mode_t>(mode));
  if (fd < 0) return Status::Error(Errno(temp));
  return std::unique_ptr<OutputFile>(new OutputFile(final_path, fd));
}

OutputFile::OutputFile(std::string path, int fd) : final_path_(std::move(path)), fd_(fd), buf_(kIoChunk) {}

OutputFile::~OutputFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path().c_str());
}

Status OutputFile::WriteRaw(const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t r = ::write(fd_, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Status::Error(Errno("writing " + temp_path()));
    p += r;
    n -= static_cast<size_t>(r);
    flushed_ += static_cast<uint64_t>(r);
  }
  // Start writeback now so the final fsync does not wait for the whole file.
  if (flushed_ - synced_ >= kIoChunk) {
    ::sync_file_range(fd_, static_cast<off_t>(synced_), static_cast<off_t>(flushed_ - synced_),
                      SYNC_FILE_RANGE_WRITE);
    synced_ = flushed_;
  }
  return Status::Ok();
}

Status OutputFile::Flush() {
  SS_RETURN_IF_ERROR(WriteRaw(buf_.data(), used_));
  used_ = 0;
  return Status::Ok();
}

Status OutputFile::Write(const void* data, size_t n) {
  if (fd_ < 0) return Status::Error(temp_path() + ": write after close");
  const auto* p = static_cast<const uint8_t*>(data);
  if (hash_) hash_->Update(data, n);
  written_ += n;
  if (n >= buf_.size()) {  // large writes skip the copy into the buffer
    SS_RETURN_IF_ERROR(Flush());
    return WriteRaw(p, n);
  }
  while (n > 0) {
    size_t take = std::min(n, buf_.size() - used_);
    std::memcpy(buf_.data() + used_, p, take);
    used_ += take;
    p += take;
    n -= take;
    if (used_ == buf_.size()) SS_RETURN_IF_ERROR(Flush());
  }
  return Status::Ok();
}

Status OutputFile::WriteZeros(size_t n) {
  static const uint8_t kZeros[256] = {};
  while (n > 0) {
    size_t take = std::min(n, sizeof(kZeros));
    SS_RETURN_IF_ERROR(Write(kZeros, take));
    n -= take;
  }
  return Status::Ok();
}

Status OutputFile::Close() {
  if (fd_ < 0) return Status::Ok();
  SS_RETURN_IF_ERROR(Flush());
  if (::fsync(fd_) != 0) return Status::Error(Errno("fsync " + temp_path()));
  int fd = fd_;
  fd_ = -1;
  std::vector<uint8_t>().swap(buf_);
  if (::close(fd) != 0) return Status::Error(Errno("closing " + temp_path()));
  return Status::Ok();
}

Status OutputFile::Commit() {
  SS_RETURN_IF_ERROR(Close());
  if (::rename(temp_path().c_str(), final_path_.c_str()) != 0)
    return Status::Error(Errno("renaming " + temp_path() + " to " + final_path_));
  committed_ = true;
  return Status::Ok();
}

Result<std::string> ReadWholeFile(const std::string& path) {
  auto in = InputFile::Open(path);
  if (!in.ok()) return in.status();
  std::string s(static_cast<size_t>((*in)->size()), '\0');
  SS_RETURN_IF_ERROR((*in)->ReadAt(0, s.data(), s.size()));
  return s;
}

Status WriteWholeFile(const std::string& path, const std::string& contents, int mode) {
  auto out = OutputFile::Create(path, mode);
  if (!out.ok()) return out.status();
  SS_RETURN_IF_ERROR((*out)->Write(contents.data(), contents.size()));
  return (*out)->Commit();
}

Status CheckRoomFor(const std::string& final_path, uint64_t size) {
  const size_t slash = final_path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : final_path.substr(0, slash);
  const std::string name = slash == std::string::npos ? final_path : final_path.substr(slash + 1);
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) != 0) return Status::Ok();
  struct stat st {};
  uint64_t have = 0;
  if (::stat((final_path + ".part").c_str(), &st) == 0) have = static_cast<uint64_t>(st.st_blocks) * 512;
  const uint64_t avail = static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  const uint64_t need = size > have ? size - have : 0;
  if (need <= avail) return Status::Ok();
  return Status::Error("no space left on device for " + name + " in " + dir + ": it needs " +
                       std::to_string(need) + " more bytes, " + std::to_string(avail) + " are free");
}

}  // namespace ss
