#include "dist/publish.h"

#include "shard/manifest.h"
#include "util/file_io.h"

namespace ss::dist {
namespace {

// Reads the whole file (no hash cache: publishing is rare and must see the bytes).
Status CheckAgainstManifest(const std::string& path, const shard::ShardEntry& e) {
  SS_ASSIGN_OR_RETURN(auto file, InputFile::Open(path));
  if (file->size() != e.size)
    return Status::Error("not publishing " + path + ": " + std::to_string(file->size()) +
                         " bytes, manifest.json says " + std::to_string(e.size));
  SS_ASSIGN_OR_RETURN(std::string sha, Sha256File(path));
  if (sha != e.sha256)
    return Status::Error("not publishing " + path +
                         ": its SHA-256 differs from manifest.json (corrupt or replaced)");
  return Status::Ok();
}

}  // namespace

Result<std::vector<PublishedShard>> PublishShards(const std::string& dir, TorrentFormat format) {
  SS_ASSIGN_OR_RETURN(shard::Manifest m, shard::Manifest::Load(dir + "/" + shard::kManifestName));
  if (m.shards.empty()) return Status::InvalidArgument(dir + "/" + shard::kManifestName + " lists no shards");
  // Every shard is checked before any .torrent is written: a bad one leaves
  // the directory as it was, not half published.
  for (const shard::ShardEntry& e : m.shards) SS_RETURN_IF_ERROR(CheckAgainstManifest(dir + "/" + e.file, e));
  std::vector<PublishedShard> out;
  for (const shard::ShardEntry& e : m.shards) {
    PublishedShard p;
    p.id = e.id;
    p.file = dir + "/" + e.file;
    p.torrent_path = p.file + ".torrent";
    SS_ASSIGN_OR_RETURN(p.meta, CreateTorrent(p.file, format));
    out.push_back(std::move(p));
  }
  for (const PublishedShard& p : out) SS_RETURN_IF_ERROR(WriteWholeFile(p.torrent_path, p.meta.bytes));
  return out;
}

}  // namespace ss::dist
