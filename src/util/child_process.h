#pragma once
// A child process whose stdout and stderr go to a log file: started with
// fork/exec, watched without blocking, stopped politely (SIGTERM, then
// SIGKILL after a grace period). The destructor kills and reaps a child that
// is still running, so no process outlives its owner by accident; a child
// also gets SIGTERM when the thread that started it ends (even by SIGKILL).

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/status.h"

namespace ss {

class ChildProcess {
 public:
  static Result<std::unique_ptr<ChildProcess>> Start(const std::vector<std::string>& argv,
                                                     const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  int pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  // Reaps the child if it has ended: then a description ("exited with code
  // 1", "killed by signal 9 (Killed)"); nullopt while it runs.
  std::optional<std::string> Ended();
  // SIGTERM, then SIGKILL when it has not ended within `grace`; reaps it.
  void Stop(std::chrono::milliseconds grace);
  // The last `n` lines of its log (for "why did it die").
  std::string LogTail(int n) const;

 private:
  ChildProcess() = default;
  int pid_ = -1;
  std::string log_path_;
  std::optional<std::string> ended_;
};

}  // namespace ss
