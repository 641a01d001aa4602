#pragma once
// Internal to net/: ids of an already decoded certificate, shared by
// tls_identity.cpp (PEM input) and tls_context.cpp (handshake peers).

#include <openssl/types.h>

#include <string>

#include "util/status.h"

namespace ss::net {

Result<std::string> Sha256OfDer(X509* cert);    // certificate fingerprint
Result<std::string> PublicKeyIdOf(X509* cert);  // SHA-256 of DER SubjectPublicKeyInfo

}  // namespace ss::net
