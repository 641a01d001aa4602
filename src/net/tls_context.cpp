#include "net/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "net/tls_ids.h"

namespace ss::net {
namespace {

// Accepts any certificate chain at the TLS layer: identities are self-signed,
// and the key is pinned by the caller after the handshake (see the header).
// The peer's possession of the key is still proven by the handshake itself.
int AcceptAnyChain(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) { return 1; }

Status LoadIdentity(SSL_CTX* ctx, const TlsIdentity& identity) {
  BIO* bio = BIO_new_mem_buf(identity.cert_pem.data(), static_cast<int>(identity.cert_pem.size()));
  if (bio == nullptr) return Status::Error("out of memory");
  X509* leaf = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  if (leaf == nullptr) {
    BIO_free(bio);
    return Status::Error("identity certificate is not PEM: " + OpenSslErrors());
  }
  int ok = SSL_CTX_use_certificate(ctx, leaf);
  X509_free(leaf);
  // Further certificates in the PEM are the chain the peer is sent.
  while (ok == 1) {
    X509* extra = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    if (extra == nullptr) break;
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      ok = 0;
    }
  }
  ERR_clear_error();  // the end-of-PEM "no start line" is expected
  BIO_free(bio);
  if (ok != 1) return Status::Error("cannot use identity certificate: " + OpenSslErrors());

  bio = BIO_new_mem_buf(identity.key_pem.data(), static_cast<int>(identity.key_pem.size()));
  if (bio == nullptr) return Status::Error("out of memory");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) return Status::Error("identity key is not an unencrypted PEM key: " + OpenSslErrors());
  ok = SSL_CTX_use_PrivateKey(ctx, key);
  EVP_PKEY_free(key);
  if (ok != 1 || SSL_CTX_check_private_key(ctx) != 1)
    return Status::Error("identity key does not match its certificate: " + OpenSslErrors());
  return Status::Ok();
}

}  // namespace

std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

Status ConfigureTlsContext(SSL_CTX* ctx, const TlsIdentity& identity, TlsRole role) {
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1)
    return Status::Error("TLS 1.3 is not available: " + OpenSslErrors());
  int mode = SSL_VERIFY_PEER;
  if (role == TlsRole::kServer) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_CTX_set_verify(ctx, mode, AcceptAnyChain);
  if (role == TlsRole::kServer && identity.empty()) return Status::Error("a server needs a TLS identity");
  if (!identity.empty()) SS_RETURN_IF_ERROR(LoadIdentity(ctx, identity));
  return Status::Ok();
}

Result<PeerCertificate> PeerCertificateOf(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return Status::Error("peer presented no certificate");
  PeerCertificate out;
  auto fp = Sha256OfDer(cert);
  auto id = PublicKeyIdOf(cert);
  X509_free(cert);
  if (!fp.ok()) return fp.status();
  if (!id.ok()) return id.status();
  out.cert_fingerprint = *fp;
  out.public_key_id = *id;
  return out;
}

}  // namespace ss::net
