#pragma once
// Plain file I/O with errors as values. OutputFile writes to "<path>.part" and
// only Commit() renames it to its final name, so an interrupted writer never
// leaves a half file under a name a reader trusts; an uncommitted OutputFile
// removes its .part file when destroyed.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "util/sha256.h"
#include "util/status.h"

namespace ss {

inline constexpr size_t kIoChunk = 4u << 20;

// Whether the filesystem of `final_path` has room for that file's `size`
// bytes, crediting what "<final_path>.part" already holds (its allocated
// blocks, not its apparent size, which a sparse file overstates). The error
// names the file, the bytes still needed and those free; Ok when the free
// space cannot be told (the writes will say).
Status CheckRoomFor(const std::string& final_path, uint64_t size);

class InputFile {
 public:
  static Result<std::unique_ptr<InputFile>> Open(const std::string& path);
  ~InputFile();
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Reads exactly n bytes at offset or fails naming the file and offset.
  Status ReadAt(uint64_t offset, void* dst, size_t n) const;

 private:
  InputFile(std::string path, int fd, uint64_t size) : path_(std::move(path)), fd_(fd), size_(size) {}
  std::string path_;
  int fd_;
  uint64_t size_;
};

class OutputFile {
 public:
  // `mode` applies from creation (0600 for secrets).
  static Result<std::unique_ptr<OutputFile>> Create(const std::string& final_path, int mode = 0644);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Every byte written from now on also goes into `hash` (not owned).
  void HashInto(Sha256* hash) { hash_ = hash; }
  Status Write(const void* data, size_t n);
  Status WriteZeros(size_t n);
  uint64_t written() const { return written_; }
  // Flushes, fsyncs and closes the .part file (still under its temporary name).
  Status Close();
  // Renames the closed .part file to the final path.
  Status Commit();
  const std::string& final_path() const { return final_path_; }
  std::string temp_path() const { return final_path_ + ".part"; }

 private:
  OutputFile(std::string path, int fd);
  Status Flush();
  Status WriteRaw(const uint8_t* p, size_t n);
  std::string final_path_;
  int fd_;
  std::vector<uint8_t> buf_;
  size_t used_ = 0;
  uint64_t written_ = 0;
  uint64_t flushed_ = 0;  // bytes handed to the kernel
  uint64_t synced_ = 0;   // bytes whose writeback was started
  bool committed_ = false;
  Sha256* hash_ = nullptr;
};

Result<std::string> ReadWholeFile(const std::string& path);
// Writes a small file through OutputFile (temporary name, then rename).
Status WriteWholeFile(const std::string& path, const std::string& contents, int mode = 0644);

}  // namespace ss
