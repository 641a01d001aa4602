// The DHT identity (OpenDHT/GnuTLS) and the RPC transport (OpenSSL) must agree
// on who a peer is: net::PublicKeyId is the peer id (getLongId) and the
// identity's PEM export authenticates RPC connections pinned to that id.
#include <gtest/gtest.h>
#include <opendht/crypto.h>

#include "dht/identity.h"
#include "net/message.h"
#include "net/rpc_client.h"
#include "net/rpc_server.h"
#include "net/tls_identity.h"

namespace ss {
namespace {

using namespace std::chrono_literals;

TEST(NetIdentityInterop, IdsAgreeWithOpenDht) {
  auto id = dht::EphemeralIdentity("interop");
  ASSERT_TRUE(id.ok()) << id.status().message();
  EXPECT_EQ(net::PublicKeyId(id->cert_pem).value(), id->peer_id);
  // OpenDHT's own reading of the PEM text (as discovery.cpp loads it).
  const ::dht::crypto::Certificate cert(::dht::Blob(id->cert_pem.begin(), id->cert_pem.end()));
  const ::dht::crypto::PrivateKey key{std::string_view(id->key_pem)};
  EXPECT_EQ(net::PublicKeyId(id->cert_pem).value(), cert.getPublicKey().getLongId().toString());
  EXPECT_EQ(key.getPublicKey().getLongId(), cert.getLongId());
  EXPECT_EQ(net::CertFingerprint(id->cert_pem).value(), id->cert_fingerprint);
}

TEST(NetIdentityInterop, RpcBetweenDhtIdentities) {
  auto server_id = dht::EphemeralIdentity("server");
  auto client_id = dht::EphemeralIdentity("client");
  ASSERT_TRUE(server_id.ok() && client_id.ok());
  net::RpcServerOptions so;
  so.identity = {server_id->cert_pem, server_id->key_pem};
  net::RpcServer::Callbacks cb;
  std::string seen;
  cb.authorizer = [&](const net::PeerInfo& p) {
    seen = p.public_key_id;
    return Status::Ok();
  };
  cb.handler = [](const net::PeerInfo&, const nlohmann::json& r) { return net::OkReply(r); };
  auto server = net::RpcServer::Start(so, cb);
  ASSERT_TRUE(server.ok()) << server.status().message();
  net::RpcClientOptions co;
  co.port = (*server)->port();
  co.identity = {client_id->cert_pem, client_id->key_pem};
  co.expected_public_key_id = server_id->peer_id;
  auto client = net::RpcClient::Connect(co);
  ASSERT_TRUE(client.ok()) << client.status().message();
  auto reply = (*client)->Call({{"type", "GET_STATUS"}}, 5s);
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  EXPECT_EQ((*reply)["status"], "ok");
  EXPECT_EQ(seen, client_id->peer_id);
}

}  // namespace
}  // namespace ss
