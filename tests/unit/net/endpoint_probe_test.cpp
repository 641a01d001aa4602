// ProbeTcp: a listening socket answers, a closed port refuses at once, and
// an endpoint that is not HOST:PORT is an error naming it. ProbeTls: a socket
// the kernel accepts for a process that never answers (stopped, hung) is
// silent. (A real TLS server answering: rpc_test.cpp.)
#include "net/endpoint_probe.h"

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
    EXPECT_TRUE(ProbeTcp("127.0.0.1:" + std::to_string(port), 500ms).status.ok());
  }
  const ProbeResult r = ProbeTcp("127.0.0.1:" + std::to_string(port), 500ms);  // refused, not timed out
  const Status& s = r.status;
  EXPECT_FALSE(r.silent);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("Connection refused at 127.0.0.1:" + std::to_string(port)), std::string::npos)
      << s.message();
}

TEST(TcpProbe, BadEndpointsAreNamed) {
  for (const std::string e :
       {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:70000", "host:80", ":80"}) {
    const Status s = ProbeTcp(e, 100ms).status;
    ASSERT_FALSE(s.ok()) << e;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << e;
    EXPECT_NE(s.message().find("'" + e + "'"), std::string::npos) << s.message();
  }
}

TEST(TlsProbe, AnAcceptedButUnansweredConnectionIsSilent) {
  Listener l;  // the kernel completes connections; nobody reads or answers
  const std::string endpoint = "127.0.0.1:" + std::to_string(l.port);
  EXPECT_TRUE(ProbeTcp(endpoint, 500ms).status.ok());
  const auto t0 = std::chrono::steady_clock::now();
  const ProbeResult r = ProbeTls(endpoint, 300ms);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_FALSE(r.status.ok());
  EXPECT_TRUE(r.silent);
  EXPECT_NE(r.status.message().find("no answer at " + endpoint + " within 300 ms"), std::string::npos)
      << r.status.message();
  EXPECT_LT(took, 1s);
}

TEST(TlsProbe, AClosedPortRefusesAtOnce) {
  int port = 0;
  {
    Listener l;
    port = l.port;
  }
  const ProbeResult r = ProbeTls("127.0.0.1:" + std::to_string(port), 500ms);
  EXPECT_FALSE(r.status.ok());
  EXPECT_FALSE(r.silent);
}

}  // namespace
}  // namespace ss::net
