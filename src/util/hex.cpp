#include "util/hex.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>

namespace ss {
namespace {

int DigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = DigitValue(hex[i]), lo = DigitValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

std::string ShortId(std::string_view id) {
  constexpr size_t kShown = 12;
  if (id.size() <= kShown) return std::string(id);
  return std::string(id.substr(0, kShown)) + "…";
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> da{}, db{};
  unsigned int na = 0, nb = 0;
  EVP_Digest(a.data(), a.size(), da.data(), &na, EVP_sha256(), nullptr);
  EVP_Digest(b.data(), b.size(), db.data(), &nb, EVP_sha256(), nullptr);
  return na == nb && CRYPTO_memcmp(da.data(), db.data(), na) == 0;
}

}  // namespace ss
