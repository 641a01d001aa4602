// .torrent bytes (dist/torrent_file.h) as a cached file or a peer may hold
// them: libtorrent's parser and our reading of what it found never crash; an
// accepted torrent describes one file and has the info-hash(es) its format
// implies.
#include <cstddef>
#include <cstdint>
#include <string>

#include "dist/torrent_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto meta = ss::dist::ParseTorrent(bytes);
  if (!meta.ok()) {
    if (meta.status().message().empty()) __builtin_trap();
    return 0;
  }
  if (meta->v1_hex.empty() && meta->v2_hex.empty()) __builtin_trap();
  if (!meta->v1_hex.empty() && meta->v1_hex.size() != 40) __builtin_trap();
  if (!meta->v2_hex.empty() && meta->v2_hex.size() != 64) __builtin_trap();
  if (meta->id().empty() || meta->magnet.rfind("magnet:?", 0) != 0 || meta->bytes != bytes) __builtin_trap();
  return 0;
}
