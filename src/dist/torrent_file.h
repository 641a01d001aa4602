#pragma once
// dist/: distribution of shard files over BitTorrent (libtorrent stays inside
// the .cpp files). This file: creating and reading the .torrent of one file.
// A torrent made here describes exactly one file, has no trackers and no web
// seeds (peers come from the swarm's DHT records), and uses libtorrent's
// default piece size for the file's size.

#include <cstdint>
#include <string>

#include "util/status.h"

namespace ss::dist {

// v1: SHA-1 pieces, what Transmission 3 and aria2 1.36 understand; v2: SHA-256
// merkle trees; hybrid: both in one file (the default for shards).
enum class TorrentFormat { kV1, kV2, kHybrid };
const char* FormatName(TorrentFormat format);  // "v1", "v2", "hybrid"
Result<TorrentFormat> ParseTorrentFormat(const std::string& name);

struct TorrentMeta {
  std::string bytes;   // the bencoded .torrent
  std::string name;    // the file's name inside the torrent
  uint64_t size = 0;   // bytes of payload
  int piece_size = 0;  // bytes
  int num_pieces = 0;
  std::string v1_hex;  // 40 hex digits, empty for a v2-only torrent
  std::string v2_hex;  // 64 hex digits, empty for a v1-only torrent
  std::string magnet;  // magnet:?xt=… with the info-hash(es) and the name
  // The key the session uses for this torrent: v2_hex when present, else v1_hex.
  const std::string& id() const { return v2_hex.empty() ? v1_hex : v2_hex; }
};

// Hashes `path` (one regular file) into a torrent of the given format.
Result<TorrentMeta> CreateTorrent(const std::string& path, TorrentFormat format);
// Parses .torrent bytes; fails unless they describe exactly one file.
Result<TorrentMeta> ParseTorrent(const std::string& bytes);
Result<TorrentMeta> ReadTorrentFile(const std::string& path);

}  // namespace ss::dist
