#pragma once
// One BitTorrent session per process (libtorrent): seeds local files and
// fetches missing ones from given peers, never talking to anyone else — no
// public DHT, local peer discovery, UPnP, NAT-PMP or trackers; it listens and
// connects only on one address. A fetched file is written as DEST/NAME.part and
// renamed (one rename(2)) to DEST/NAME only after libtorrent verified every
// piece; it is then seeded. .torrent files and resume data live in the cache
// directory, so a restart neither re-hashes a seed nor re-downloads verified
// pieces: resume data is saved every few seconds and on destruction, and when
// the last run died without its final save (SIGKILL, power loss) the .part
// file is re-hashed instead of trusting the stale resume data, so every piece
// verified before the crash is kept. A fetch libtorrent stops because a
// piece's v1 and v2 hashes disagree is re-checked and resumed, up to 3 times
// (libtorrent 2.0.8 raises that on good data in a race), then fails; a failed
// fetch runs again only when the caller asks (Retry). The
// session does not re-add torrents by itself after a restart: callers call
// Seed/Fetch again and the cache makes that cheap.
//
// Thread-safe. A background thread handles libtorrent's alerts and logs events
// with the [TORRENT] tag. Torrents are named by their id (TorrentMeta::id());
// the v1 info-hash of a hybrid torrent names it too.

#include <memory>
#include <string>
#include <vector>

#include "dist/torrent_file.h"
#include "dist/transfer_stats.h"
#include "util/status.h"

namespace ss::dist {

struct SessionOptions {
  std::string cache_dir;                     // required; created if missing
  std::string listen_address = "127.0.0.1";  // also the only source address of outgoing connections
  int listen_port = 0;                       // 0: chosen by the OS (see listen_port())
  // Payload rate caps in bytes/s, 0 = none. They apply to every peer, those on
  // loopback and the LAN included (libtorrent exempts them by default).
  int upload_rate_limit = 0;
  int download_rate_limit = 0;
  // An incomplete download with no progress for this long is reported kStalled.
  double stall_seconds = 10;
};

struct FetchRequest {
  // Either the .torrent bytes, or a magnet link / bare info-hash (40 or 64 hex
  // digits) whose metadata then comes from the peers.
  std::string torrent;
  std::string magnet;
  std::string dest_dir;
  std::string final_name;          // the file's name in dest_dir once verified
  std::vector<std::string> peers;  // "ip:port" or "[v6]:port", connected to directly
};

class TorrentSession {
 public:
  // Fails when the address cannot be listened on.
  static Result<std::unique_ptr<TorrentSession>> Open(const SessionOptions& options);
  // Saves resume data of every torrent (waits a few seconds at most), then stops.
  ~TorrentSession();
  TorrentSession(const TorrentSession&) = delete;
  TorrentSession& operator=(const TorrentSession&) = delete;

  int listen_port() const;
  std::string endpoint() const;  // "127.0.0.1:PORT", what other sessions pass as a peer

  // Seeds one complete local file: creates its torrent (or loads it from the
  // cache, keyed by file name, size, mtime and format) and trusts the file as
  // it was hashed. Seeding a file already seeded returns its metadata again.
  Result<TorrentMeta> Seed(const std::string& path, TorrentFormat format);

  // Starts downloading in the background and returns the torrent's id. Fails
  // at once when the torrent is not one file, the final name already exists
  // (seed it instead), or dest_dir lacks the space for the rest of the file.
  Result<std::string> Fetch(const FetchRequest& request);
  // Starts a failed fetch again once its cause may be gone (space freed, a
  // peer with good data): checks the space, re-checks NAME.part and resumes,
  // keeping every verified piece. Fails, and the fetch stays failed, while
  // the space is still lacking; a fetch that has not failed is left alone.
  Status Retry(const std::string& id);
  // More peers for a torrent being fetched or seeded (e.g. from a DHT update).
  Status AddPeers(const std::string& id, const std::vector<std::string>& peers);

  Result<TransferProgress> Progress(const std::string& id) const;
  // Every peer endpoint seen on this torrent, connected ones first.
  Result<std::vector<PeerStats>> Peers(const std::string& id) const;
  // Blocks until the torrent is seeding, stalled or failed, or `timeout_s` passed
  // (then returns its progress as it is).
  Result<TransferProgress> Wait(const std::string& id, double timeout_s) const;

  class Impl;

 private:
  explicit TorrentSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ss::dist
