#pragma once
// Runs the real shardswarm binary as a child and reports its wall time, peak
// RSS (from wait4) and what it printed, so benchmarks measure what users run.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

struct ChildRun {
  double seconds = 0;
  double peak_rss_mb = 0;
  int status = -1;
  std::string output;  // stdout and stderr
};

inline ChildRun RunChild(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  char path[] = "/tmp/shardswarm-bench-out-XXXXXX";
  int fd = mkstemp(path);
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  ChildRun r;
  struct rusage ru {};
  wait4(pid, &r.status, 0, &ru);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.peak_rss_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;
  close(fd);
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  r.output = ss.str();
  unlink(path);
  return r;
}
