#pragma once
// Where a TorrentSession keeps what spares work after a restart, in one
// directory: the .torrent made for a seeded file (named by the file's name,
// size, mtime and torrent format, so a changed file gets a new torrent) and
// the resume data of each torrent (named by its id). Files are replaced
// atomically (written as .part, then renamed); a missing or unreadable cache
// entry only costs a re-hash.

#include <cstdint>
#include <string>

#include "dist/torrent_file.h"
#include "util/status.h"

namespace ss::dist {

class ResumeCache {
 public:
  explicit ResumeCache(std::string dir) : dir_(std::move(dir)) {}
  Status Init() const;  // creates the directory
  const std::string& dir() const { return dir_; }

  std::string SeedTorrentPath(const std::string& file_name, uint64_t size, int64_t mtime_ns,
                              TorrentFormat format) const;
  std::string ResumePath(const std::string& id) const { return dir_ + "/" + id + ".resume"; }

  // Bytes of an entry, or an error when absent or unreadable.
  Result<std::string> Load(const std::string& path) const;
  Status Store(const std::string& path, const std::string& bytes) const;

 private:
  std::string dir_;
};

}  // namespace ss::dist
