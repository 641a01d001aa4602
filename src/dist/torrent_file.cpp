#include "dist/torrent_file.h"

#include <exception>
#include <filesystem>
#include <iterator>
#include <libtorrent/bencode.hpp>
#include <libtorrent/create_torrent.hpp>
#include <libtorrent/magnet_uri.hpp>
#include <libtorrent/torrent_info.hpp>

#include "dist/detail/lt_glue.h"
#include "util/file_io.h"

namespace ss::dist {
namespace fs = std::filesystem;

const char* FormatName(TorrentFormat format) {
  switch (format) {
    case TorrentFormat::kV1:
      return "v1";
    case TorrentFormat::kV2:
      return "v2";
    case TorrentFormat::kHybrid:
      return "hybrid";
  }
  return "?";
}

Result<TorrentFormat> ParseTorrentFormat(const std::string& name) {
  for (TorrentFormat f : {TorrentFormat::kV1, TorrentFormat::kV2, TorrentFormat::kHybrid})
    if (name == FormatName(f)) return f;
  return Status::InvalidArgument("unknown torrent format '" + name + "' (use v1, v2 or hybrid)");
}

namespace {

lt::create_flags_t CreateFlags(TorrentFormat format) {
  switch (format) {
    case TorrentFormat::kV1:
      return lt::create_torrent::v1_only;
    case TorrentFormat::kV2:
      return lt::create_torrent::v2_only;
    case TorrentFormat::kHybrid:
      break;
  }
  return {};
}

Result<std::string> HashIntoTorrent(const std::string& path, TorrentFormat format) {
  lt::file_storage files;
  lt::add_files(files, path);
  if (files.num_files() != 1) return Status::Error(path + " is not one regular file");
  // Piece size 0: libtorrent's default for the size (a power of two, as v2 needs).
  lt::create_torrent ct(files, 0, CreateFlags(format));
  ct.set_creator("shardswarm " SHARDSWARM_VERSION);
  lt::error_code ec;
  lt::set_piece_hashes(ct, fs::path(path).parent_path().string(), ec);
  if (ec) return Status::Error("hashing " + path + ": " + ec.message());
  std::string bytes;
  lt::bencode(std::back_inserter(bytes), ct.generate());
  return bytes;
}

}  // namespace

Result<TorrentMeta> CreateTorrent(const std::string& path, TorrentFormat format) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return Status::InvalidArgument(path + " is not a regular file");
  if (fs::file_size(path, ec) == 0) return Status::InvalidArgument(path + " is empty: nothing to share");
  try {  // libtorrent reports some failures (e.g. unreadable files) by throwing
    SS_ASSIGN_OR_RETURN(std::string bytes, HashIntoTorrent(path, format));
    return ParseTorrent(bytes);
  } catch (const std::exception& e) {
    return Status::Error("making a torrent of " + path + ": " + e.what());
  }
}

Result<TorrentMeta> ParseTorrent(const std::string& bytes) {
  lt::error_code ec;
  lt::torrent_info ti(lt::span<const char>(bytes.data(), static_cast<std::ptrdiff_t>(bytes.size())), ec,
                      lt::from_span);
  if (ec) return Status::InvalidArgument("not a valid .torrent: " + ec.message());
  SS_ASSIGN_OR_RETURN(TorrentMeta meta, detail::MetaOf(ti));
  meta.bytes = bytes;
  return meta;
}

Result<TorrentMeta> ReadTorrentFile(const std::string& path) {
  SS_ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(path));
  Result<TorrentMeta> meta = ParseTorrent(bytes);
  if (!meta.ok()) return meta.status().Context(path);
  return meta;
}

namespace detail {

Result<TorrentMeta> MetaOf(const lt::torrent_info& ti) {
  const lt::file_storage& files = ti.files();
  int real_files = 0;
  for (lt::file_index_t i : files.file_range())
    if (!files.pad_file_at(i)) ++real_files;
  if (real_files != 1 || files.pad_file_at(lt::file_index_t{0}))
    return Status::InvalidArgument("torrent '" + ti.name() + "' holds " + std::to_string(real_files) +
                                   " files; shardswarm shares one file per torrent");
  TorrentMeta m;
  m.name = std::string(files.file_name(lt::file_index_t{0}));
  m.size = static_cast<uint64_t>(files.file_size(lt::file_index_t{0}));
  m.piece_size = ti.piece_length();
  m.num_pieces = ti.num_pieces();
  m.v1_hex = V1Hex(ti.info_hashes());
  m.v2_hex = V2Hex(ti.info_hashes());
  m.magnet = lt::make_magnet_uri(ti);
  return m;
}

}  // namespace detail
}  // namespace ss::dist
