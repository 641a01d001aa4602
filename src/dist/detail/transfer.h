#pragma once
// One torrent of a TorrentSession and the bookkeeping libtorrent does not do
// for us: the .part → final rename, stall and error reporting, per-peer byte
// counters that outlive connections. For dist/*.cpp only. Not thread-safe:
// the session's mutex guards every Transfer.

#include <libtorrent/peer_info.hpp>
#include <libtorrent/torrent_handle.hpp>
#include <libtorrent/torrent_status.hpp>
#include <map>
#include <string>
#include <vector>

#include "dist/transfer_stats.h"

namespace ss::dist::detail {

class Transfer {
 public:
  Transfer(std::string id, lt::torrent_handle handle, bool fetching)
      : id_(std::move(id)), handle_(std::move(handle)), fetching_(fetching) {}

  const std::string& id() const { return id_; }
  const lt::torrent_handle& handle() const { return handle_; }
  bool fetching() const { return fetching_; }
  bool complete() const { return complete_; }

  // Fetches: the file's names in dest_dir while downloading and once verified.
  void SetNames(std::string dest_dir, std::string part_name, std::string final_name);
  const std::string& final_name() const { return final_name_; }
  const std::string& part_name() const { return part_name_; }
  std::string FinalPath() const { return dest_dir_ + "/" + final_name_; }
  std::string PartPath() const { return dest_dir_ + "/" + part_name_; }
  void SetGivenPeers(std::vector<std::string> peers);

  // Event bookkeeping (called from alert handling).
  void MarkComplete() { complete_ = true; }
  void MarkRenaming() { renaming_ = true; }
  bool renaming() const { return renaming_; }
  void Fail(std::string error);  // stops (disk, rename, bad torrent) until Restart
  bool failed() const { return failed_; }
  // Forgets a failure and its re-checks, as a fetch starting again at `now`.
  void Restart(double now);
  void HashFailed(int piece);
  void Banned(const std::string& endpoint);
  // Re-checks of the .part file after libtorrent stopped the fetch for
  // inconsistent v1 and v2 hashes (TorrentSession::Impl::Recheck): true while
  // one more is allowed, and counts it.
  static constexpr int kMaxRechecks = 3;
  bool TakeRecheck() { return rechecks_ < kMaxRechecks ? (++rechecks_, true) : false; }
  int rechecks() const { return rechecks_; }

  // Called about twice a second: progress and stall detection, peer counters.
  void Tick(const lt::torrent_status& st, double now, double stall_seconds);
  // Per-peer payload, counted block by block from alerts: libtorrent's own
  // per-connection counters vanish with the connection (two seeds drop their
  // connection the moment the download completes).
  void SetGeometry(const lt::torrent_info& ti);
  void CountBlock(const lt::tcp::endpoint& peer, int piece, int block, bool received);
  // Which peers are connected now, their client names and whether they are seeds.
  void UpdatePeers(const std::vector<lt::peer_info>& peers);

  TransferProgress Progress(const lt::torrent_status& st) const;
  std::vector<PeerStats> Peers() const;

  double last_resume_save = 0;  // when resume data was last requested
  double last_recheck = 0;      // when the last re-check (Recheck or Retry) was started

 private:
  std::string StallReason(const lt::torrent_status& st, double idle) const;
  std::string id_;
  lt::torrent_handle handle_;
  bool fetching_;
  std::string dest_dir_, part_name_, final_name_;
  std::vector<std::string> given_peers_;
  bool complete_ = false, renaming_ = false, failed_ = false;
  std::string error_;  // failure, or why stalled
  bool stalled_ = false;
  int hash_failures_ = 0, last_failed_piece_ = -1;
  int rechecks_ = 0;
  std::vector<std::string> banned_;
  int64_t last_received_ = -1;
  double last_progress_ = 0;
  int64_t total_size_ = 0;
  int piece_length_ = 0;
  std::map<std::string, PeerStats> peers_;
};

}  // namespace ss::dist::detail
