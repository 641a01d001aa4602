#include "dist/torrent_session.h"

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/bdecode.hpp>
#include <libtorrent/bencode.hpp>
#include <libtorrent/error_code.hpp>
#include <libtorrent/magnet_uri.hpp>
#include <libtorrent/read_resume_data.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/write_resume_data.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "dist/detail/lt_glue.h"
#include "dist/detail/session_settings.h"
#include "dist/detail/transfer.h"
#include "dist/resume_cache.h"
#include "util/clock.h"
#include "util/file_io.h"
#include "util/hex.h"
#include "util/log.h"
#include "util/thread_name.h"

namespace ss::dist {
namespace fs = std::filesystem;
using detail::Transfer;

namespace {

constexpr double kTickSeconds = 0.5;
constexpr double kResumeSaveSeconds = 3;  // what a SIGKILL can cost: re-hashing this much download
constexpr double kShutdownSaveSeconds = 5;
// Resume data written at shutdown carries this key; without it the process
// died after the last periodic save, and pieces verified since are only on disk.
constexpr char kCleanKey[] = "shardswarm-clean";

// Torrents run as added: not paused, not queued behind libtorrent's limit of
// active torrents (a node seeds every shard it holds).
void RunUnmanaged(lt::add_torrent_params& atp) {
  atp.flags &= ~(lt::torrent_flags::paused | lt::torrent_flags::auto_managed | lt::torrent_flags::seed_mode |
                 lt::torrent_flags::upload_mode);
}

// Peers come only from the caller: drop whatever a foreign .torrent or magnet lists.
void NoOutsidePeers(lt::add_torrent_params& atp) {
  atp.trackers.clear();
  atp.tracker_tiers.clear();
  atp.url_seeds.clear();
  atp.dht_nodes.clear();
  if (atp.ti) {
    atp.ti->clear_trackers();
    atp.ti->set_web_seeds({});
  }
}

Result<lt::add_torrent_params> ParseMagnet(const std::string& text) {
  std::string uri = text;
  if (text.size() == 40) uri = "magnet:?xt=urn:btih:" + text;
  if (text.size() == 64) uri = "magnet:?xt=urn:btmh:1220" + text;
  lt::error_code ec;
  lt::add_torrent_params atp = lt::parse_magnet_uri(uri, ec);
  if (ec)
    return Status::InvalidArgument("'" + text +
                                   "' is neither a magnet link nor an info-hash: " + ec.message());
  return atp;
}

}  // namespace

class TorrentSession::Impl {
 public:
  Impl(const SessionOptions& options, std::unique_ptr<lt::session> ses)
      : options_(options), cache_(options.cache_dir), ses_(std::move(ses)) {}
  ~Impl();

  Status Start();
  int port() const { return ses_->listen_port(); }
  const SessionOptions& options() const { return options_; }
  Result<TorrentMeta> Seed(const std::string& path, TorrentFormat format);
  Result<std::string> Fetch(const FetchRequest& req);
  Status Retry(const std::string& id);
  Status AddPeers(const std::string& id, const std::vector<std::string>& peers);
  Result<TransferProgress> Progress(const std::string& id) const;
  Result<std::vector<PeerStats>> Peers(const std::string& id) const;

 private:
  // Resume data from the cache (`clean`: written at shutdown), or empty params.
  lt::add_torrent_params ResumeOrNew(const std::string& id, bool* clean) const;
  Result<std::shared_ptr<Transfer>> Add(lt::add_torrent_params atp, const std::string& id, bool fetching);
  std::shared_ptr<Transfer> Find(const std::string& id) const;
  Status Connect(Transfer& t, const std::vector<std::string>& peers);
  void RecheckAfterCrash(lt::add_torrent_params& atp, const std::string& part_path);
  void SaveResume(Transfer& t, double now);

  void AlertLoop();
  void HandleAlerts();
  void Handle(lt::alert* a);
  void HandleFinished(Transfer& t);
  void HandleMetadata(Transfer& t);
  void HandleError(Transfer& t, const lt::torrent_error_alert& e);
  static bool Recheckable(const Transfer& t, const lt::error_code& ec);
  void Recheck(Transfer& t, const lt::torrent_status& st, double now);
  void HandleResume(lt::save_resume_data_alert& a);
  void Tick();
  void SaveAllResumeData();

  // Logs with the [TORRENT] tag and this session's port (tests run several per process).
  void Say(const std::string& message) const {
    ss::Log("TORRENT", ":" + std::to_string(port_) + " " + message);
  }

  SessionOptions options_;
  int port_ = 0;
  ResumeCache cache_;
  std::unique_ptr<lt::session> ses_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Transfer>> by_id_;  // by id and by v1 hex
  std::map<lt::torrent_handle, std::shared_ptr<Transfer>> by_handle_;
  int pending_saves_ = 0;
  bool shutting_down_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  double last_tick_ = 0;
};

Status TorrentSession::Impl::Start() {
  ses_->set_peer_class_filter(detail::PeerClassFilter());
  if (ses_->listen_port() == 0) {
    std::string why = "no listen socket";
    std::vector<lt::alert*> alerts;
    ses_->pop_alerts(&alerts);
    for (lt::alert* a : alerts)
      if (auto* f = lt::alert_cast<lt::listen_failed_alert>(a)) why = f->message();
    return Status::Error("BitTorrent cannot listen on " + options_.listen_address + ":" +
                         std::to_string(options_.listen_port) + ": " + why);
  }
  port_ = ses_->listen_port();
  Say("listening on " + options_.listen_address + ":" + std::to_string(port()) +
      " (no DHT, LSD, UPnP, NAT-PMP or trackers)");
  thread_ = std::thread([this] {
    NameThisThread("torrent-alerts");
    AlertLoop();
  });
  return Status::Ok();
}

TorrentSession::Impl::~Impl() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  SaveAllResumeData();
  ses_.reset();  // closes connections and files
}

// Asks every torrent for resume data and handles alerts here (the alert
// thread has stopped) until all are written or the deadline passes.
void TorrentSession::Impl::SaveAllResumeData() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shutting_down_ = true;
    for (auto& [h, t] : by_handle_) {
      if (!h.is_valid()) continue;
      h.save_resume_data(lt::torrent_handle::save_info_dict);
      ++pending_saves_;
    }
  }
  const double deadline = MonotonicSeconds() + kShutdownSaveSeconds;
  while (MonotonicSeconds() < deadline) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (pending_saves_ <= 0) return;
    }
    ses_->wait_for_alert(std::chrono::milliseconds(100));
    HandleAlerts();
  }
  Say("shutting down with " + std::to_string(pending_saves_) + " resume file(s) unsaved");
}

void TorrentSession::Impl::AlertLoop() {
  while (!stop_) {
    ses_->wait_for_alert(std::chrono::milliseconds(100));
    HandleAlerts();
    if (MonotonicSeconds() - last_tick_ >= kTickSeconds) Tick();
  }
}

void TorrentSession::Impl::HandleAlerts() {
  std::vector<lt::alert*> alerts;
  ses_->pop_alerts(&alerts);
  std::lock_guard<std::mutex> lock(mu_);
  for (lt::alert* a : alerts) Handle(a);
}

std::shared_ptr<Transfer> TorrentSession::Impl::Find(const std::string& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

void TorrentSession::Impl::Handle(lt::alert* a) {
  if (auto* r = lt::alert_cast<lt::save_resume_data_alert>(a)) return HandleResume(*r);
  if (lt::alert_cast<lt::save_resume_data_failed_alert>(a)) {
    --pending_saves_;
    return;
  }
  auto* ta = dynamic_cast<lt::torrent_alert*>(a);
  if (!ta) {
    if (lt::alert_cast<lt::listen_failed_alert>(a)) Say(a->message());
    return;
  }
  auto it = by_handle_.find(ta->handle);
  if (it == by_handle_.end()) return;
  Transfer& t = *it->second;
  const std::string name = "[" + ShortId(t.id()) + "] ";
  switch (a->type()) {
    case lt::block_finished_alert::alert_type: {
      auto* b = lt::alert_cast<lt::block_finished_alert>(a);
      t.CountBlock(b->endpoint, static_cast<int>(b->piece_index), b->block_index, true);
      return;
    }
    case lt::block_uploaded_alert::alert_type: {
      auto* b = lt::alert_cast<lt::block_uploaded_alert>(a);
      t.CountBlock(b->endpoint, static_cast<int>(b->piece_index), b->block_index, false);
      return;
    }
    case lt::torrent_finished_alert::alert_type:
      return HandleFinished(t);
    case lt::metadata_received_alert::alert_type:
      return HandleMetadata(t);
    case lt::file_renamed_alert::alert_type:
      t.MarkComplete();
      Say(name + "verified every piece; saved as " + t.FinalPath() + "; seeding");
      t.handle().save_resume_data(lt::torrent_handle::save_info_dict);
      ++pending_saves_;
      return;
    case lt::file_rename_failed_alert::alert_type: {
      auto* f = lt::alert_cast<lt::file_rename_failed_alert>(a);
      t.Fail("renaming " + t.PartPath() + " to " + t.FinalPath() + ": " + f->error.message());
      Say(name + "error: renaming " + t.PartPath() + ": " + f->error.message());
      return;
    }
    case lt::hash_failed_alert::alert_type: {
      const int piece = static_cast<int>(lt::alert_cast<lt::hash_failed_alert>(a)->piece_index);
      t.HashFailed(piece);
      Say(name + "piece " + std::to_string(piece) + " failed its hash check; re-requesting it");
      return;
    }
    case lt::peer_ban_alert::alert_type: {
      const std::string ep = detail::FormatEndpoint(lt::alert_cast<lt::peer_ban_alert>(a)->endpoint);
      t.Banned(ep);
      Say(name + "banned peer " + ep + " (sent data that failed the hash check)");
      return;
    }
    case lt::peer_connect_alert::alert_type: {
      auto* c = lt::alert_cast<lt::peer_connect_alert>(a);
      Say(name + "peer connected: " + detail::FormatEndpoint(c->endpoint) +
          (c->direction == lt::peer_connect_alert::direction_t::in ? " (incoming)" : " (outgoing)"));
      return;
    }
    case lt::file_error_alert::alert_type: {
      auto* f = lt::alert_cast<lt::file_error_alert>(a);
      if (t.failed() || Recheckable(t, f->error)) return;
      t.Fail(std::string(f->filename()) + ": " + lt::operation_name(f->op) + ": " + f->error.message());
      t.handle().pause();
      Say(name + "error: " + f->filename() + ": " + lt::operation_name(f->op) + ": " + f->error.message() +
          "; stopped");
      return;
    }
    case lt::torrent_error_alert::alert_type:
      return HandleError(t, *lt::alert_cast<lt::torrent_error_alert>(a));
    case lt::torrent_checked_alert::alert_type: {
      const lt::torrent_status st = t.handle().status(lt::torrent_handle::query_pieces);
      Say(name + "ready: " + std::to_string(st.num_pieces) + " of " + std::to_string(st.pieces.size()) +
          " pieces on disk");
      return;
    }
    default:
      return;
  }
}

// Every piece passed libtorrent's hash check: a fetched file moves from
// NAME.part to NAME in one rename(2), done by libtorrent so it keeps seeding
// from the new name.
void TorrentSession::Impl::HandleFinished(Transfer& t) {
  if (t.complete() || t.renaming()) return;
  const auto ti = t.handle().torrent_file();
  const std::string current = ti ? std::string(ti->files().file_name(lt::file_index_t{0})) : "";
  if (!t.fetching() || current == t.final_name()) {  // a seed, or a restart after the rename
    t.MarkComplete();
    Say("[" + ShortId(t.id()) + "] complete: " + t.handle().status().name + "; seeding");
    return;
  }
  if (fs::exists(t.FinalPath())) {
    t.Fail(t.FinalPath() + " appeared during the download; not replacing it (the verified copy stays in " +
           t.PartPath() + ")");
    return;
  }
  t.MarkRenaming();
  t.handle().rename_file(lt::file_index_t{0}, t.final_name());
}

// A fetch by info-hash learns only now whether the torrent is one file.
void TorrentSession::Impl::HandleMetadata(Transfer& t) {
  const auto ti = t.handle().torrent_file();
  Result<TorrentMeta> meta = ti ? detail::MetaOf(*ti) : Result<TorrentMeta>(Status::Error("no metadata"));
  if (!meta.ok()) {
    t.Fail(meta.status().message());
    t.handle().pause();
    return;
  }
  t.SetGeometry(*ti);
  Say("[" + ShortId(t.id()) + "] metadata received: " + meta->name + ", " + std::to_string(meta->size) +
      " bytes in " + std::to_string(meta->num_pieces) + " pieces");
  const Status space = CheckRoomFor(t.FinalPath(), meta->size);
  if (!space.ok()) {
    t.Fail(space.message());
    t.handle().pause();
  }
}

// A fetch stopped for inconsistent hashes, or by the re-check meant to clear
// that, waits for Recheck (on the next tick); any other torrent error stops it.
void TorrentSession::Impl::HandleError(Transfer& t, const lt::torrent_error_alert& e) {
  if (t.failed() || Recheckable(t, e.error)) return;
  const std::string why = (e.filename()[0] ? e.filename() + std::string(": ") : "") + e.error.message();
  t.Fail(why);
  Say("[" + ShortId(t.id()) + "] error: " + why);
}

// Whether `ec` stopped an unfinished fetch in a way Recheck deals with.
bool TorrentSession::Impl::Recheckable(const Transfer& t, const lt::error_code& ec) {
  if (!t.fetching() || t.complete()) return false;
  return ec == lt::errors::torrent_inconsistent_hashes ||
         (ec == boost::asio::error::operation_aborted && t.last_recheck > 0);
}

// libtorrent 2.0.8 stops a hybrid fetch as "v1 and v2 hashes do not describe
// the same data" when a piece's v2 hashes arrive from a peer between its v1
// check and the end of its write (torrent::add_hashes). A re-check of the
// .part file clears that; a torrent whose hashes really disagree stops again,
// and fails after Transfer::kMaxRechecks. Hash jobs a re-check cancels stop
// the torrent too ("Operation canceled"): that is part of the re-check.
void TorrentSession::Impl::Recheck(Transfer& t, const lt::torrent_status& st, double now) {
  if (t.failed() || !st.errc || !Recheckable(t, st.errc)) return;
  if (now - t.last_recheck < 1.0) return;  // the stop's other hash jobs finish first
  const std::string name = "[" + ShortId(t.id()) + "] ";
  const std::string cause = lt::errors::make_error_code(lt::errors::torrent_inconsistent_hashes).message();
  if (!t.TakeRecheck()) {
    const std::string why = cause + " (still after " + std::to_string(t.rechecks()) + " re-checks of " +
                            t.part_name() + ": the torrent's v1 and v2 hashes disagree)";
    t.Fail(why);
    Say(name + "error: " + why);
    return;
  }
  Say(name + "libtorrent stopped: " + cause + "; re-checking " + t.PartPath() + " and resuming (re-check " +
      std::to_string(t.rechecks()) + " of " + std::to_string(Transfer::kMaxRechecks) + ")");
  t.last_recheck = now;
  t.handle().force_recheck();
  t.handle().resume();
}

void TorrentSession::Impl::HandleResume(lt::save_resume_data_alert& a) {
  --pending_saves_;
  const std::string id = detail::IdOf(a.params.info_hashes);
  lt::entry e = lt::write_resume_data(a.params);
  if (shutting_down_) e[kCleanKey] = 1;
  std::string buf;
  lt::bencode(std::back_inserter(buf), e);
  const Status s = cache_.Store(cache_.ResumePath(id), buf);
  if (!s.ok()) Say("[" + ShortId(id) + "] resume data not saved: " + s.message());
}

void TorrentSession::Impl::SaveResume(Transfer& t, double now) {
  t.last_resume_save = now;
  t.handle().save_resume_data(lt::torrent_handle::save_info_dict | lt::torrent_handle::only_if_modified);
  ++pending_saves_;
}

void TorrentSession::Impl::Tick() {
  const double now = MonotonicSeconds();
  last_tick_ = now;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [h, t] : by_handle_) {
    if (!h.is_valid()) continue;
    const lt::torrent_status st = h.status();
    const bool was_stalled = t->Progress(st).state == TransferState::kStalled;
    t->Tick(st, now, options_.stall_seconds);
    Recheck(*t, st, now);
    const TransferProgress p = t->Progress(st);
    if (p.state == TransferState::kStalled && !was_stalled)
      Say("[" + ShortId(t->id()) + "] stalled: " + p.error);
    std::vector<lt::peer_info> peers;
    h.get_peer_info(peers);
    t->UpdatePeers(peers);
    if (t->fetching() && !t->complete() && now - t->last_resume_save >= kResumeSaveSeconds)
      SaveResume(*t, now);
  }
}

lt::add_torrent_params TorrentSession::Impl::ResumeOrNew(const std::string& id, bool* clean) const {
  *clean = false;
  Result<std::string> bytes = cache_.Load(cache_.ResumePath(id));
  if (!bytes.ok()) return {};
  lt::error_code ec;
  const lt::bdecode_node node =
      lt::bdecode(lt::span<const char>(bytes->data(), static_cast<std::ptrdiff_t>(bytes->size())), ec);
  lt::add_torrent_params atp;
  if (!ec) atp = lt::read_resume_data(node, ec);
  if (ec || detail::IdOf(atp.info_hashes) != id) {
    Say("[" + ShortId(id) + "] ignoring unreadable resume data" + (ec ? ": " + ec.message() : ""));
    return {};
  }
  *clean = node.dict_find_int_value(kCleanKey, 0) == 1;
  return atp;
}

Result<std::shared_ptr<Transfer>> TorrentSession::Impl::Add(lt::add_torrent_params atp, const std::string& id,
                                                            bool fetching) {
  RunUnmanaged(atp);
  NoOutsidePeers(atp);
  lt::error_code ec;
  lt::torrent_handle h = ses_->add_torrent(std::move(atp), ec);
  if (ec) return Status::Error("adding torrent " + id + ": " + ec.message());
  auto t = std::make_shared<Transfer>(id, h, fetching);
  if (const auto ti = h.torrent_file()) t->SetGeometry(*ti);
  by_handle_[h] = t;
  by_id_[id] = t;
  const lt::info_hash_t ih = h.info_hashes();
  if (ih.has_v1()) by_id_[detail::V1Hex(ih)] = t;
  return t;
}

Result<TorrentMeta> TorrentSession::Impl::Seed(const std::string& path_in, TorrentFormat format) {
  std::error_code ec;
  const fs::path path = fs::absolute(path_in, ec);
  struct stat st {};
  if (ec || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return Status::InvalidArgument("cannot seed " + path_in + ": not a readable regular file");
  const int64_t mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  const std::string cached =
      cache_.SeedTorrentPath(path.filename(), static_cast<uint64_t>(st.st_size), mtime_ns, format);
  Result<TorrentMeta> meta = ReadTorrentFile(cached);
  if (!meta.ok()) {
    meta = CreateTorrent(path, format);
    if (!meta.ok()) return meta.status();
    if (Status s = cache_.Store(cached, meta->bytes); !s.ok()) Say("torrent not cached: " + s.message());
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (Find(meta->id())) return meta;
  bool clean = false;
  lt::add_torrent_params atp = ResumeOrNew(meta->id(), &clean);
  const bool resumed = atp.info_hashes.has_v1() || atp.info_hashes.has_v2();
  atp.ti = std::make_shared<lt::torrent_info>(
      lt::span<const char>(meta->bytes.data(), static_cast<std::ptrdiff_t>(meta->bytes.size())),
      lt::from_span);
  atp.save_path = path.parent_path();
  atp.renamed_files.clear();
  // The file was hashed when its torrent was made (size and mtime unchanged
  // since): claim every piece instead of reading the whole file again.
  if (!resumed) atp.have_pieces.resize(meta->num_pieces, true);
  SS_ASSIGN_OR_RETURN(std::shared_ptr<Transfer> t, Add(std::move(atp), meta->id(), false));
  if (!resumed) SaveResume(*t, MonotonicSeconds());
  Say("[" + ShortId(meta->id()) + "] seeding " + path.string() + " (" + FormatName(format) + ", " +
      std::to_string(meta->num_pieces) + " pieces" + (resumed ? ", from resume data)" : ")"));
  return meta;
}

Result<std::string> TorrentSession::Impl::Fetch(const FetchRequest& req) {
  if (req.torrent.empty() == req.magnet.empty())
    return Status::InvalidArgument("fetch needs either .torrent bytes or a magnet link / info-hash");
  if (req.final_name.empty() || req.final_name.find('/') != std::string::npos)
    return Status::InvalidArgument("bad file name '" + req.final_name + "'");
  std::error_code ec;
  if (!fs::is_directory(req.dest_dir, ec))
    return Status::InvalidArgument(req.dest_dir + " is not a directory");
  const std::string dest = fs::absolute(req.dest_dir, ec).string();

  lt::add_torrent_params parsed;
  std::optional<TorrentMeta> meta;
  if (!req.torrent.empty()) {
    SS_ASSIGN_OR_RETURN(TorrentMeta m, ParseTorrent(req.torrent));
    meta = m;
  } else {
    SS_ASSIGN_OR_RETURN(parsed, ParseMagnet(req.magnet));
  }
  const std::string id = meta ? meta->id() : detail::IdOf(parsed.info_hashes);

  std::lock_guard<std::mutex> lock(mu_);
  if (std::shared_ptr<Transfer> t = Find(id)) {
    SS_RETURN_IF_ERROR(Connect(*t, req.peers));
    return t->id();
  }
  bool clean = false;
  lt::add_torrent_params atp = ResumeOrNew(id, &clean);
  const bool resumed = atp.info_hashes.has_v1() || atp.info_hashes.has_v2();
  if (!resumed) atp = std::move(parsed);
  const std::string part = req.final_name + ".part", final_path = dest + "/" + req.final_name;
  const auto renamed = atp.renamed_files.find(lt::file_index_t{0});
  const bool was_renamed = renamed != atp.renamed_files.end() && renamed->second == req.final_name;
  if (!was_renamed && fs::exists(final_path))
    return Status::InvalidArgument(final_path + " already exists; seed it instead of fetching it");
  if (resumed && !clean && !was_renamed) RecheckAfterCrash(atp, dest + "/" + part);
  if (meta) SS_RETURN_IF_ERROR(CheckRoomFor(final_path, meta->size));
  if (meta && !atp.ti)
    atp.ti = std::make_shared<lt::torrent_info>(
        lt::span<const char>(req.torrent.data(), static_cast<std::ptrdiff_t>(req.torrent.size())),
        lt::from_span);
  atp.save_path = dest;
  if (!was_renamed) atp.renamed_files[lt::file_index_t{0}] = part;
  // Space for the whole file is taken at once: a full disk fails now with
  // ENOSPC, not midway through (where mmap writes would fault).
  atp.storage_mode = lt::storage_mode_allocate;
  SS_ASSIGN_OR_RETURN(std::shared_ptr<Transfer> t, Add(std::move(atp), id, true));
  t->SetNames(dest, part, req.final_name);
  if (was_renamed) t->MarkRenaming();  // finished before: HandleFinished only marks it complete
  Say("[" + ShortId(id) + "] fetching " + final_path + (resumed ? " (resuming)" : "") + " from " +
      std::to_string(req.peers.size()) + " peer(s)");
  SS_RETURN_IF_ERROR(Connect(*t, req.peers));
  return id;
}

// Forgets which pieces the stale resume data lists, so libtorrent hashes the
// whole .part file: every piece verified before the crash is found on disk
// and kept, none is downloaded again.
void TorrentSession::Impl::RecheckAfterCrash(lt::add_torrent_params& atp, const std::string& part_path) {
  atp.have_pieces.clear();
  atp.verified_pieces.clear();
  atp.unfinished_pieces.clear();
  Say("[" + ShortId(detail::IdOf(atp.info_hashes)) + "] the last run did not stop cleanly: re-checking " +
      part_path + " instead of trusting its resume data");
}

Status TorrentSession::Impl::Connect(Transfer& t, const std::vector<std::string>& peers) {
  for (const std::string& p : peers) {
    SS_ASSIGN_OR_RETURN(lt::tcp::endpoint ep, detail::ParseEndpoint(p));
    t.handle().connect_peer(ep);
  }
  t.SetGivenPeers(peers);
  return Status::Ok();
}

// libtorrent keeps a stopped torrent's error until cleared; the re-check
// finds what reached the disk before the failure.
Status TorrentSession::Impl::Retry(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::shared_ptr<Transfer> t = Find(id);
  if (!t) return Status::InvalidArgument("no torrent " + id + " in this session");
  if (!t->fetching() || !t->failed()) return Status::Ok();
  if (const auto ti = t->handle().torrent_file())
    SS_RETURN_IF_ERROR(CheckRoomFor(t->FinalPath(), static_cast<uint64_t>(ti->total_size())));
  const double now = MonotonicSeconds();
  t->Restart(now);
  t->last_recheck = now;  // the hash jobs it cancels are part of it (Recheckable)
  t->handle().clear_error();
  // A failed write put it in upload mode (libtorrent leaves that by itself
  // only after 16 minutes), where peers offering pieces are turned away.
  t->handle().unset_flags(lt::torrent_flags::upload_mode);
  t->handle().force_recheck();
  t->handle().resume();
  Say("[" + ShortId(id) + "] retrying: re-checking " + t->PartPath() + " and resuming");
  return Status::Ok();
}

Status TorrentSession::Impl::AddPeers(const std::string& id, const std::vector<std::string>& peers) {
  std::lock_guard<std::mutex> lock(mu_);
  std::shared_ptr<Transfer> t = Find(id);
  if (!t) return Status::InvalidArgument("no torrent " + id + " in this session");
  return Connect(*t, peers);
}

Result<TransferProgress> TorrentSession::Impl::Progress(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::shared_ptr<Transfer> t = Find(id);
  if (!t) return Status::InvalidArgument("no torrent " + id + " in this session");
  return t->Progress(t->handle().status());
}

Result<std::vector<PeerStats>> TorrentSession::Impl::Peers(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::shared_ptr<Transfer> t = Find(id);
  if (!t) return Status::InvalidArgument("no torrent " + id + " in this session");
  std::vector<lt::peer_info> peers;
  t->handle().get_peer_info(peers);
  t->UpdatePeers(peers);
  return t->Peers();
}

// ---- TorrentSession ----

Result<std::unique_ptr<TorrentSession>> TorrentSession::Open(const SessionOptions& options) {
  SS_RETURN_IF_ERROR(ResumeCache(options.cache_dir).Init());
  std::unique_ptr<lt::session> ses;
  try {
    ses = std::make_unique<lt::session>(lt::session_params(detail::MakeSettings(options)));
  } catch (const std::exception& e) {
    return Status::Error(std::string("starting the BitTorrent session: ") + e.what());
  }
  auto impl = std::make_unique<Impl>(options, std::move(ses));
  SS_RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<TorrentSession>(new TorrentSession(std::move(impl)));
}

TorrentSession::TorrentSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TorrentSession::~TorrentSession() = default;

int TorrentSession::listen_port() const { return impl_->port(); }

std::string TorrentSession::endpoint() const {
  const std::string& a = impl_->options().listen_address;
  return (a.find(':') != std::string::npos ? "[" + a + "]" : a) + ":" + std::to_string(listen_port());
}

Result<TorrentMeta> TorrentSession::Seed(const std::string& path, TorrentFormat format) {
  return impl_->Seed(path, format);
}

Result<std::string> TorrentSession::Fetch(const FetchRequest& request) { return impl_->Fetch(request); }

Status TorrentSession::Retry(const std::string& id) { return impl_->Retry(id); }

Status TorrentSession::AddPeers(const std::string& id, const std::vector<std::string>& peers) {
  return impl_->AddPeers(id, peers);
}

Result<TransferProgress> TorrentSession::Progress(const std::string& id) const { return impl_->Progress(id); }

Result<std::vector<PeerStats>> TorrentSession::Peers(const std::string& id) const { return impl_->Peers(id); }

Result<TransferProgress> TorrentSession::Wait(const std::string& id, double timeout_s) const {
  const double deadline = MonotonicSeconds() + timeout_s;
  for (;;) {
    SS_ASSIGN_OR_RETURN(TransferProgress p, Progress(id));
    const bool settled = p.state == TransferState::kSeeding || p.state == TransferState::kStalled ||
                         p.state == TransferState::kError;
    if (settled || MonotonicSeconds() >= deadline) return p;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace ss::dist
