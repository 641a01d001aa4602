#pragma once
// Conversions between libtorrent types and dist/'s own, for dist/*.cpp only:
// this is the one header of the layer that names libtorrent, and no header
// outside src/dist/detail/ may include it.

#include <libtorrent/info_hash.hpp>
#include <libtorrent/socket.hpp>
#include <libtorrent/torrent_info.hpp>
#include <string>

#include "dist/torrent_file.h"
#include "util/hex.h"
#include "util/status.h"

namespace ss::dist::detail {

// A libtorrent digest (sha1_hash, sha256_hash) as hex.
template <typename Digest>
std::string Hex(const Digest& d) {
  return HexEncode(std::string_view(d.data(), d.size()));
}

inline std::string V1Hex(const lt::info_hash_t& h) { return h.has_v1() ? Hex(h.v1) : ""; }
inline std::string V2Hex(const lt::info_hash_t& h) { return h.has_v2() ? Hex(h.v2) : ""; }
// The session's name for a torrent (TorrentMeta::id()).
inline std::string IdOf(const lt::info_hash_t& h) { return h.has_v2() ? V2Hex(h) : V1Hex(h); }

// TorrentMeta of a parsed torrent, `bytes` left empty for the caller; fails
// unless it holds exactly one file, the first (pad files aside).
Result<TorrentMeta> MetaOf(const lt::torrent_info& ti);

// "1.2.3.4:5" or "[::1]:5".
Result<lt::tcp::endpoint> ParseEndpoint(const std::string& text);
std::string FormatEndpoint(const lt::tcp::endpoint& ep);

}  // namespace ss::dist::detail
