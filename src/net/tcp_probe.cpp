#include "net/tcp_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
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

}  // namespace

Status ProbeTcp(const std::string& endpoint, std::chrono::milliseconds timeout) {
  sockaddr_storage addr;
  socklen_t len = 0;
  if (!ParseEndpoint(endpoint, &addr, &len))
    return Status::InvalidArgument("'" + endpoint + "' is not a numeric HOST:PORT");
  const int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Unavailable(std::string("cannot open a socket: ") + std::strerror(errno));
  int err = 0;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    err = errno;
    if (err == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
      socklen_t err_len = sizeof err;
      if (ready == 0) {
        err = ETIMEDOUT;
      } else if (ready < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) {
        err = errno;
      }
    }
  }
  ::close(fd);
  if (err == 0) return Status::Ok();
  if (err == ETIMEDOUT)
    return Status::Unavailable("no answer at " + endpoint + " within " + std::to_string(timeout.count()) +
                               " ms");
  return Status::Unavailable(std::string(std::strerror(err)) + " at " + endpoint);
}

}  // namespace ss::net
