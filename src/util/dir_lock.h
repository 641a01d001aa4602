#pragma once
// An exclusive lock on a data directory (flock on DIR/LOCK, as LevelDB does),
// held while the object lives, so two processes never share one data dir
// (one identity, one set of files). The lock file records the holder's pid
// for the error message; the kernel drops the lock when the process dies, so
// a crash never leaves a stale lock behind.

#include <memory>
#include <string>

#include "util/status.h"

namespace ss {

class DirLock {
 public:
  // Creates `dir` when missing and locks it. kBusy when another process
  // holds it: the message names the directory and that process's pid.
  static Result<std::unique_ptr<DirLock>> Acquire(const std::string& dir);
  ~DirLock();
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace ss
