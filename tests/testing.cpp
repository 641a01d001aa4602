#include "testing.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "gguf/reader.h"
#include "gguf/writer.h"
#include "util/file_io.h"
#include "util/sha256.h"

namespace fs = std::filesystem;

namespace ss::testing {

std::string TestdataDir() { return SHARDSWARM_TESTDATA; }
std::string ModelPath(const std::string& file) { return TestdataDir() + "/models/" + file; }

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "shardswarm-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

CommandResult RunShardswarm(const std::string& args) {
  return RunCommand(std::string(SHARDSWARM_BINARY) + " " + args);
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& log_path)
    : log_path_(log_path) {
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    // A test that crashes must not leave its swarm running: the child dies
    // with the thread that started it (so start children from the test's thread).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (Running()) Kill(SIGKILL);
  if (!reaped_) waitpid(pid_, nullptr, 0);
}

void ChildProcess::Kill(int signal) {
  kill(pid_, signal);
  if (signal == SIGKILL) {
    waitpid(pid_, nullptr, 0);
    reaped_ = true;
  }
}

bool ChildProcess::Running() {
  if (reaped_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    reaped_ = true;
    return false;
  }
  return true;
}

bool ChildProcess::WaitForExit(double timeout_s) {
  for (const double deadline = NowSeconds() + timeout_s; Running();) {
    if (NowSeconds() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

std::string ChildProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool ChildProcess::WaitForLog(const std::string& fragment, double timeout_s) const {
  double deadline = NowSeconds() + timeout_s;
  while (NowSeconds() < deadline) {
    if (Log().find(fragment) != std::string::npos) return true;
    usleep(20000);
  }
  return Log().find(fragment) != std::string::npos;
}

int FreePort(bool udp) {
  int fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Copies `src` to `dst`, setting the given metadata and giving tensor `retype`
// (if any) the type `type` with zero bytes of that type's size.
std::string DhtnodeGet(const std::string& dir, uint32_t network_id, const std::string& bootstrap,
                       const std::string& key, int tries,
                       const std::function<bool(const std::string&)>& done) {
  const std::string fifo = dir + "/dhtnode.in";
  if (mkfifo(fifo.c_str(), 0600) != 0 && errno != EEXIST) {
    ADD_FAILURE() << "mkfifo " << fifo << ": " << strerror(errno);
    return "";
  }
  ChildProcess dhtnode({"sh", "-c",
                        "exec dhtnode -n " + std::to_string(network_id) + " -p " +
                            std::to_string(FreePort(true)) + " -b " + bootstrap + " < " + fifo},
                       dir + "/dhtnode.log");
  FILE* in = fopen(fifo.c_str(), "w");  // blocks until dhtnode opens its end
  if (in == nullptr) {
    ADD_FAILURE() << "open " << fifo << ": " << strerror(errno);
    return "";
  }
  for (int i = 0; i < tries && !(done && done(dhtnode.Log())); ++i) {
    fprintf(in, "g %s\n", key.c_str());
    fflush(in);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  fclose(in);
  return dhtnode.Log();
}

void RewriteModel(const std::string& src, const std::string& dst, const std::vector<ss::gguf::KeyValue>& set,
                  const std::string& retype, ss::gguf::TensorType type) {
  auto f = ss::gguf::File::Open(src);
  ASSERT_TRUE(f.ok()) << f.status().message();
  ss::gguf::Writer w;
  for (const ss::gguf::KeyValue& kv : (*f)->metadata()) w.SetMetadata(kv.key, kv.value);
  for (const ss::gguf::KeyValue& kv : set) w.SetMetadata(kv.key, kv.value);
  bool found = retype.empty();
  for (const ss::gguf::TensorInfo& t : (*f)->tensors()) {
    found = found || t.name == retype;
    ASSERT_TRUE(w.AddTensor(t.name, t.dims, t.name == retype ? type : t.type).ok()) << t.name;
  }
  ASSERT_TRUE(found) << retype;
  auto out = ss::OutputFile::Create(dst);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_TRUE(w.Begin(out->get()).ok());
  for (const ss::gguf::TensorInfo& t : (*f)->tensors()) {
    if (t.name == retype) {
      const ss::gguf::TensorTypeInfo info = ss::gguf::TypeInfo(type);
      std::vector<uint8_t> zeros(t.elements() / info.block_size * info.type_size);
      ASSERT_TRUE(w.Append(zeros.data(), zeros.size()).ok());
    } else {
      ASSERT_TRUE(w.Append(t.data, t.size).ok());
    }
  }
  ASSERT_TRUE(w.Finish().ok());
  ASSERT_TRUE((*out)->Commit().ok());
}

void CopyFile(const std::string& from, const std::string& to) {
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  fs::permissions(to, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::add);
}

void FlipByte(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x5a);
  f.seekp(static_cast<std::streamoff>(offset));
  f.write(&c, 1);
}

void Truncate(const std::string& path, uint64_t size) { fs::resize_file(path, size); }

uint64_t FileSize(const std::string& path) { return fs::file_size(path); }

std::string FileSha256(const std::string& path) {
  auto h = Sha256File(path);
  return h.ok() ? *h : "unreadable: " + h.status().message();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace ss::testing
