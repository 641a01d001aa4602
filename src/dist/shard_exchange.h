#pragma once
// A process's part in distributing a cluster's shard files (DESIGN.md §6),
// on top of one TorrentSession and the process's Discovery:
//   - it seeds every shard file of its shards dir that matches manifest.json
//     and announces a FileRecord for each on shardswarm/{cluster}/file/{hash};
//   - the manifest authority (`bootstrap --seed-dir`) also announces the
//     model manifest, with each shard's info-hashes, on shardswarm/{cluster}/model;
//   - a node trusts manifests from one identity only: --trust-seeder, else the
//     one pinned in DATA_DIR/trusted-seeder, else the first signer it sees
//     (then pinned). Manifests signed by anyone else are ignored (logged), so
//     their file records cannot make the node fetch anything;
//   - Want(k) fetches shard k when the shards dir lacks it or holds a file the
//     trusted manifest does not match: the trusted manifest replaces
//     manifest.json, a mismatching file is deleted, and the fetch runs in the
//     background from every peer the file records name, into NAME.part,
//     renamed once libtorrent verified every piece (the node then checks the
//     SHA-256 again when it loads the file). A fetch that cannot start (no
//     space) or fails (a disk error, a torrent whose hashes disagree) is tried
//     again after 2 s, then 4, 8, ... up to every 60 s, keeping what it has.
// Thread-safe: Tick runs on the owner's loop, the rest from any thread.

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "dht/discovery.h"
#include "dht/identity.h"
#include "dht/record.h"
#include "dist/torrent_session.h"
#include "shard/manifest.h"
#include "util/status.h"

namespace ss::dist {

struct ShardExchangeOptions {
  std::string cluster = "default";
  std::string shards_dir;
  std::string data_dir;  // torrents/ (the session's cache), trusted-seeder, shard-hash.json
  std::string bind_address = "127.0.0.1";
  int torrent_port = 0;  // 0: any free port
  TorrentFormat format = TorrentFormat::kHybrid;
  bool manifest_authority = false;  // announce manifest.json (with info-hashes) as the swarm's
  std::string trust_seeder;         // peer id whose manifests to trust (pinned when given)
  int upload_rate_limit = 0;        // bytes/s, 0: none
  int download_rate_limit = 0;      // bytes/s, 0: none
};

class ShardExchange {
 public:
  // `discovery` must outlive the exchange.
  static Result<std::unique_ptr<ShardExchange>> Start(const ShardExchangeOptions& options,
                                                      dht::Discovery* discovery,
                                                      const dht::NodeIdentity& identity);
  ~ShardExchange();

  // Once a second: seeds shard files that appeared, starts or feeds the wanted
  // fetch; on `refresh`, re-announces the file records (and the manifest).
  void Tick(bool refresh);
  // Keeps shard `shard_id` present and matching the trusted manifest.
  void Want(int shard_id);
  // The wanted shard's fetch while it runs (or stalls, or failed).
  std::optional<dht::DownloadRecord> Download() const;
  // Whether the file now in place was fetched by this process (for the
  // SHARD_LOADED event).
  bool Fetched(int shard_id) const;
  std::string torrent_endpoint() const;
  // The model id of the manifest this process trusts (or seeds), "" for none.
  std::string TrustedModelId() const;
  // LIST_FILES: [{"file", "shard_id", "size", "info_hash_v1", "info_hash_v2",
  // "state", "percent", "downloaded", "uploaded", "peers": [{"endpoint",
  // "downloaded", "uploaded"}]}]
  nlohmann::json ListFiles() const;

 private:
  ShardExchange() = default;
  void OnManifest(const dht::SignedValue& v);
  void OnFileRecord(const dht::SignedValue& v);
  void SeedLocalFiles();
  void AnnounceFiles();
  void AnnounceManifest();
  void PinTrust(const std::string& peer_id);
  void StartFetch();
  // Under mu_: the wanted shard's fetch could not start or failed; tried
  // again after the back-off.
  void RetryLater(const std::string& why, double now);
  void RetryFailedFetch(const TransferProgress& p, double now);
  void LogReceived(const TransferProgress& p);
  std::string HashCache() const { return options_.data_dir + "/shard-hash.json"; }

  ShardExchangeOptions options_;
  dht::Discovery* discovery_ = nullptr;
  std::string self_;
  std::unique_ptr<TorrentSession> session_;

  mutable std::mutex mu_;
  std::map<int, TorrentMeta> seeded_;        // by shard id: files this process seeds
  std::optional<shard::Manifest> manifest_;  // the trusted one (or, for the authority, its own)
  std::string trusted_;                      // peer id
  std::set<std::string> ignored_;            // signers already logged as ignored
  int wanted_ = -1;
  std::string fetch_id_;     // the running fetch's torrent id
  std::string fetch_error_;  // why the last fetch could not start
  double retry_at_ = 0;      // MonotonicSeconds of the next attempt after a failure, 0: none due
  double retry_delay_ = kFirstRetrySeconds;
  static constexpr double kFirstRetrySeconds = 2, kMaxRetrySeconds = 60;
  bool announce_now_ = false;  // a fetch started: announce before the next refresh
  std::set<std::string> fetch_peers_;
  std::set<int> fetched_;
  static constexpr int kProgressLogTicks = 5;  // a progress line every 5 s while fetching
  int ticks_fetching_ = 0;
  std::set<std::string> listening_;  // file keys listened on
};

}  // namespace ss::dist
