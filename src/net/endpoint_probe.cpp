#include "net/endpoint_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ss::net {
namespace {

bool ParseEndpoint(const std::string& endpoint, sockaddr_storage* out, socklen_t* len) {
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string host = endpoint.substr(0, colon);
  char* end = nullptr;
  const long port = std::strtol(endpoint.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || port <= 0 || port > 65535) return false;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::memset(out, 0, sizeof *out);
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    *len = sizeof *v4;
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    *len = sizeof *v6;
    return true;
  }
  return false;
}

using Clock = std::chrono::steady_clock;

int MsLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

ProbeResult Silent(const std::string& endpoint, std::chrono::milliseconds timeout) {
  return {
      Status::Unavailable("no answer at " + endpoint + " within " + std::to_string(timeout.count()) + " ms"),
      true};
}

ProbeResult Failed(int err, const std::string& endpoint) {
  return {Status::Unavailable(std::string(std::strerror(err)) + " at " + endpoint), false};
}

// A non-blocking socket connected to `endpoint` by `deadline`, in *fd.
ProbeResult Connect(const std::string& endpoint, Clock::time_point deadline,
                    std::chrono::milliseconds timeout, int* fd) {
  sockaddr_storage addr;
  socklen_t len = 0;
  if (!ParseEndpoint(endpoint, &addr, &len))
    return {Status::InvalidArgument("'" + endpoint + "' is not a numeric HOST:PORT"), false};
  *fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (*fd < 0)
    return {Status::Unavailable(std::string("cannot open a socket: ") + std::strerror(errno)), false};
  if (::connect(*fd, reinterpret_cast<sockaddr*>(&addr), len) == 0) return {};
  if (errno != EINPROGRESS) return Failed(errno, endpoint);
  pollfd p{*fd, POLLOUT, 0};
  const int ready = ::poll(&p, 1, MsLeft(deadline));
  if (ready == 0) return Silent(endpoint, timeout);
  int err = 0;
  socklen_t err_len = sizeof err;
  if (ready < 0 || ::getsockopt(*fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) err = errno;
  if (err != 0) return Failed(err, endpoint);
  return {};
}

// Closes the socket on every path.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

// A fresh ClientHello, as OpenSSL writes it. No verification: any answer
// proves the process runs; the RPC client authenticates peers when it really
// talks to them.
Result<std::string> ClientHello() {
  static SSL_CTX* const ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return Status::Error("cannot create a TLS context for probes");
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) return Status::Error("cannot create a TLS probe");
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);  // ssl owns both now
  SSL_connect(ssl);           // writes the ClientHello, then wants the server's answer
  char* data = nullptr;
  const long n = BIO_get_mem_data(out, &data);
  std::string hello = n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
  SSL_free(ssl);
  ERR_clear_error();
  if (hello.empty()) return Status::Error("OpenSSL wrote no ClientHello");
  return hello;
}

}  // namespace

ProbeResult ProbeTcp(const std::string& endpoint, std::chrono::milliseconds timeout) {
  Fd s;
  return Connect(endpoint, Clock::now() + timeout, timeout, &s.fd);
}

// The socket is driven by hand (send with MSG_NOSIGNAL) rather than through
// an OpenSSL socket BIO, so a peer that resets cannot raise SIGPIPE.
ProbeResult ProbeTls(const std::string& endpoint, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto hello = ClientHello();
  if (!hello.ok()) return {hello.status(), false};
  Fd s;
  ProbeResult connected = Connect(endpoint, deadline, timeout, &s.fd);
  if (!connected.status.ok()) return connected;
  // A ClientHello is a few hundred bytes: it fits an empty socket buffer.
  if (::send(s.fd, hello->data(), hello->size(), MSG_NOSIGNAL) != static_cast<ssize_t>(hello->size()))
    return Failed(errno, endpoint);
  pollfd p{s.fd, POLLIN, 0};
  if (::poll(&p, 1, MsLeft(deadline)) <= 0) return Silent(endpoint, timeout);
  char buf[4096];
  const ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
  if (n == 0) return {Status::Unavailable("connection closed without an answer at " + endpoint), false};
  if (n < 0) return Failed(errno, endpoint);
  // Alive. Say goodbye with a FIN and read until the server closes too:
  // closing with its handshake unread would send a reset, which the server
  // would have to log as an error rather than recognise a probe.
  ::shutdown(s.fd, SHUT_WR);
  const auto drain_deadline = Clock::now() + std::chrono::milliseconds(200);
  while (::poll(&p, 1, MsLeft(drain_deadline)) > 0 && ::recv(s.fd, buf, sizeof buf, 0) > 0) {
  }
  return {};
}

}  // namespace ss::net
