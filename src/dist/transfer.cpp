#include "dist/detail/transfer.h"

#include <algorithm>
#include <cmath>

#include "dist/detail/lt_glue.h"

namespace ss::dist::detail {

void Transfer::SetNames(std::string dest_dir, std::string part_name, std::string final_name) {
  dest_dir_ = std::move(dest_dir);
  part_name_ = std::move(part_name);
  final_name_ = std::move(final_name);
}

void Transfer::SetGivenPeers(std::vector<std::string> peers) {
  for (std::string& p : peers)
    if (std::find(given_peers_.begin(), given_peers_.end(), p) == given_peers_.end())
      given_peers_.push_back(std::move(p));
}

void Transfer::Fail(std::string error) {
  if (failed_) return;  // the first error is the cause; later ones follow from it
  failed_ = true;
  error_ = std::move(error);
}

void Transfer::Restart(double now) {
  failed_ = stalled_ = false;
  error_.clear();
  rechecks_ = 0;
  last_progress_ = now;
}

void Transfer::HashFailed(int piece) {
  ++hash_failures_;
  last_failed_piece_ = piece;
}

void Transfer::Banned(const std::string& endpoint) {
  if (std::find(banned_.begin(), banned_.end(), endpoint) == banned_.end()) banned_.push_back(endpoint);
}

namespace {

bool Checking(const lt::torrent_status& st) {
  return st.state == lt::torrent_status::checking_files ||
         st.state == lt::torrent_status::checking_resume_data;
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

}  // namespace

// Progress is payload arriving (blocks count before their piece is verified);
// hashing our own data does not count as waiting for peers. The payload rate
// is no sign of life: it is a moving average that decays for many seconds.
void Transfer::Tick(const lt::torrent_status& st, double now, double stall_seconds) {
  if (complete_ || failed_) return;
  const int64_t received = st.total_payload_download;
  if (received > last_received_ || Checking(st)) {
    last_received_ = std::max(last_received_, received);
    last_progress_ = now;
    stalled_ = false;
    error_.clear();
    return;
  }
  const double idle = now - last_progress_;
  // A banned seeder leaves nobody to ask; waiting longer cannot help.
  const bool hopeless = hash_failures_ > 0 && st.num_peers == 0 && idle >= 1.0;
  if (idle >= stall_seconds || hopeless) {
    stalled_ = true;
    error_ = StallReason(st, idle);
  }
}

std::string Transfer::StallReason(const lt::torrent_status& st, double idle) const {
  std::string why = "no data for " + std::to_string(static_cast<int>(std::lround(idle))) + " s";
  if (hash_failures_ > 0)
    why += "; " + std::to_string(hash_failures_) + " piece" + (hash_failures_ == 1 ? "" : "s") +
           " failed the hash check (last: piece " + std::to_string(last_failed_piece_) + ")";
  if (!banned_.empty()) why += "; banned for sending corrupt data: " + Join(banned_);
  if (st.num_peers == 0)
    why += "; no peer connected" + (given_peers_.empty() ? "" : " (peers given: " + Join(given_peers_) + ")");
  else
    why += "; " + std::to_string(st.num_peers) + " peer(s) connected but none sends the missing pieces";
  return why + "; add a peer that has a good copy";
}

void Transfer::SetGeometry(const lt::torrent_info& ti) {
  total_size_ = ti.total_size();
  piece_length_ = ti.piece_length();
}

void Transfer::CountBlock(const lt::tcp::endpoint& peer, int piece, int block, bool received) {
  if (piece_length_ <= 0) return;
  const int64_t piece_start = int64_t{piece} * piece_length_;
  const int64_t piece_size = std::min<int64_t>(piece_length_, total_size_ - piece_start);
  const int64_t bytes =
      std::clamp<int64_t>(piece_size - int64_t{block} * lt::default_block_size, 0, lt::default_block_size);
  PeerStats& ps = peers_[FormatEndpoint(peer)];
  ps.endpoint = FormatEndpoint(peer);
  (received ? ps.downloaded : ps.uploaded) += static_cast<uint64_t>(bytes);
}

void Transfer::UpdatePeers(const std::vector<lt::peer_info>& infos) {
  for (auto& [ep, ps] : peers_) ps.connected = false;
  for (const lt::peer_info& pi : infos) {
    PeerStats& ps = peers_[FormatEndpoint(pi.ip)];
    ps.endpoint = FormatEndpoint(pi.ip);
    ps.client = pi.client;
    ps.connected = true;
    ps.seed = static_cast<bool>(pi.flags & lt::peer_info::seed);
  }
}

std::vector<PeerStats> Transfer::Peers() const {
  std::vector<PeerStats> out;
  for (const auto& [ep, ps] : peers_) out.push_back(ps);
  std::stable_sort(out.begin(), out.end(),
                   [](const PeerStats& a, const PeerStats& b) { return a.connected > b.connected; });
  return out;
}

TransferProgress Transfer::Progress(const lt::torrent_status& st) const {
  TransferProgress p;
  if (failed_) {
    p.state = TransferState::kError;
  } else if (Checking(st)) {
    p.state = TransferState::kChecking;
  } else if (complete_) {
    p.state = TransferState::kSeeding;
  } else if (stalled_) {
    p.state = TransferState::kStalled;
  } else if (st.state == lt::torrent_status::downloading_metadata) {
    p.state = TransferState::kFetchingMetadata;
  } else {
    p.state = TransferState::kDownloading;  // also: verified, rename pending
  }
  p.error = error_;
  if (p.error.empty() && st.errc) p.error = st.errc.message();
  p.bytes_done = static_cast<uint64_t>(st.total_wanted_done);
  p.bytes_total = static_cast<uint64_t>(st.total_wanted);
  p.pieces_done = st.num_pieces;
  p.pieces_total = st.pieces.size();
  p.percent =
      p.bytes_total ? 100.0 * static_cast<double>(p.bytes_done) / static_cast<double>(p.bytes_total) : 0;
  p.downloaded = static_cast<uint64_t>(st.total_payload_download);
  p.uploaded = static_cast<uint64_t>(st.total_payload_upload);
  p.download_rate = st.download_payload_rate;
  p.upload_rate = st.upload_payload_rate;
  p.peers = st.num_peers;
  p.hash_failures = hash_failures_;
  const uint64_t left = p.bytes_total - std::min(p.bytes_total, p.bytes_done);
  if (left > 0 && p.download_rate > 0) p.eta_seconds = static_cast<int64_t>(left / p.download_rate);
  if (fetching_)
    p.path = complete_ ? FinalPath() : PartPath();
  else
    p.path = st.save_path + "/" + st.name;
  return p;
}

}  // namespace ss::dist::detail

namespace ss::dist {

const char* StateName(TransferState state) {
  switch (state) {
    case TransferState::kChecking:
      return "checking";
    case TransferState::kFetchingMetadata:
      return "fetching metadata";
    case TransferState::kDownloading:
      return "downloading";
    case TransferState::kSeeding:
      return "seeding";
    case TransferState::kStalled:
      return "stalled";
    case TransferState::kError:
      return "error";
  }
  return "?";
}

}  // namespace ss::dist
