#pragma once
// OpenSSL plumbing shared by the RPC server and client, kept free of Asio and
// Beast so it compiles quickly and can be read on its own.
//
// Policy: TLS 1.3 only; both sides present a certificate. The X.509 chain is
// not verified (every identity is self-signed); instead the peer's public key
// is pinned after the handshake: TLS 1.3's CertificateVerify proves the peer
// holds the key of the certificate it sent, and the caller compares that key's
// id with the one its DHT record names.

#include <openssl/types.h>

#include <string>

#include "net/tls_identity.h"
#include "util/status.h"

namespace ss::net {

enum class TlsRole { kServer, kClient };

// Sets protocol versions, verification mode and loads the identity (a client
// may pass an empty identity: it then sends no certificate and servers refuse it).
Status ConfigureTlsContext(SSL_CTX* ctx, const TlsIdentity& identity, TlsRole role);

struct PeerCertificate {
  std::string cert_fingerprint;
  std::string public_key_id;
};
// Ids of the certificate the peer presented in a completed handshake.
Result<PeerCertificate> PeerCertificateOf(SSL* ssl);

// Readable text for the last OpenSSL errors (drains the thread's error queue).
std::string OpenSslErrors();

}  // namespace ss::net
