#pragma once
// Helpers shared by the test suites: where the reference data lives, scratch
// directories that clean up after themselves, and running the real binary.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gguf/value.h"

namespace ss::testing {

// ../shared/testdata, as configured at build time.
std::string TestdataDir();
std::string ModelPath(const std::string& file);  // TestdataDir()/models/file
// The four reference models, by file name.
const char* const kModels[] = {"tiny-spm-q8_0.gguf", "tiny-spm-q4_0.gguf", "tiny-spm-q4_k_m.gguf",
                               "tiny-bpe-f16.gguf"};

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The whole file, or "" when it cannot be read (a test then fails on its content).
std::string ReadFile(const std::string& path);
// The file's SHA-256 in hex, or "unreadable: why" (a test then fails comparing it).
std::string FileSha256(const std::string& path);

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// Runs the built shardswarm binary with the given argument string (shell syntax).
CommandResult RunShardswarm(const std::string& args);
CommandResult RunCommand(const std::string& command);

// A background process (the real binary or another program) whose output goes
// to a log file; killed (SIGKILL) on destruction if still running, and when
// the thread that started it ends (so a crashed test leaves no orphans).
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  int pid() const { return pid_; }
  void Kill(int signal);
  bool Running();
  // Polls Running() until the process has exited; false after `timeout_s`.
  bool WaitForExit(double timeout_s);
  std::string Log() const;  // everything it printed so far
  // Polls Log() until `fragment` appears; false after `timeout_s` seconds.
  bool WaitForLog(const std::string& fragment, double timeout_s) const;

 private:
  int pid_ = -1;
  std::string log_path_;
  bool reaped_ = false;
};

// A UDP or TCP port that was free a moment ago on 127.0.0.1.
int FreePort(bool udp);
double NowSeconds();

// OpenDHT's own dhtnode, a stranger speaking only the DHT protocol on
// `network_id`, joined through `bootstrap`: asks "g <key>" every 250 ms,
// `tries` times or until `done(log)` holds. Returns its log (the values it
// got print as "data:<hex>"). Runs in `dir`.
std::string DhtnodeGet(const std::string& dir, uint32_t network_id, const std::string& bootstrap,
                       const std::string& key, int tries,
                       const std::function<bool(const std::string&)>& done = {});

// Copies a GGUF, setting the given metadata and giving tensor `retype` (if
// any) the type `type`, filled with zero blocks of that type (gtest asserts).
void RewriteModel(const std::string& src, const std::string& dst, const std::vector<ss::gguf::KeyValue>& set,
                  const std::string& retype = "", ss::gguf::TensorType type = ss::gguf::TensorType::F32);

void CopyFile(const std::string& from, const std::string& to);
void FlipByte(const std::string& path, uint64_t offset);
void Truncate(const std::string& path, uint64_t size);
uint64_t FileSize(const std::string& path);

}  // namespace ss::testing
