#include "util/sha256.h"

#include <openssl/evp.h>

#include <algorithm>
#include <vector>

#include "util/file_io.h"
#include "util/hex.h"

namespace ss {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr);
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256::Update(const void* data, size_t size) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data, size);
}

std::string Sha256::HexDigest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), md, &len);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(md), len));
}

Result<std::string> Sha256File(const std::string& path) {
  auto in = InputFile::Open(path);
  if (!in.ok()) return in.status();
  Sha256 hash;
  std::vector<uint8_t> buf(kIoChunk);
  uint64_t pos = 0;
  while (pos < (*in)->size()) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), (*in)->size() - pos));
    SS_RETURN_IF_ERROR((*in)->ReadAt(pos, buf.data(), n));
    hash.Update(buf.data(), n);
    pos += n;
  }
  return hash.HexDigest();
}

}  // namespace ss
