// ProbeTcp: a listening socket answers, a closed port refuses at once, and
// an endpoint that is not HOST:PORT is an error naming it.
#include "net/tcp_probe.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace ss::net {
namespace {

using namespace std::chrono_literals;

// A listening loopback socket on a free port; closed on destruction.
struct Listener {
  int fd = -1;
  int port = 0;
  Listener() {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(fd, 4), 0);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ~Listener() {
    if (fd >= 0) close(fd);
  }
};

TEST(TcpProbe, ListeningAnswersClosedRefuses) {
  int port = 0;
  {
    Listener l;
    port = l.port;
    EXPECT_TRUE(ProbeTcp("127.0.0.1:" + std::to_string(port), 500ms).ok());
  }
  Status s = ProbeTcp("127.0.0.1:" + std::to_string(port), 500ms);  // refused, not timed out
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("Connection refused at 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << s.message();
}

TEST(TcpProbe, BadEndpointsAreNamed) {
  for (const std::string e :
       {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:70000", "host:80", ":80"}) {
    Status s = ProbeTcp(e, 100ms);
    ASSERT_FALSE(s.ok()) << e;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << e;
    EXPECT_NE(s.message().find("'" + e + "'"), std::string::npos) << s.message();
  }
}

}  // namespace
}  // namespace ss::net
