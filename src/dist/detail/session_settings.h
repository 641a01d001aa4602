#pragma once
// The libtorrent settings of a TorrentSession (see session_settings.cpp for
// why each one). For dist/*.cpp only: names libtorrent types.

#include <libtorrent/ip_filter.hpp>
#include <libtorrent/settings_pack.hpp>

#include "dist/torrent_session.h"

namespace ss::dist::detail {

lt::settings_pack MakeSettings(const SessionOptions& options);
// Puts every peer in the global peer class (where the rate caps live), the
// local ones in the local class as well: libtorrent's default puts LAN and
// loopback peers in the local class only, exempting them from every cap.
lt::ip_filter PeerClassFilter();

}  // namespace ss::dist::detail
