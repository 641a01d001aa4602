#pragma once
// Publishing a split: a .torrent beside each shard file named in
// manifest.json (shard-K.gguf → shard-K.gguf.torrent), so the shards can be
// shared with any BitTorrent client. Each shard is first checked against its
// size and SHA-256 in the manifest: a torrent must never enshrine a corrupt file.

#include <string>
#include <vector>

#include "dist/torrent_file.h"
#include "util/status.h"

namespace ss::dist {

struct PublishedShard {
  int id = 0;
  std::string file;          // path of the shard file
  std::string torrent_path;  // path of the .torrent written beside it
  TorrentMeta meta;
};

Result<std::vector<PublishedShard>> PublishShards(const std::string& dir, TorrentFormat format);

}  // namespace ss::dist
