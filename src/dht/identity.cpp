#include "dht/identity.h"

#include <opendht/crypto.h>
#include <sys/stat.h>

#include <filesystem>

#include "net/tls_identity.h"
#include "util/file_io.h"

namespace ss::dht {
namespace {

namespace fs = std::filesystem;

Result<NodeIdentity> Describe(const ::dht::crypto::Identity& id) {
  NodeIdentity n;
  n.peer_id = id.second->getLongId().toString();
  n.cert_pem = id.second->toString(/*chain=*/false);
  ::dht::Blob key = id.first->serialize();
  n.key_pem.assign(key.begin(), key.end());
  // The fingerprint as the TLS layer computes it from the certificate it presents.
  auto fp = net::CertFingerprint(n.cert_pem);
  if (!fp.ok()) return fp.status();
  n.cert_fingerprint = *fp;
  auto key_id = net::PublicKeyId(n.cert_pem);
  if (!key_id.ok()) return key_id.status();
  if (*key_id != n.peer_id)
    return Status::Error("the certificate's public key id " + *key_id + " is not the peer id " + n.peer_id);
  return n;
}

::dht::crypto::Identity Generate(const std::string& name) {
  // RSA only: OpenDHT drops values signed with EC keys (DESIGN.md §11).
  return ::dht::crypto::generateIdentity(name, {}, 2048);
}

}  // namespace

Result<NodeIdentity> LoadOrCreateIdentity(const std::string& data_dir, const std::string& name) {
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) return Status::Error("cannot create data dir " + data_dir + ": " + ec.message());
  const std::string key_path = data_dir + "/identity.key", crt_path = data_dir + "/identity.crt";
  if (fs::exists(key_path) && fs::exists(crt_path)) {
    auto key = ReadWholeFile(key_path);
    auto crt = ReadWholeFile(crt_path);
    if (!key.ok()) return key.status();
    if (!crt.ok()) return crt.status();
    try {
      auto pk = std::make_shared<::dht::crypto::PrivateKey>(std::string_view(*key));
      auto cert = std::make_shared<::dht::crypto::Certificate>(::dht::Blob(crt->begin(), crt->end()));
      if (pk->getPublicKey().getLongId() != cert->getLongId())
        return Status::Error(data_dir + ": identity.key and identity.crt do not belong together");
      return Describe({pk, cert});
    } catch (const std::exception& e) {
      // OpenDHT reports unreadable keys by exception; it stops here.
      return Status::Error(data_dir + ": cannot read the identity: " + e.what() +
                           " (remove identity.key and identity.crt to make a new one)");
    }
  }
  auto n = Describe(Generate(name));
  if (!n.ok()) return n.status();
  SS_RETURN_IF_ERROR(WriteWholeFile(key_path, n->key_pem, 0600));
  SS_RETURN_IF_ERROR(WriteWholeFile(crt_path, n->cert_pem));
  return n;
}

Result<NodeIdentity> EphemeralIdentity(const std::string& name) { return Describe(Generate(name)); }

}  // namespace ss::dht
