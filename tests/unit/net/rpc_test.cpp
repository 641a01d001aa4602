// The RPC transport over real sockets on 127.0.0.1: authentication both ways,
// hostile input, limits, idle timeout, metrics and concurrency.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "net/activation_frame.h"
#include "net/endpoint_probe.h"
#include "net/message.h"
#include "net/rpc_client.h"
#include "net/rpc_server.h"
#include "net/tls_identity.h"

namespace ss::net {
namespace {

using namespace std::chrono_literals;

struct Identities {
  TlsIdentity server, client, stranger;
  std::string server_id, client_id, stranger_id;
};

// RSA key generation is slow-ish: once per test binary.
const Identities& Ids() {
  static const Identities ids = [] {
    Identities i;
    i.server = GenerateSelfSignedIdentity("server").value();
    i.client = GenerateSelfSignedIdentity("client").value();
    i.stranger = GenerateSelfSignedIdentity("stranger").value();
    i.server_id = PublicKeyId(i.server.cert_pem).value();
    i.client_id = PublicKeyId(i.client.cert_pem).value();
    i.stranger_id = PublicKeyId(i.stranger.cert_pem).value();
    return i;
  }();
  return ids;
}

class LogSink {
 public:
  RpcServer::LogFn Fn() {
    return [this](const std::string& line) {
      std::lock_guard lock(mu_);
      lines_.push_back(line);
      cv_.notify_all();
    };
  }
  // Waits until a line containing every one of `parts` was logged.
  bool WaitFor(std::vector<std::string> parts, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      for (const std::string& l : lines_) {
        bool all = true;
        for (const std::string& p : parts) all = all && l.find(p) != std::string::npos;
        if (all) return true;
      }
      return false;
    });
  }
  std::string All() {
    std::lock_guard lock(mu_);
    std::string out;
    for (const std::string& l : lines_) out += l + "\n";
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
};

nlohmann::json TestHandler(const PeerInfo&, const nlohmann::json& request) {
  std::string type = request["type"];
  if (type == "ECHO") {
    nlohmann::json reply = OkReply(request);
    reply["payload"] = request.value("payload", nlohmann::json());
    return reply;
  }
  if (type == "SLOW") {
    std::this_thread::sleep_for(std::chrono::milliseconds(request.value("ms", 300)));
    return OkReply(request);
  }
  if (type == "THROW") throw std::runtime_error("handler exploded");
  if (type == "BARE") return {{"answer", 42}};  // the server fills in type, id, status
  return ErrorReply(request, "unknown command " + type);
}

nlohmann::json FrameHandler(const PeerInfo&, std::span<const uint8_t> data) {
  auto frame = DecodeActivationFrame(data.data(), data.size(), 64, 64);
  if (!frame.ok()) return ErrorReply(nullptr, "bad activation frame: " + frame.status().message());
  return {{"type", "FRAME_OK"}, {"status", "ok"}, {"rows", frame->rows.size()}};
}

struct Harness {
  LogSink log;
  std::unique_ptr<RpcServer> server;
  std::atomic<int> authorized{0};
  PeerInfo last_peer;
  std::thread::id authorizer_thread, frame_thread;  // the last call of each
  std::mutex peer_mu;                               // guards the three above

  explicit Harness(RpcServerOptions o = {}, bool binary = true, std::string refuse_id = "") {
    o.identity = Ids().server;
    RpcServer::Callbacks cb;
    cb.authorizer = [this, refuse_id](const PeerInfo& p) {
      {
        std::lock_guard lock(peer_mu);
        last_peer = p;
        authorizer_thread = std::this_thread::get_id();
      }
      if (p.public_key_id == refuse_id)
        return Status::Error("peer " + p.public_key_id.substr(0, 12) + " is not in the swarm");
      authorized++;
      return Status::Ok();
    };
    cb.handler = TestHandler;
    if (binary)
      cb.binary_handler = [this](const PeerInfo& p, std::span<const uint8_t> data) {
        {
          std::lock_guard lock(peer_mu);
          frame_thread = std::this_thread::get_id();
        }
        return FrameHandler(p, data);
      };
    cb.log = log.Fn();
    auto s = RpcServer::Start(std::move(o), std::move(cb));
    EXPECT_TRUE(s.ok()) << s.status().message();
    if (s.ok()) server = std::move(*s);
  }

  Result<std::unique_ptr<RpcClient>> Connect(const TlsIdentity& id, std::string expected = "") {
    RpcClientOptions o;
    o.port = server->port();
    o.identity = id;
    o.expected_public_key_id = expected.empty() ? Ids().server_id : expected;
    o.connect_timeout = 5s;
    return RpcClient::Connect(std::move(o));
  }
  std::unique_ptr<RpcClient> Client() {
    auto c = Connect(Ids().client);
    EXPECT_TRUE(c.ok()) << c.status().message();
    return c.ok() ? std::move(*c) : nullptr;
  }
  // A fresh client can still talk to the server.
  void ExpectServing() {
    auto c = Client();
    ASSERT_TRUE(c);
    auto r = c->Call({{"type", "ECHO"}, {"payload", "still here"}}, 5s);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ((*r)["payload"], "still here");
  }
};

nlohmann::json ReadJson(RpcClient& c) {
  auto t = c.ReadText(5s);
  EXPECT_TRUE(t.ok()) << t.status().message();
  if (!t.ok()) return nullptr;
  return nlohmann::json::parse(*t, nullptr, false);
}

// Plain TCP: writes `bytes`, then reports whether the server closed the
// connection within the timeout (reading and discarding whatever it sends).
bool RawTcpGetsClosed(uint16_t port, const std::string& bytes) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return false;
  }
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  (void)!write(fd, bytes.data(), bytes.size());
  char buf[4096];
  bool closed = false;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      closed = true;
      break;
    }
    if (n < 0 && errno != EINTR) break;  // timed out: still open
  }
  close(fd);
  return closed;
}

TEST(Rpc, RoundTrip) {
  Harness h;
  auto c = h.Client();
  ASSERT_TRUE(c);
  auto r = c->Call({{"type", "ECHO"}, {"payload", {1, 2, 3}}}, 5s);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ((*r)["status"], "ok");
  EXPECT_EQ((*r)["type"], "ECHO");
  EXPECT_TRUE((*r)["id"].is_number_integer());
  EXPECT_EQ((*r)["payload"], nlohmann::json({1, 2, 3}));

  auto s = c->Call({{"type", "ECHO"}, {"id", "mine"}}, 5s);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)["id"], "mine");

  // An error reply is a value for the caller to judge.
  auto e = c->Call({{"type", "NOPE"}}, 5s);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)["status"], "error");
  EXPECT_EQ((*e)["error"], "unknown command NOPE");

  auto bare = c->Call({{"type", "BARE"}, {"id", 77}}, 5s);
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(*bare, (nlohmann::json{{"answer", 42}, {"type", "BARE"}, {"id", 77}, {"status", "ok"}}));

  auto t = c->Call({{"type", "THROW"}, {"id", 78}}, 5s);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)["error"], "internal error: handler exploded");

  EXPECT_FALSE(c->Call(nlohmann::json::array(), 1s).ok());
  EXPECT_FALSE(c->Call({{"type", "ECHO"}, {"id", 1.5}}, 1s).ok());

  // The server saw who we are.
  std::lock_guard lock(h.peer_mu);
  EXPECT_EQ(h.last_peer.public_key_id, Ids().client_id);
  EXPECT_EQ(h.last_peer.cert_fingerprint, CertFingerprint(Ids().client.cert_pem).value());
  EXPECT_EQ(h.last_peer.remote_endpoint.rfind("127.0.0.1:", 0), 0u);
  EXPECT_TRUE(h.log.WaitFor(
      {"[CONNECT] connection established peer=" + Ids().client_id.substr(0, 12), "from 127.0.0.1:"}));
}

TEST(Rpc, AuthorizerRefusesPeer) {
  Harness h({}, true, Ids().client_id);
  auto c = h.Connect(Ids().client);
  std::string expected_reason = "peer " + Ids().client_id.substr(0, 12) + " is not in the swarm";
  if (c.ok()) {
    auto r = (*c)->ReadText(5s);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("closed by server (code 1008): " + expected_reason),
              std::string::npos)
        << r.status().message();
    EXPECT_FALSE((*c)->Call({{"type", "ECHO"}}, 1s).ok());
  }
  EXPECT_TRUE(h.log.WaitFor({"[CONNECT] refused peer=" + Ids().client_id.substr(0, 12)}));
  EXPECT_TRUE(h.log.WaitFor({"connection closed", "cause=refused: " + expected_reason})) << h.log.All();
  EXPECT_EQ(h.authorized, 0);
  EXPECT_EQ(h.server->Metrics().connections_total, 0u);
  // Another peer is still welcome.
  auto other = h.Connect(Ids().stranger);
  ASSERT_TRUE(other.ok()) << other.status().message();
  EXPECT_TRUE((*other)->Call({{"type", "ECHO"}}, 5s).ok());
}

// A private swarm (util/swarm_key.h): each end proves the key in the upgrade.
TEST(Rpc, SwarmKeyIsProvenBothWays) {
  const SwarmKey key = SwarmKey::Generate(), other = SwarmKey::Generate();
  RpcServerOptions so;
  so.swarm_key = key;
  Harness h(so);
  auto connect = [&](const SwarmKey& k) {
    RpcClientOptions o;
    o.port = h.server->port();
    o.identity = Ids().client;
    o.expected_public_key_id = Ids().server_id;
    o.connect_timeout = 5s;
    o.swarm_key = k;
    return RpcClient::Connect(std::move(o));
  };
  // The key: served.
  auto ok = connect(key);
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_TRUE((*ok)->Call({{"type", "ECHO"}}, 5s).ok());
  // No key: the server refuses, saying why.
  auto none = connect(SwarmKey());
  if (none.ok()) {
    auto r = (*none)->ReadText(5s);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("it does not hold this swarm's key"), std::string::npos)
        << r.status().message();
  }
  EXPECT_TRUE(h.log.WaitFor({"[CONNECT] refused peer=", "it does not hold this swarm's key"})) << h.log.All();
  // Another key: the client sees the server's proof fail (and the server refuses it too).
  auto wrong = connect(other);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kRefused);
  EXPECT_NE(wrong.status().message().find("the peer does not hold this swarm's key"), std::string::npos)
      << wrong.status().message();
  EXPECT_EQ(h.authorized, 1);
  // A keyed client refuses an open server: it cannot prove the key.
  Harness open_server;
  RpcClientOptions o;
  o.port = open_server.server->port();
  o.identity = Ids().client;
  o.expected_public_key_id = Ids().server_id;
  o.swarm_key = key;
  auto to_open = RpcClient::Connect(std::move(o));
  ASSERT_FALSE(to_open.ok());
  EXPECT_EQ(to_open.status().code(), StatusCode::kRefused);
}

TEST(Rpc, ClientRefusesServerWithOtherKey) {
  Harness h;
  auto c = h.Connect(Ids().client, Ids().stranger_id);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("server presented key " + Ids().server_id + ", expected " +
                                      Ids().stranger_id),
            std::string::npos)
      << c.status().message();
  EXPECT_EQ(h.authorized, 0);
  RpcClientOptions o;
  o.port = h.server->port();
  o.identity = Ids().client;
  EXPECT_FALSE(RpcClient::Connect(o).ok());  // no expected key: refused outright
}

TEST(Rpc, ClientWithoutCertificateIsRefusedByTls) {
  Harness h;
  auto c = h.Connect(TlsIdentity{});
  // In TLS 1.3 the client may finish its side first; either way nothing works.
  if (c.ok()) {
    EXPECT_FALSE((*c)->Call({{"type", "ECHO"}}, 2s).ok());
  }
  EXPECT_TRUE(h.log.WaitFor({"cause=protocol error: TLS handshake failed"})) << h.log.All();
  EXPECT_EQ(h.authorized, 0);
  h.ExpectServing();
}

// Nodes probe each other's RPC port every second (net/endpoint_probe.h): such a
// connection, closed before a byte or after the server's first handshake
// flight, is neither logged nor counted as an error.
TEST(Rpc, LivenessProbesAreQuiet) {
  Harness h;
  const std::string endpoint = "127.0.0.1:" + std::to_string(h.server->port());
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(ProbeTcp(endpoint, 1s).status.ok());
    const ProbeResult tls = ProbeTls(endpoint, 1s);
    EXPECT_TRUE(tls.status.ok()) << tls.status.message();
  }
  auto c = h.Client();
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->Call({{"type", "ECHO"}}, 5s).ok());
  EXPECT_FALSE(h.log.WaitFor({"connection closed peer=unknown"}, 300ms)) << h.log.All();
  EXPECT_EQ(h.server->Metrics().errors, 0u);
}

TEST(Rpc, RawTcpGarbageAndPlainWebSocketAreClosed) {
  Harness h;
  EXPECT_TRUE(RawTcpGetsClosed(h.server->port(), std::string("\x00\xff\x16\x03garbage garbage\r\n\r\n", 24)));
  EXPECT_TRUE(
      RawTcpGetsClosed(h.server->port(),
                       "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
  EXPECT_TRUE(h.log.WaitFor({"peer=unknown", "TLS handshake failed"}));
  h.ExpectServing();
  EXPECT_GE(h.server->Metrics().errors, 2u);
}

TEST(Rpc, MalformedTextGetsErrorReplies) {
  Harness h;
  auto c = h.Client();
  ASSERT_TRUE(c);
  struct Case {
    std::string text, error;
    nlohmann::json id;
  };
  std::vector<Case> cases = {
      {"garbage", "message is not valid JSON", nullptr},
      {"{\"type\":\"X\"", "message is not valid JSON", nullptr},
      {"[1,2,3]", "message must be a JSON object", nullptr},
      {"{\"id\":5}", "missing field \"type\"", 5},
      {"{\"type\":7,\"id\":\"a\"}", "field \"type\" must be a string", "a"},
      {"{\"type\":\"lower\",\"id\":6}", "field \"type\" may only contain A-Z, 0-9 and _", 6},
      {"{\"type\":\"X\",\"id\":[1]}", "field \"id\" must be an integer or a string", nullptr},
  };
  for (const Case& k : cases) {
    ASSERT_TRUE(c->SendText(k.text).ok());
    nlohmann::json reply = ReadJson(*c);
    EXPECT_EQ(reply["status"], "error") << k.text;
    EXPECT_EQ(reply["error"].get<std::string>().rfind(k.error, 0), 0u) << k.text << ": " << reply.dump();
    if (k.id.is_null()) {
      EXPECT_FALSE(reply.contains("id")) << k.text;
    } else {
      EXPECT_EQ(reply["id"], k.id) << k.text;
    }
  }
  // The connection is still fine.
  EXPECT_TRUE(c->Call({{"type", "ECHO"}}, 5s).ok());
  EXPECT_EQ(h.server->Metrics().errors, cases.size());
}

TEST(Rpc, InvalidUtf8TextFrameClosesConnection) {
  Harness h;
  auto c = h.Client();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->SendText("{\"type\":\"\xff\xfe\"}").ok());
  auto r = c->ReadText(5s);
  EXPECT_FALSE(r.ok());  // WebSocket requires UTF-8 text: Beast fails the connection
  EXPECT_TRUE(h.log.WaitFor({"connection closed", "cause=protocol error"})) << h.log.All();
  h.ExpectServing();
}

TEST(Rpc, OversizedTextClosesConnection) {
  RpcServerOptions o;
  o.max_control_bytes = 1024;
  Harness h(o);
  auto c = h.Client();
  ASSERT_TRUE(c);
  std::string big = "{\"type\":\"ECHO\",\"payload\":\"" + std::string(2000, 'x') + "\"}";
  ASSERT_TRUE(c->SendText(big).ok());
  auto r = c->ReadText(5s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("code 1009"), std::string::npos) << r.status().message();
  EXPECT_TRUE(h.log.WaitFor({"cause=protocol error: control message of " + std::to_string(big.size()) +
                             " bytes exceeds the 1024-byte limit"}))
      << h.log.All();
  h.ExpectServing();
}

TEST(Rpc, OversizedFramesAreRefusedByBeast) {
  RpcServerOptions o;
  o.max_frame_bytes = 4096;
  o.max_control_bytes = 4096;
  Harness h(o);
  for (bool binary : {true, false}) {
    auto c = h.Client();
    ASSERT_TRUE(c);
    Status sent = binary ? c->SendBinary(std::vector<uint8_t>(8192, 7)) : c->SendText(std::string(8192, ' '));
    (void)sent;  // the server may close before the whole frame is written
    auto r = c->ReadText(5s);
    ASSERT_FALSE(r.ok());
    // Beast refuses the frame from its header; depending on how much of the
    // payload was already on the wire, the cause reads one of two ways.
    EXPECT_TRUE(h.log.WaitFor({"cause=protocol error:", "larger than 4096 bytes"})) << h.log.All();
  }
  h.ExpectServing();
}

TEST(Rpc, BinaryFrames) {
  Harness h;
  auto c = h.Client();
  ASSERT_TRUE(c);
  ActivationFrame f;
  f.kind = ActivationKind::kHiddenStates;
  f.width = 4;
  f.rows = {{0, 1}, {1, 2}};
  f.values.assign(8, 0.25f);
  std::vector<uint8_t> good = EncodeActivationFrame(f).value();
  ASSERT_TRUE(c->SendBinary(good).ok());
  nlohmann::json ok = ReadJson(*c);
  EXPECT_EQ(ok["status"], "ok");
  EXPECT_EQ(ok["rows"], 2);
  {
    // Handled on the I/O thread (where the Authorizer runs), not handed to the
    // handler pool: on the forward path that hand-off cost a thread wake-up at
    // every hop of every token.
    std::lock_guard lock(h.peer_mu);
    EXPECT_NE(h.authorizer_thread, std::thread::id());
    EXPECT_EQ(h.frame_thread, h.authorizer_thread);
  }

  std::vector<uint8_t> truncated(good.begin(), good.end() - 3);
  ASSERT_TRUE(c->SendBinary(truncated).ok());
  nlohmann::json e1 = ReadJson(*c);
  EXPECT_EQ(e1["status"], "error");
  EXPECT_NE(e1["error"].get<std::string>().find("expected"), std::string::npos) << e1;

  ASSERT_TRUE(c->SendBinary({1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16, 17,
                             18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33})
                  .ok());
  nlohmann::json e2 = ReadJson(*c);
  EXPECT_NE(e2["error"].get<std::string>().find("magic"), std::string::npos) << e2;
  EXPECT_TRUE(c->Call({{"type", "ECHO"}}, 5s).ok());

  Harness no_binary({}, /*binary=*/false);
  auto d = no_binary.Client();
  ASSERT_TRUE(d);
  ASSERT_TRUE(d->SendBinary(good).ok());
  nlohmann::json e3 = ReadJson(*d);
  EXPECT_EQ(e3["error"], "binary frames are not accepted here");
  EXPECT_TRUE(d->Call({{"type", "ECHO"}}, 5s).ok());
}

TEST(Rpc, IdleTimeoutClosesQuietConnection) {
  RpcServerOptions o;
  o.idle_timeout = 1s;
  Harness h(o);
  auto c = h.Client();
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->Call({{"type", "ECHO"}}, 5s).ok());
  auto start = std::chrono::steady_clock::now();
  auto r = c->ReadText(5s);
  ASSERT_FALSE(r.ok());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 500ms);
  EXPECT_NE(r.status().message().find("code 1000): idle timeout"), std::string::npos) << r.status().message();
  EXPECT_TRUE(
      h.log.WaitFor({"connection closed peer=" + Ids().client_id.substr(0, 12), "cause=idle timeout"}))
      << h.log.All();
  EXPECT_FALSE(c->connected());
}

// A gateway only receives on the link to a route's last stage: the node's
// pushes count as use, so the link outlives the idle limit.
TEST(Rpc, PushesKeepAConnectionFromIdling) {
  RpcServerOptions o;
  o.idle_timeout = 1s;
  Harness h(o);
  auto c = h.Client();
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->Call({{"type", "ECHO"}}, 5s).ok());
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(300ms);
    h.server->SendToPeer(Ids().client_id, {{"type", "EVENT"}, {"n", i}});
    auto m = c->ReadText(5s);
    ASSERT_TRUE(m.ok()) << "push " << i << ": " << m.status().message();
  }
  EXPECT_TRUE(c->connected());
  auto r = c->ReadText(5s);  // silence on both sides: now it idles out
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("idle timeout"), std::string::npos) << r.status().message();
}

TEST(Rpc, KeepalivePingsKeepLiveIdleClients) {
  RpcServerOptions o;
  o.keepalive_interval = 200ms;  // the client's I/O thread answers the pings
  Harness h(o);
  auto c = h.Client();
  ASSERT_TRUE(c);
  std::this_thread::sleep_for(1500ms);
  EXPECT_TRUE(c->connected());
  EXPECT_TRUE(c->Call({{"type", "ECHO"}}, 5s).ok());
}

TEST(Rpc, MetricsCountRequestsErrorsAndBytes) {
  Harness h;
  auto c = h.Client();
  ASSERT_TRUE(c);
  std::vector<std::string> sent = {R"({"type":"ECHO","id":1})", R"({"type":"ECHO","id":2,"payload":"abc"})",
                                   R"({"type":"NOPE","id":3})", "not json"};
  uint64_t in = 0, out = 0;
  for (const std::string& s : sent) {
    ASSERT_TRUE(c->SendText(s).ok());
    in += s.size();
    auto reply = c->ReadText(5s);
    ASSERT_TRUE(reply.ok());
    out += reply->size();
  }
  RpcMetrics m = h.server->Metrics();
  EXPECT_EQ(m.requests, 4u);
  EXPECT_EQ(m.errors, 2u);  // unknown command + invalid JSON
  EXPECT_EQ(m.bytes_in, in);
  EXPECT_EQ(m.bytes_out, out);
  EXPECT_EQ(m.connections_open, 1u);
  EXPECT_EQ(m.connections_total, 1u);
  EXPECT_GE(m.latency_p99_ms, m.latency_p50_ms);
  EXPECT_GE(m.latency_p50_ms, 0.0);
  nlohmann::json j = ToJson(m);
  EXPECT_EQ(j["requests"], 4);

  c->Close();
  for (int i = 0; i < 100 && h.server->Metrics().connections_open != 0; ++i)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(h.server->Metrics().connections_open, 0u);
  EXPECT_TRUE(h.log.WaitFor({"cause=closed by peer"})) << h.log.All();
}

TEST(Rpc, HandlerLatencyIsMeasured) {
  Harness h;
  auto c = h.Client();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->Call({{"type", "SLOW"}, {"ms", 100}}, 5s).ok());
  EXPECT_GE(h.server->Metrics().latency_p99_ms, 90.0);
}

TEST(Rpc, ConcurrentClientsAndCalls) {
  Harness h;
  constexpr int kClients = 6, kCalls = 20;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      auto c = h.Connect(Ids().client);
      if (!c.ok()) return;
      for (int i = 0; i < kCalls; ++i) {
        std::string payload = std::to_string(t) + "/" + std::to_string(i);
        auto r = (*c)->Call({{"type", "ECHO"}, {"payload", payload}}, 10s);
        if (r.ok() && (*r)["payload"] == payload) ok++;
      }
    });
  }
  // One client shared by several threads.
  auto shared = h.Client();
  ASSERT_TRUE(shared);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCalls; ++i) {
        std::string payload = "shared " + std::to_string(t) + "/" + std::to_string(i);
        auto r = shared->Call({{"type", "ECHO"}, {"payload", payload}}, 10s);
        if (r.ok() && (*r)["payload"] == payload) ok++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok, (kClients + 4) * kCalls);
  EXPECT_EQ(h.server->Metrics().connections_total, static_cast<uint64_t>(kClients + 1));
}

TEST(Rpc, PendingRequestLimit) {
  RpcServerOptions o;
  o.max_pending_requests = 1;
  Harness h(o);
  auto c = h.Client();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->SendText(R"({"type":"SLOW","id":1,"ms":500})").ok());
  ASSERT_TRUE(c->SendText(R"({"type":"SLOW","id":2,"ms":0})").ok());
  nlohmann::json first = ReadJson(*c), second = ReadJson(*c);
  EXPECT_EQ(first["id"], 2);
  EXPECT_EQ(first["error"], "too many pending requests on this connection (limit 1)");
  EXPECT_EQ(second["id"], 1);
  EXPECT_EQ(second["status"], "ok");
}

TEST(Rpc, BroadcastAndShutdown) {
  Harness h;
  auto c = h.Client();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->Call({{"type", "ECHO"}}, 5s).ok());  // established on the server side
  h.server->Broadcast({{"type", "SHARD_LOADED"}, {"shard", 1}});
  nlohmann::json ev = ReadJson(*c);
  EXPECT_EQ(ev["type"], "SHARD_LOADED");
  h.server->Stop();
  auto r = c->ReadText(5s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("code 1001): server shutting down"), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(h.log.WaitFor({"cause=shutdown"})) << h.log.All();
  h.server->Stop();  // idempotent
}

TEST(Rpc, StartErrors) {
  RpcServer::Callbacks cb;
  cb.handler = TestHandler;
  RpcServerOptions o;
  o.identity = Ids().server;
  EXPECT_FALSE(RpcServer::Start(o, cb).ok());  // no authorizer
  cb.authorizer = [](const PeerInfo&) { return Status::Ok(); };
  o.bind_address = "not an address";
  EXPECT_FALSE(RpcServer::Start(o, cb).ok());
  o.bind_address = "127.0.0.1";
  o.identity = {};
  EXPECT_FALSE(RpcServer::Start(o, cb).ok());
  o.identity = Ids().server;
  o.identity.key_pem = Ids().client.key_pem;  // key of someone else
  auto s = RpcServer::Start(o, cb);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("does not match"), std::string::npos) << s.status().message();
}

}  // namespace
}  // namespace ss::net
