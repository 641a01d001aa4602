#pragma once
// What a node announces about itself (DESIGN.md §5): a JSON document stored
// as a signed DHT value under its shard key and under its peer key.

#include <cstdint>
#include <optional>
#include <string>

#include "util/status.h"

namespace ss::dht {

// Records live kRecordLifetime (30 s) on the DHT: a node must refresh well within it.
inline constexpr int kMaxRefreshSeconds = 10;

// A shard file download in progress, as the node announces it (dist/).
struct DownloadRecord {
  std::string state;  // "downloading", "stalled", "error", …
  double percent = 0;
  int64_t rate = 0;  // bytes/s
  int peers = 0;
  int64_t eta_s = -1;  // -1: unknown
  std::string error;
};

struct NodeRecord {
  std::string peer_id;
  std::string cluster;
  int shard_id = 0;
  int total_shards = 0;
  int layer_start = 0, layer_end = 0, total_layers = 0;
  std::string model_id, model_name;
  std::string rpc_endpoint;      // "127.0.0.1:7001"
  std::string torrent_endpoint;  // empty until distribution exists
  std::string tls_fingerprint;   // SHA-256 of the certificate the node presents
  bool shard_loaded = false;
  std::string shard_problem;  // why not loaded, in words
  uint64_t memory_bytes = 0;
  int cores = 0;
  std::string gpu;
  double load = 0;
  std::string version;
  int refresh_s = 5;                       // how often the node re-announces
  int64_t time_ms = 0;                     // wall clock at announcement
  std::optional<DownloadRecord> download;  // while its shard file is being fetched

  std::string ToJson() const;
  static Result<NodeRecord> FromJson(const std::string& text);
};

// A process seeding a shard file over BitTorrent announces this on
// shardswarm/{cluster}/file/{info_hash}: downloaders connect to its endpoint.
struct FileRecord {
  std::string peer_id;
  std::string cluster;
  std::string info_hash;  // the key's info-hash (v2 when the torrent has one)
  std::string file;       // "shard-2.gguf"
  int shard_id = 0;
  std::string torrent_endpoint;  // "127.0.0.1:6881"
  bool complete = false;         // a seed (false: a downloader that shares its pieces)
  int64_t time_ms = 0;

  std::string ToJson() const;
  static Result<FileRecord> FromJson(const std::string& text);
};

// A process that talks to nodes without holding a shard (gateway, `rpc`
// tool) announces this on its cluster's clients key, so nodes can check the
// certificate it presents.
struct ClientRecord {
  std::string peer_id;
  std::string cluster;
  std::string role;  // "gateway", "cli"
  std::string tls_fingerprint;
  int64_t time_ms = 0;

  std::string ToJson() const;
  static Result<ClientRecord> FromJson(const std::string& text);
};

// A node started without a shard id says it is choosing one (shard -1), then
// which one it chose, on its cluster's claims key (node/shard_choice.h).
struct ClaimRecord {
  std::string peer_id;
  std::string cluster;
  int shard = -1;  // -1: still choosing
  int64_t time_ms = 0;

  std::string ToJson() const;
  static Result<ClaimRecord> FromJson(const std::string& text);
};

}  // namespace ss::dht
