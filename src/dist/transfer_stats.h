#pragma once
// What one torrent of a TorrentSession is doing, as plain values: the state a
// node announces and a console shows, and per-peer byte counters (tests use
// them to tell bytes from the seeder apart from bytes from other downloaders).

#include <cstdint>
#include <string>

namespace ss::dist {

enum class TransferState {
  kChecking,          // hashing existing data (no resume data, or it did not match)
  kFetchingMetadata,  // added by info-hash; waiting for a peer to send the info dict
  kDownloading,
  kSeeding,  // every piece verified by libtorrent and the file under its final name
  kStalled,  // incomplete and no connected peer sends data; `error` says why (a
             // good peer added later resumes it)
  kError,    // stopped: a disk or file error; `error` says which
};
const char* StateName(TransferState state);

struct TransferProgress {
  TransferState state = TransferState::kChecking;
  double percent = 0;       // of the payload, 0-100
  uint64_t bytes_done = 0;  // payload on disk, blocks of unfinished pieces included
  int pieces_done = 0;      // pieces that passed the hash check
  int pieces_total = 0;
  uint64_t bytes_total = 0;  // 0 while fetching metadata
  uint64_t downloaded = 0;   // payload received in this session (includes redundant bytes)
  uint64_t uploaded = 0;     // payload sent in this session
  int download_rate = 0;     // payload bytes/s
  int upload_rate = 0;       // payload bytes/s
  int peers = 0;             // connected now
  int hash_failures = 0;     // pieces that failed their hash check in this session
  int64_t eta_seconds = -1;  // -1 when unknown (no rate, or done)
  std::string path;          // where the file is now (NAME.part until complete)
  std::string error;         // why kStalled or kError; empty otherwise
};

// Counters of one peer connection endpoint over this session's lifetime
// (a reconnection from the same endpoint adds to them). The endpoint of an
// incoming connection is the remote's source port, not its listen port.
struct PeerStats {
  std::string endpoint;     // "127.0.0.1:6881"
  std::string client;       // what the peer calls itself ("libtorrent/2.0.8.0", "aria2/1.36.0")
  uint64_t downloaded = 0;  // payload bytes received from it
  uint64_t uploaded = 0;    // payload bytes sent to it
  bool connected = false;
  bool seed = false;  // has every piece (as last seen)
};

}  // namespace ss::dist
