#include "util/swarm_key.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cctype>
#include <cstring>
#include <optional>
#include <vector>

#include "util/file_io.h"
#include "util/hex.h"

namespace ss {
namespace {

std::string RawHmac(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &n);
  return std::string(reinterpret_cast<char*>(out), n);
}

constexpr size_t kNonce = 12, kTag = 16;

}  // namespace

SwarmKey::SwarmKey(std::string secret)
    : secret_(std::move(secret)), seal_key_(RawHmac(secret_, "shardswarm/seal")) {}

SwarmKey SwarmKey::Generate() {
  std::string secret(32, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()), 32);
  return SwarmKey(std::move(secret));
}

Result<SwarmKey> SwarmKey::FromHex(std::string_view hex) {
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.remove_suffix(1);
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.front()))) hex.remove_prefix(1);
  if (hex.size() != 64)
    return Status::InvalidArgument("a swarm key is 64 hex digits, this has " + std::to_string(hex.size()) +
                                   " characters");
  std::optional<std::string> secret = HexDecode(hex);
  if (!secret)
    return Status::InvalidArgument("a swarm key is 64 hex digits; it holds '" +
                                   std::string(1, hex[hex.find_first_not_of("0123456789abcdefABCDEF")]) +
                                   "'");
  return SwarmKey(std::move(*secret));
}

Result<SwarmKey> SwarmKey::Load(const std::string& path) {
  auto text = ReadWholeFile(path);
  if (!text.ok()) return Status::InvalidArgument("swarm key " + path + ": " + text.status().message());
  auto key = FromHex(*text);
  if (!key.ok()) return Status::InvalidArgument("swarm key " + path + ": " + key.status().message());
  return key;
}

Status SwarmKey::Create(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return Status::Error("cannot create swarm key " + path + ": " + std::strerror(errno));
  const std::string text = Generate().Hex() + "\n";
  const bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool closed = close(fd) == 0;
  if (!ok || !closed) return Status::Error("cannot write swarm key " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

std::string SwarmKey::Hex() const { return HexEncode(secret_); }

std::string SwarmKey::Name() const { return empty() ? "none" : Mac("name", "").substr(0, 8) + "…"; }

std::string SwarmKey::Mac(std::string_view purpose, std::string_view message) const {
  const std::string derived = RawHmac(secret_, std::string("shardswarm/") + std::string(purpose));
  return HexEncode(RawHmac(derived, message));
}

uint32_t SwarmKey::NetworkId() const {
  const std::string raw = RawHmac(secret_, "shardswarm/network-id");
  uint32_t id = 0;
  std::memcpy(&id, raw.data(), sizeof id);
  return id == 0 ? 1 : id;
}

std::string SwarmKey::Seal(std::string_view plaintext) const {
  std::string out(kNonce + plaintext.size() + kTag, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  RAND_bytes(o, kNonce);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int n = 0;
  EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr,
                     reinterpret_cast<const unsigned char*>(seal_key_.data()), o);
  EVP_EncryptUpdate(ctx, o + kNonce, &n, reinterpret_cast<const unsigned char*>(plaintext.data()),
                    static_cast<int>(plaintext.size()));
  EVP_EncryptFinal_ex(ctx, o + kNonce + n, &n);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTag, o + kNonce + plaintext.size());
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

Result<std::string> SwarmKey::Open(std::string_view sealed) const {
  if (sealed.size() < kNonce + kTag) return Status::Refused("not sealed with this swarm's key (too short)");
  const auto* in = reinterpret_cast<const unsigned char*>(sealed.data());
  const size_t n_text = sealed.size() - kNonce - kTag;
  std::string out(n_text, '\0');
  std::vector<unsigned char> tag(in + kNonce + n_text, in + sealed.size());
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int n = 0;
  EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr,
                     reinterpret_cast<const unsigned char*>(seal_key_.data()), in);
  EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &n, in + kNonce,
                    static_cast<int>(n_text));
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTag, tag.data());
  const bool ok = EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()) + n, &n) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return Status::Refused("not sealed with this swarm's key");
  return out;
}

}  // namespace ss
