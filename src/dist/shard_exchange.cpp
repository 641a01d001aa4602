#include "dist/shard_exchange.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "shard/validate.h"
#include "util/clock.h"
#include "util/file_io.h"
#include "util/hex.h"
#include "util/log.h"

namespace ss::dist {
namespace {

namespace fs = std::filesystem;

// The key a shard's file records live under: its v2 info-hash when it has one.
std::string TorrentId(const shard::ShardEntry& e) {
  return e.info_hash_v2.empty() ? e.info_hash_v1 : e.info_hash_v2;
}

const shard::ShardEntry* FindEntry(const shard::Manifest& m, int id) {
  for (const shard::ShardEntry& e : m.shards)
    if (e.id == id) return &e;
  return nullptr;
}

// The manifest without what only a seeder knows, to compare with a split's.
std::string Comparable(shard::Manifest m) {
  for (shard::ShardEntry& e : m.shards) e.info_hash_v1 = e.info_hash_v2 = "";
  return m.ToJson();
}

}  // namespace

Result<std::unique_ptr<ShardExchange>> ShardExchange::Start(const ShardExchangeOptions& options,
                                                            dht::Discovery* discovery,
                                                            const dht::NodeIdentity& identity) {
  std::unique_ptr<ShardExchange> x(new ShardExchange());
  x->options_ = options;
  x->discovery_ = discovery;
  x->self_ = identity.peer_id;
  SessionOptions so;
  so.cache_dir = options.data_dir + "/torrents";
  so.listen_address = options.bind_address;
  so.listen_port = options.torrent_port;
  so.upload_rate_limit = options.upload_rate_limit;
  so.download_rate_limit = options.download_rate_limit;
  SS_ASSIGN_OR_RETURN(x->session_, TorrentSession::Open(so));
  if (options.manifest_authority) {
    const std::string path = options.shards_dir + "/" + shard::kManifestName;
    auto m = shard::Manifest::Load(path);
    if (!m.ok()) return Status::Error("cannot seed " + options.shards_dir + ": " + m.status().message());
    x->manifest_ = std::move(m.value());
  } else if (!options.trust_seeder.empty()) {
    x->PinTrust(options.trust_seeder);
  } else if (auto pinned = ReadWholeFile(options.data_dir + "/trusted-seeder"); pinned.ok()) {
    x->trusted_ = pinned->substr(0, pinned->find_first_of(" \n"));
  }
  x->SeedLocalFiles();
  if (!options.manifest_authority) {
    ShardExchange* self = x.get();
    discovery->Listen(dht::ModelKey(options.cluster), [self](const dht::SignedValue& v, bool expired) {
      if (!expired) self->OnManifest(v);
    });
  }
  return x;
}

ShardExchange::~ShardExchange() = default;

std::string ShardExchange::torrent_endpoint() const { return session_->endpoint(); }

std::string ShardExchange::TrustedModelId() const {
  std::lock_guard<std::mutex> lock(mu_);
  return manifest_ ? manifest_->model_id : "";
}

void ShardExchange::PinTrust(const std::string& peer_id) {
  trusted_ = peer_id;
  const std::string path = options_.data_dir + "/trusted-seeder";
  if (Status s = WriteWholeFile(path, peer_id + "\n"); !s.ok())
    Log("TORRENT", "cannot pin the trusted seeder in " + path + ": " + s.message());
  Log("TORRENT", "trusting manifests of cluster " + options_.cluster + " signed by " + ShortId(peer_id) +
                     " (pinned in " + path + ")");
}

void ShardExchange::OnManifest(const dht::SignedValue& v) {
  auto m = shard::Manifest::FromJson(v.data);
  std::lock_guard<std::mutex> lock(mu_);
  if (!m.ok() || v.owner.empty()) return;
  if (trusted_.empty()) PinTrust(v.owner);
  if (v.owner != trusted_) {
    if (ignored_.insert(v.owner).second)
      Log("TORRENT", "ignoring a manifest of cluster " + options_.cluster + " signed by " + ShortId(v.owner) +
                         ": this node trusts only " + ShortId(trusted_) + " (" + options_.data_dir +
                         "/trusted-seeder, or --trust-seeder)");
    return;
  }
  if (!manifest_ || manifest_->ToJson() != m->ToJson()) {
    Log("TORRENT", "manifest of model " + ShortId(m->model_id) + " (" + std::to_string(m->shards.size()) +
                       " shards) from " + ShortId(v.owner));
    manifest_ = std::move(m.value());
  }
}

void ShardExchange::OnFileRecord(const dht::SignedValue& v) {
  auto r = dht::FileRecord::FromJson(v.data);
  if (!r.ok() || r->peer_id != v.owner || r->peer_id == self_ || r->cluster != options_.cluster) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (r->info_hash != fetch_id_ || !fetch_peers_.insert(r->torrent_endpoint).second) return;
  if (Status s = session_->AddPeers(fetch_id_, {r->torrent_endpoint}); !s.ok())
    Log("TORRENT", "cannot add peer " + r->torrent_endpoint + ": " + s.message());
}

// Seeds each shard file of the dir that matches manifest.json (hashes are
// cached by size and mtime, so this is cheap once done).
void ShardExchange::SeedLocalFiles() {
  auto m = shard::Manifest::Load(options_.shards_dir + "/" + shard::kManifestName);
  if (!m.ok()) return;  // nothing can be checked, so nothing is offered
  for (const shard::ShardEntry& e : m->shards) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (seeded_.count(e.id) || (e.id == wanted_ && !fetch_id_.empty())) continue;
    }
    const std::string path = options_.shards_dir + "/" + e.file;
    if (!fs::exists(path) || !shard::CheckShardFile(options_.shards_dir, e.id, HashCache()).ok()) continue;
    auto meta = session_->Seed(path, options_.format);
    if (!meta.ok()) {
      Log("TORRENT", "cannot seed " + path + ": " + meta.status().message());
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    seeded_[e.id] = std::move(meta.value());
  }
}

void ShardExchange::AnnounceFiles() {
  std::lock_guard<std::mutex> lock(mu_);
  auto announce = [&](const std::string& id, const std::string& file, int shard_id, bool complete) {
    const int64_t now = UnixMillis();
    dht::FileRecord r{self_, options_.cluster, id, file, shard_id, session_->endpoint(), complete, now};
    discovery_->Announce(dht::FileKey(options_.cluster, id), r.ToJson());
  };
  for (const auto& [k, meta] : seeded_) announce(meta.id(), meta.name, k, true);
  // A downloader offers the pieces it has: downloaders trade among themselves.
  if (!fetch_id_.empty()) announce(fetch_id_, shard::ShardFileName(wanted_), wanted_, false);
}

void ShardExchange::AnnounceManifest() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!manifest_) return;
  shard::Manifest m = *manifest_;
  for (shard::ShardEntry& e : m.shards) {
    auto it = seeded_.find(e.id);
    if (it == seeded_.end()) continue;
    e.info_hash_v1 = it->second.v1_hex;
    e.info_hash_v2 = it->second.v2_hex;
  }
  discovery_->Announce(dht::ModelKey(options_.cluster), m.ToJson());
}

void ShardExchange::Want(int shard_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shard_id != wanted_) {
    retry_at_ = 0;
    retry_delay_ = kFirstRetrySeconds;
  }
  wanted_ = shard_id;
}

void ShardExchange::RetryLater(const std::string& why, double now) {
  retry_at_ = now + retry_delay_;
  char delay[32];
  std::snprintf(delay, sizeof delay, "%.0f s", retry_delay_);
  Log("TORRENT", "cannot fetch " + shard::ShardFileName(wanted_) + ": " + why + "; trying again in " + delay);
  retry_delay_ = std::min(2 * retry_delay_, kMaxRetrySeconds);
}

// A failed fetch keeps its .part file and its place in the session: Retry
// re-checks what is there and goes on from it.
void ShardExchange::RetryFailedFetch(const TransferProgress& p, double now) {
  if (retry_at_ == 0) return RetryLater(p.error, now);
  if (now < retry_at_) return;
  if (Status s = session_->Retry(fetch_id_); !s.ok()) return RetryLater(s.message(), now);
  retry_at_ = 0;
}

// With a trusted manifest: the manifest replaces manifest.json when they
// differ, a file that does not match it is deleted, and the fetch starts.
void ShardExchange::StartFetch() {
  std::optional<shard::Manifest> m;
  int k;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (wanted_ < 0 || !fetch_id_.empty() || !manifest_ || options_.manifest_authority) return;
    if (MonotonicSeconds() < retry_at_) return;  // after a failed start
    m = manifest_;
    k = wanted_;
  }
  const shard::ShardEntry* e = FindEntry(*m, k);
  if (e == nullptr || TorrentId(*e).empty()) return;  // not offered (yet)
  const std::string dir = options_.shards_dir, name = shard::ShardFileName(k), path = dir + "/" + name;
  std::error_code ec;
  fs::create_directories(dir, ec);
  const std::string manifest_path = dir + "/" + shard::kManifestName;
  auto local = shard::Manifest::Load(manifest_path);
  if (!local.ok() || Comparable(*local) != Comparable(*m)) {
    if (Status s = WriteWholeFile(manifest_path, m->ToJson()); !s.ok()) {
      Log("TORRENT", "cannot write " + manifest_path + ": " + s.message());
      return;
    }
    Log("TORRENT", "wrote the swarm's manifest (model " + ShortId(m->model_id) + ") to " + manifest_path);
  }
  if (fs::exists(path)) {
    Status s = shard::CheckShardFile(dir, k, HashCache());
    if (s.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      wanted_ = -1;  // present and right: SeedLocalFiles offers it
      return;
    }
    Log("TORRENT", name + " does not match the swarm's manifest (" + s.message() + "): fetching it again");
    fs::remove(path, ec);
  }
  std::lock_guard<std::mutex> lock(mu_);
  const std::string id = TorrentId(*e);
  Status space = CheckRoomFor(path, e->size);
  std::vector<std::string> peers(fetch_peers_.begin(), fetch_peers_.end());
  auto started = space.ok() ? session_->Fetch({"", id, dir, name, peers}) : Result<std::string>(space);
  if (!started.ok()) {
    fetch_error_ = started.status().message();
    RetryLater(fetch_error_, MonotonicSeconds());
    return;
  }
  fetch_id_ = *started;
  fetch_error_.clear();
  retry_at_ = 0;
  announce_now_ = true;  // other downloaders should find this one at once
  if (listening_.insert(id).second) {
    ShardExchange* self = this;
    discovery_->Listen(dht::FileKey(options_.cluster, id), [self](const dht::SignedValue& v, bool expired) {
      if (!expired) self->OnFileRecord(v);
    });
  }
}

void ShardExchange::Tick(bool refresh) {
  StartFetch();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fetch_id_.empty()) {
      auto p = session_->Progress(fetch_id_);
      if (p.ok() && ++ticks_fetching_ % kProgressLogTicks == 0 && p->state != TransferState::kSeeding) {
        char line[200];
        std::snprintf(line, sizeof line, "%s: %s %.1f%%, %.1f MB/s, %d peer(s), ETA %s",
                      shard::ShardFileName(wanted_).c_str(), StateName(p->state), p->percent,
                      p->download_rate / 1e6, p->peers,
                      p->eta_seconds < 0 ? "unknown" : (std::to_string(p->eta_seconds) + " s").c_str());
        Log("TORRENT", line + (p->error.empty() ? "" : ": " + p->error));
      }
      if (p.ok() && p->state == TransferState::kError) RetryFailedFetch(*p, MonotonicSeconds());
      if (p.ok() && p->state == TransferState::kSeeding && manifest_) {
        // Verified and renamed into place: now a seed like any other file.
        LogReceived(*p);
        if (const shard::ShardEntry* e = FindEntry(*manifest_, wanted_)) {
          TorrentMeta meta;
          meta.name = e->file;
          meta.size = e->size;
          meta.v1_hex = e->info_hash_v1;
          meta.v2_hex = e->info_hash_v2;
          seeded_[wanted_] = meta;
          fetched_.insert(wanted_);
        }
        fetch_id_.clear();
        wanted_ = -1;
        retry_delay_ = kFirstRetrySeconds;
        refresh = true;
      }
    }
  }
  SeedLocalFiles();
  {
    std::lock_guard<std::mutex> lock(mu_);
    refresh = refresh || announce_now_;
    announce_now_ = false;
  }
  if (refresh) {
    AnnounceFiles();
    if (options_.manifest_authority) AnnounceManifest();
  }
}

// Where the bytes came from: "received 2400544 bytes: 1200000 from
// 127.0.0.1:40815, …" (per-peer payload, the largest first).
void ShardExchange::LogReceived(const TransferProgress& p) {
  auto peers = session_->Peers(fetch_id_);
  std::vector<PeerStats> from = peers.ok() ? *peers : std::vector<PeerStats>{};
  std::sort(from.begin(), from.end(),
            [](const PeerStats& a, const PeerStats& b) { return a.downloaded > b.downloaded; });
  std::string text =
      shard::ShardFileName(wanted_) + " fetched: received " + std::to_string(p.downloaded) + " bytes";
  const char* sep = ": ";
  for (const PeerStats& s : from) {
    if (s.downloaded == 0) continue;
    text += sep + std::to_string(s.downloaded) + " from " + s.endpoint;
    sep = ", ";
  }
  Log("TORRENT", text);
}

std::optional<dht::DownloadRecord> ShardExchange::Download() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (fetch_id_.empty()) {
    if (fetch_error_.empty()) return std::nullopt;
    return dht::DownloadRecord{"error", 0, 0, 0, -1, fetch_error_};
  }
  auto p = session_->Progress(fetch_id_);
  if (!p.ok()) return dht::DownloadRecord{"error", 0, 0, 0, -1, p.status().message()};
  return dht::DownloadRecord{StateName(p->state), p->percent, p->download_rate, p->peers,
                             p->eta_seconds,      p->error};
}

bool ShardExchange::Fetched(int shard_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return fetched_.count(shard_id) > 0;
}

nlohmann::json ShardExchange::ListFiles() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json out = nlohmann::json::array();
  auto add = [&](int k, const std::string& id, const std::string& file, uint64_t size, const std::string& v1,
                 const std::string& v2) {
    nlohmann::json f = {
        {"file", file}, {"shard_id", k}, {"size", size}, {"info_hash_v1", v1}, {"info_hash_v2", v2}};
    if (auto p = session_->Progress(id); p.ok()) {
      f["state"] = StateName(p->state);
      f["percent"] = p->percent;
      f["downloaded"] = p->downloaded;
      f["uploaded"] = p->uploaded;
      f["size"] = p->bytes_total ? p->bytes_total : size;
    }
    f["peers"] = nlohmann::json::array();
    if (auto peers = session_->Peers(id); peers.ok())
      for (const PeerStats& s : *peers)
        f["peers"].push_back(
            {{"endpoint", s.endpoint}, {"downloaded", s.downloaded}, {"uploaded", s.uploaded}});
    out.push_back(std::move(f));
  };
  for (const auto& [k, meta] : seeded_) add(k, meta.id(), meta.name, meta.size, meta.v1_hex, meta.v2_hex);
  if (!fetch_id_.empty() && manifest_)
    if (const shard::ShardEntry* e = FindEntry(*manifest_, wanted_))
      add(wanted_, fetch_id_, e->file, e->size, e->info_hash_v1, e->info_hash_v2);
  return out;
}

}  // namespace ss::dist
