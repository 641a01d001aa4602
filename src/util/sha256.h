#pragma once
// Incremental SHA-256 (OpenSSL), used for model ids and shard checksums.

#include <cstddef>
#include <cstdint>
#include <string>

#include "util/status.h"

namespace ss {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(const void* data, size_t size);
  // Lower-case hex digest; the hasher must not be updated afterwards.
  std::string HexDigest();

 private:
  void* ctx_;
};

// Hash of a whole file, read in chunks (constant memory).
Result<std::string> Sha256File(const std::string& path);

}  // namespace ss
