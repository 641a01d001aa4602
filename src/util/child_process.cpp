#include "util/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <thread>

namespace ss {

Result<std::unique_ptr<ChildProcess>> ChildProcess::Start(const std::vector<std::string>& argv,
                                                          const std::string& log_path) {
  if (argv.empty()) return Status::InvalidArgument("no program to start");
  int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Error("cannot create log file " + log_path + ": " + std::strerror(errno));
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(fd);
    return Status::Error(std::string("cannot start a process: ") + std::strerror(errno));
  }
  if (pid == 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    setpgid(0, 0);  // Ctrl-C at a terminal reaches only the parent, which stops its children in order
    // A parent killed outright (SIGKILL) cannot stop them: they stop themselves.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(fd);
  std::unique_ptr<ChildProcess> c(new ChildProcess());
  c->pid_ = pid;
  c->log_path_ = log_path;
  return c;
}

ChildProcess::~ChildProcess() {
  if (!ended_) Stop(std::chrono::milliseconds(0));
}

std::optional<std::string> ChildProcess::Ended() {
  if (ended_) return ended_;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r != pid_) return std::nullopt;
  if (WIFEXITED(status)) {
    int code = WEXITSTATUS(status);
    ended_ =
        code == 127 ? "could not be started (exit code 127)" : "exited with code " + std::to_string(code);
  } else if (WIFSIGNALED(status)) {
    ended_ =
        "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  } else {
    ended_ = "ended";
  }
  return ended_;
}

void ChildProcess::Stop(std::chrono::milliseconds grace) {
  if (Ended()) return;
  kill(pid_, grace.count() > 0 ? SIGTERM : SIGKILL);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (!Ended() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (Ended()) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  ended_ = "was killed (SIGKILL) after not stopping within " + std::to_string(grace.count()) + " ms";
}

std::string ChildProcess::LogTail(int n) const {
  std::ifstream in(log_path_);
  std::deque<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
    if (static_cast<int>(lines.size()) > n) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) out += "  " + l + "\n";
  return out;
}

}  // namespace ss
