#include "util/base64.h"

#include <openssl/evp.h>

#include <algorithm>

namespace ss {

std::string Base64Encode(const uint8_t* data, size_t size) {
  std::string out;
  // EVP_EncodeBlock takes an int length: encode in pieces of a multiple of 3 bytes.
  constexpr size_t kPiece = size_t{3} << 20;
  out.reserve((size + 2) / 3 * 4);
  std::string buf;
  for (size_t done = 0; done < size;) {
    const size_t n = std::min(kPiece, size - done);
    buf.resize((n + 2) / 3 * 4 + 1);
    const int written =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(buf.data()), data + done, static_cast<int>(n));
    out.append(buf.data(), static_cast<size_t>(written));
    done += n;
  }
  return out;
}

std::string Base64Encode(std::string_view bytes) {
  return Base64Encode(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

namespace {

bool IsBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

}  // namespace

Result<std::vector<uint8_t>> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0)
    return Status::InvalidArgument("base64: length " + std::to_string(text.size()) +
                                   " is not a multiple of 4");
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : 1;
  for (size_t i = 0; i + pad < text.size(); ++i)
    if (!IsBase64Char(text[i]))
      return Status::InvalidArgument("base64: character " + std::to_string(i) + " is not in the alphabet");
  std::vector<uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  // EVP_DecodeBlock keeps the padding's zero bytes and takes an int length:
  // decode in pieces of a multiple of 4 characters, then drop `pad` bytes.
  constexpr size_t kPiece = size_t{4} << 20;
  std::vector<uint8_t> buf;
  for (size_t done = 0; done < text.size();) {
    const size_t n = std::min(kPiece, text.size() - done);
    buf.resize(n / 4 * 3);
    const int written = EVP_DecodeBlock(
        buf.data(), reinterpret_cast<const unsigned char*>(text.data() + done), static_cast<int>(n));
    if (written < 0) return Status::InvalidArgument("base64: invalid input");
    out.insert(out.end(), buf.begin(), buf.begin() + written);
    done += n;
  }
  out.resize(out.size() - pad);
  return out;
}

}  // namespace ss
