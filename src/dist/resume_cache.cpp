#include "dist/resume_cache.h"

#include <filesystem>

#include "util/file_io.h"

namespace ss::dist {
namespace fs = std::filesystem;

Status ResumeCache::Init() const {
  if (dir_.empty()) return Status::InvalidArgument("a torrent session needs a cache directory");
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return Status::Error("cannot create torrent cache " + dir_ + ": " + ec.message());
  return Status::Ok();
}

std::string ResumeCache::SeedTorrentPath(const std::string& file_name, uint64_t size, int64_t mtime_ns,
                                         TorrentFormat format) const {
  return dir_ + "/" + file_name + "-" + std::to_string(size) + "-" + std::to_string(mtime_ns) + "-" +
         FormatName(format) + ".torrent";
}

Result<std::string> ResumeCache::Load(const std::string& path) const {
  if (!fs::exists(path)) return Status::Error(path + " is not cached");
  return ReadWholeFile(path);
}

Status ResumeCache::Store(const std::string& path, const std::string& bytes) const {
  return WriteWholeFile(path, bytes);
}

}  // namespace ss::dist
