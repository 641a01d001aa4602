#pragma once
// A process's TLS identity and the ids derived from a certificate.
//
// Our processes take their identity from OpenDHT (DESIGN.md §5): an RSA-2048
// key and a self-signed X.509 certificate, exported as PEM. Trust does not come
// from a CA: a peer is who its public key says it is, and the key id is what
// the signed DHT records name.

#include <string>

#include "util/status.h"

namespace ss::net {

struct TlsIdentity {
  std::string cert_pem;  // leaf certificate first; further certificates form its chain
  std::string key_pem;   // PKCS#8 or PKCS#1 private key, unencrypted
  bool empty() const { return cert_pem.empty() && key_pem.empty(); }
};

// Lower-case hex SHA-256 of the DER encoding of the (first) certificate: the
// "TLS certificate fingerprint" of a DHT node announcement.
Result<std::string> CertFingerprint(const std::string& cert_pem);

// Lower-case hex SHA-256 of the DER SubjectPublicKeyInfo of the certificate's
// key. This is how OpenDHT computes PublicKey::getLongId() (GnuTLS key id with
// SHA-256), i.e. the peer id.
Result<std::string> PublicKeyId(const std::string& cert_pem);

// A throwaway RSA-2048 key and self-signed certificate (valid one day back to
// one year ahead), for tests and tools. Takes ~0.1 s: key generation.
Result<TlsIdentity> GenerateSelfSignedIdentity(std::string common_name);

}  // namespace ss::net
