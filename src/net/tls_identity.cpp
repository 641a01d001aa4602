#include "net/tls_identity.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <memory>

#include "net/tls_context.h"
#include "net/tls_ids.h"
#include "util/sha256.h"

namespace ss::net {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

Result<std::unique_ptr<X509, X509Free>> ReadCert(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Status::Error("out of memory");
  std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return Status::Error("not a PEM certificate: " + OpenSslErrors());
  return cert;
}

std::string BioToString(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace

Result<std::string> Sha256OfDer(X509* cert) {
  unsigned char* der = nullptr;
  int n = i2d_X509(cert, &der);
  if (n <= 0) return Status::Error("cannot encode certificate: " + OpenSslErrors());
  Sha256 h;
  h.Update(der, static_cast<size_t>(n));
  OPENSSL_free(der);
  return h.HexDigest();
}

Result<std::string> PublicKeyIdOf(X509* cert) {
  EVP_PKEY* key = X509_get0_pubkey(cert);
  if (key == nullptr) return Status::Error("certificate has no readable public key: " + OpenSslErrors());
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(key, &der);
  if (n <= 0) return Status::Error("cannot encode public key: " + OpenSslErrors());
  Sha256 h;
  h.Update(der, static_cast<size_t>(n));
  OPENSSL_free(der);
  return h.HexDigest();
}

Result<std::string> CertFingerprint(const std::string& cert_pem) {
  auto cert = ReadCert(cert_pem);
  if (!cert.ok()) return cert.status();
  return Sha256OfDer(cert->get());
}

Result<std::string> PublicKeyId(const std::string& cert_pem) {
  auto cert = ReadCert(cert_pem);
  if (!cert.ok()) return cert.status();
  return PublicKeyIdOf(cert->get());
}

Result<TlsIdentity> GenerateSelfSignedIdentity(std::string common_name) {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_RSA_gen(2048));
  if (!key) return Status::Error("RSA key generation failed: " + OpenSslErrors());
  std::unique_ptr<X509, X509Free> cert(X509_new());
  if (!cert) return Status::Error("out of memory");
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof(serial)) != 1) return Status::Error("no randomness: " + OpenSslErrors());
  serial[0] &= 0x7f;  // a positive INTEGER
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  bool ok = bn != nullptr && X509_set_version(cert.get(), 2) == 1 &&
            BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr &&
            X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24L * 3600) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 24 * 3600) != nullptr &&
            X509_set_pubkey(cert.get(), key.get()) == 1;
  BN_free(bn);
  X509_NAME* name = X509_get_subject_name(cert.get());
  ok = ok &&
       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                  reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                                  0) == 1 &&
       X509_set_issuer_name(cert.get(), name) == 1 && X509_sign(cert.get(), key.get(), EVP_sha256()) > 0;
  if (!ok) return Status::Error("cannot build certificate: " + OpenSslErrors());

  std::unique_ptr<BIO, BioFree> cert_bio(BIO_new(BIO_s_mem())), key_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || !key_bio || PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return Status::Error("cannot export identity as PEM: " + OpenSslErrors());
  return TlsIdentity{BioToString(cert_bio.get()), BioToString(key_bio.get())};
}

}  // namespace ss::net
