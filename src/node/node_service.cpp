#include "node/node_service.h"

#include <unistd.h>

#include <filesystem>
#include <thread>

#include "gguf/shard_keys.h"
#include "net/message.h"
#include "net/rpc_server.h"
#include "node/command_args.h"
#include "node/model_meta.h"
#include "node/shard_choice.h"
#include "shard/manifest.h"
#include "shard/validate.h"
#include "swarm/join.h"
#include "util/clock.h"
#include "util/hex.h"
#include "util/log.h"

namespace ss::node {
namespace {

namespace fs = std::filesystem;

// Bounds what strangers on the DHT can make a node remember.
constexpr size_t kMaxClients = 100000;
constexpr std::chrono::seconds kFullReportInterval{60};
// How long a shard has no node at all before a spare replica takes it: a
// node that restarts comes back within it.
constexpr std::chrono::seconds kOrphanGrace{3};
// A node's view of the swarm fills during its first seconds: no shard looks
// orphaned to it before then.
constexpr std::chrono::seconds kViewWarmup{10};

uint64_t TotalMemory() {
  return static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGE_SIZE));
}

double LoadAverage() {
  double l[1] = {0};
  return getloadavg(l, 1) == 1 ? l[0] : 0.0;
}

}  // namespace

namespace {

// The shard files' sizes, for the memory check: from the shards dir's
// manifest, else from the first manifest the swarm announces (only a hint
// for the choice: what the node fetches and loads is checked against the
// trusted manifest later). Empty when neither says.
std::vector<uint64_t> SizesIn(const Result<shard::Manifest>& manifest, int total_shards) {
  if (!manifest.ok() || static_cast<int>(manifest->shards.size()) != total_shards) return {};
  std::vector<uint64_t> sizes(static_cast<size_t>(total_shards), 0);
  for (const shard::ShardEntry& e : manifest->shards)
    if (e.id >= 0 && e.id < total_shards) sizes[e.id] = e.size;
  return sizes;
}

std::vector<uint64_t> LocalShardSizes(const NodeOptions& o) {
  return SizesIn(shard::Manifest::Load(o.shards_dir + "/" + shard::kManifestName), o.total_shards);
}

std::vector<uint64_t> ShardSizes(dht::Discovery& discovery, const NodeOptions& o) {
  auto manifest = shard::Manifest::Load(o.shards_dir + "/" + shard::kManifestName);
  if (!manifest.ok())
    for (const dht::SignedValue& v : discovery.Get(dht::ModelKey(o.cluster), std::chrono::seconds(3)))
      if ((manifest = shard::Manifest::FromJson(v.data)).ok()) break;
  return SizesIn(manifest, o.total_shards);
}

// --shard-id auto: the choice (node/shard_choice.h) runs on the node's own
// DHT peer once it reached the swarm, before anything else starts.
Result<int> ChooseShardOn(dht::Discovery& discovery, const std::string& peer_id, const NodeOptions& o) {
  for (auto deadline = Clock::now() + std::chrono::seconds(30); !discovery.connected();) {
    if (Clock::now() > deadline)
      return Status::Error("cannot choose a shard: no bootstrap of " + o.bootstrap.front() +
                           " answered in 30 s");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ShardChoiceOptions co;
  co.cluster = o.cluster;
  co.total_shards = o.total_shards;
  co.memory_bytes = o.memory_bytes ? o.memory_bytes : TotalMemory();
  co.shard_bytes = ShardSizes(discovery, o);
  return ChooseShard(discovery, peer_id, co);
}

}  // namespace

Result<std::unique_ptr<NodeService>> NodeService::Start(const NodeOptions& o) {
  if (o.total_shards < 1) return Status::Error("--total-shards must be at least 1");
  if ((o.shard_id < 0 && o.shard_id != kAutoShard) || o.shard_id >= o.total_shards)
    return Status::Error("--shard-id " + std::to_string(o.shard_id) + " is not in 0.." +
                         std::to_string(o.total_shards - 1) + " (--total-shards " +
                         std::to_string(o.total_shards) + ")");
  if (o.refresh_s < 1 || o.refresh_s > dht::kMaxRefreshSeconds)
    return Status::Error("--refresh-interval must be 1 to " + std::to_string(dht::kMaxRefreshSeconds) +
                         " seconds (records live 30 s on the DHT)");
  if (o.session_idle_timeout_s < 1) return Status::Error("--session-idle-timeout must be at least 1 second");
  if (o.bind_address == "0.0.0.0" || o.bind_address == "::")
    return Status::Error("--listen-addr " + o.bind_address +
                         " is a wildcard, which peers cannot connect to; give the address they should use");
  std::unique_ptr<NodeService> n(new NodeService());
  n->options_ = o;
  n->started_ = Clock::now();
  SS_ASSIGN_OR_RETURN(n->data_dir_lock_, DirLock::Acquire(o.data_dir));
  auto id = dht::LoadOrCreateIdentity(o.data_dir, "shardswarm-node");
  if (!id.ok()) return id.status();
  n->identity_ = *id;
  Log("SHARD", "node peer id " + n->identity_.peer_id + " (data dir " + o.data_dir + ")");
  dht::DiscoveryOptions d;
  d.swarm_key = o.swarm_key;
  d.bind_address = o.bind_address;
  d.port = o.dht_port;
  d.bootstrap = o.bootstrap;
  d.log = [](const std::string& line) { Log("DHT", line); };
  auto disc = dht::Discovery::Start(n->identity_, d);
  if (!disc.ok()) return disc.status();
  n->discovery_ = std::move(disc.value());
  Log("DHT", "DHT on " + o.bind_address + ":" + std::to_string(n->discovery_->port()) + ", bootstrap " +
                 (o.bootstrap.empty() ? std::string("none") : o.bootstrap.front()));
  if (o.shard_id == kAutoShard) {
    SS_ASSIGN_OR_RETURN(n->options_.shard_id, ChooseShardOn(*n->discovery_, n->identity_.peer_id, o));
    Log("SHARD",
        "chose shard " + std::to_string(n->options_.shard_id) + " of " + std::to_string(o.total_shards));
  }
  n->view_ = std::make_unique<SwarmView>(o.cluster, o.total_shards);
  NodeService* self = n.get();
  n->links_ =
      std::make_unique<PeerLinks>(net::TlsIdentity{n->identity_.cert_pem, n->identity_.key_pem}, o.swarm_key);
  // rpc_ is set below, before discovery starts: no peer is authorized (so no
  // FORWARD can arrive) until the swarm view has records.
  ForwardWorkerOptions fo{n->identity_.peer_id, n->options_.shard_id};
  fo.limits = o.forward_limits;
  fo.is_node = [self](const std::string& peer_id) { return self->IsNode(peer_id); };
  n->forward_ = std::make_unique<ForwardWorker>(
      std::move(fo), n->links_.get(),
      [self](const std::string& peer, const nlohmann::json& m) { self->rpc_->SendToPeer(peer, m); });
  n->TryLoadShard();

  net::RpcServerOptions ro;
  ro.swarm_key = o.swarm_key;
  ro.bind_address = o.bind_address;
  ro.port = o.port;
  ro.identity = {n->identity_.cert_pem, n->identity_.key_pem};
  net::RpcServer::Callbacks cb;
  cb.authorizer = [self](const net::PeerInfo& p) {
    return self->Authorize(p.public_key_id, p.cert_fingerprint);
  };
  cb.handler = [self](const net::PeerInfo& p, const nlohmann::json& req) { return self->Handle(p, req); };
  cb.binary_handler = [self](const net::PeerInfo& p, std::span<const uint8_t> m) {
    return self->forward_->Submit(p, m);
  };
  cb.log = [](const std::string& line) {
    Log("CONNECT", line.rfind("[CONNECT] ", 0) == 0 ? line.substr(10) : line);
  };
  auto rpc = net::RpcServer::Start(ro, cb);
  if (!rpc.ok()) return rpc.status();
  n->rpc_ = std::move(rpc.value());
  Log("CONNECT", "RPC listening on " + o.bind_address + ":" + std::to_string(n->rpc_->port()));

  dist::ShardExchangeOptions xo;
  xo.cluster = o.cluster;
  xo.shards_dir = o.shards_dir;
  xo.data_dir = o.data_dir;
  xo.bind_address = o.bind_address;
  xo.torrent_port = o.torrent_port;
  xo.trust_seeder = o.trust_seeder;
  xo.download_rate_limit = o.download_rate_limit;
  xo.format = o.torrent_format;
  auto exchange = dist::ShardExchange::Start(xo, n->discovery_.get(), n->identity_);
  if (!exchange.ok()) return exchange.status();
  n->exchange_ = std::move(exchange.value());
  n->exchange_->Want(n->options_.shard_id);
  Log("TORRENT", "BitTorrent on " + n->exchange_->torrent_endpoint());
  for (int k = 0; k < o.total_shards; ++k)
    n->discovery_->Listen(dht::ShardKey(o.cluster, k), [self, k](const dht::SignedValue& v, bool expired) {
      self->OnValue(k, v, expired);
    });
  n->discovery_->Listen(dht::ClientsKey(o.cluster), [self](const dht::SignedValue& v, bool expired) {
    auto c = dht::ClientRecord::FromJson(v.data);
    if (!c.ok() || c->peer_id != v.owner) return;
    std::lock_guard<std::mutex> lock(self->mu_);
    // Every announcement is a new value, so an expiry concerns an old one.
    if (!expired && self->clients_.size() < kMaxClients) self->clients_[c->peer_id] = c->tls_fingerprint;
  });
  n->Announce();
  n->prober_ = std::make_unique<swarm::LivenessProber>(
      [self] {
        std::lock_guard<std::mutex> lock(self->mu_);
        std::vector<dht::NodeRecord> peers;
        for (dht::NodeRecord& r : self->view_->RecentNodes(Clock::now()))
          if (r.peer_id != self->identity_.peer_id) peers.push_back(std::move(r));
        return peers;
      },
      [self](const dht::NodeRecord& node, const Status& probe) { self->OnProbe(node, probe); });
  return n;
}

// One line per change, so an operator can follow who came and went.
void NodeService::OnProbe(const dht::NodeRecord& node, const Status& probe) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto line = view_->ApplyProbe(node, probe, UnixMillis())) {
    Log("STATUS", *line);
    view_changed_ = true;
  }
}

// The worker pushes through rpc_ and sends through links_: it goes first.
NodeService::~NodeService() {
  prober_.reset();
  if (rpc_) rpc_->Stop();
  forward_.reset();
  links_.reset();
  discovery_.reset();  // its callbacks call into the exchange: it goes first
  exchange_.reset();
}

uint16_t NodeService::rpc_port() const { return rpc_ ? rpc_->port() : 0; }

// Loads shard-K.gguf if it is there and not loaded yet; records why not
// otherwise. A loaded file that changes on disk (re-split, overwritten,
// removed) is unloaded at once, then verified and loaded again like a new one:
// the node never serves weights that no longer match their manifest.
void NodeService::TryLoadShard() {
  const std::string name = shard::ShardFileName(options_.shard_id);
  const std::string path = options_.shards_dir + "/" + name;
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  auto mtime = ec ? fs::file_time_type{} : fs::last_write_time(path, ec);
  std::optional<FileStamp> stamp;
  if (!ec) stamp = FileStamp{size, mtime};
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stage_ && stamp == loaded_file_) return;
    if (!stage_ && stamp && stamp == last_file_) return;  // failed before: try again once it changes
  }
  if (HasStage()) Unload(name + (stamp ? " changed on disk" : " was removed") + " while loaded");
  std::string problem;
  std::shared_ptr<engine::Stage> stage;
  if (!stamp) {
    problem = name + " is not in " + options_.shards_dir;
  } else {
    auto s = LoadShard(path);
    if (s.ok()) {
      stage = std::move(s.value());
    } else {
      problem = s.status().message();
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  last_file_ = stamp;
  if (stage) {
    layer_start_ = stage->layer_start();
    layer_end_ = stage->layer_end();
    total_layers_ = stage->config().n_layer;
    model_id_ = stage->file().GetStringOr(gguf::kKeyModelId, "");
    stage_ = stage;
    loaded_file_ = stamp;
    ++stage_generation_;
    forward_->SetStage(std::move(stage), options_.shard_id);
    shard_problem_.clear();
    Log("SHARD", "loaded " + path + " (layers " + std::to_string(layer_start_) + "-" +
                     std::to_string(layer_end_ - 1) + " of " + std::to_string(total_layers_) + ")");
    if (exchange_ && exchange_->Fetched(options_.shard_id))
      Log("TORRENT", "SHARD_LOADED shard " + std::to_string(options_.shard_id) +
                         ": fetched over BitTorrent, verified and loaded");
  } else if (problem != shard_problem_) {
    shard_problem_ = problem;
    Log("SHARD", "shard not loaded: " + problem);
  }
}

// LOAD_SHARD: serve another shard (or fetch this one again). The old one is
// unloaded at once; the new one is loaded when present, fetched otherwise.
void NodeService::SwitchShardIfAsked() {
  std::optional<int> k;
  {
    std::lock_guard<std::mutex> lock(mu_);
    k.swap(pending_shard_);
  }
  if (!k) return;
  Log("SHARD", "LOAD_SHARD: switching to shard " + std::to_string(*k));
  if (HasStage()) Unload("switching to shard " + std::to_string(*k));
  {
    std::lock_guard<std::mutex> lock(mu_);
    options_.shard_id = *k;
    last_file_.reset();
    ++stage_generation_;
  }
  exchange_->Want(*k);
}

// A shard that has had no node at all for kOrphanGrace is taken by a spare
// replica of another shard (SpareFor decides which, alike on every node):
// this node switches when it is that spare, fetching the shard from the swarm.
void NodeService::Rebalance(Clock::time_point now) {
  std::vector<std::vector<Replica>> serving(static_cast<size_t>(options_.total_shards));
  std::vector<int> orphans;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (pending_shard_ || !stage_ || now - started_ < kViewWarmup) return;  // only a serving node is a spare
    for (int k = 0; k < options_.total_shards; ++k) {
      for (const dht::NodeRecord& r : view_->ServingNodes(k, now))
        serving[k].push_back({r.peer_id, r.memory_bytes});
      if (!view_->OnlinePeers(k, now).empty()) {
        orphan_since_.erase(k);
        continue;
      }
      auto since = orphan_since_.try_emplace(k, now).first->second;
      if (now - since >= kOrphanGrace) orphans.push_back(k);
    }
  }
  if (orphans.empty()) return;
  std::optional<int> target = SpareFor(serving, orphans, LocalShardSizes(options_), identity_.peer_id);
  if (!target) return;
  Log("SHARD", "shard " + std::to_string(*target) + " has had no node for " +
                   std::to_string(std::chrono::duration_cast<std::chrono::seconds>(kOrphanGrace).count()) +
                   " s and shard " + std::to_string(options_.shard_id) + " has " +
                   std::to_string(serving[options_.shard_id].size()) +
                   " serving nodes: rebalancing, this node takes it");
  std::lock_guard<std::mutex> lock(mu_);
  orphan_since_.clear();
  pending_shard_ = *target;
}

bool NodeService::HasStage() {
  std::lock_guard<std::mutex> lock(mu_);
  return stage_ != nullptr;
}

// The shard file checked against the manifest (SHA-256) and its own keys.
Result<std::shared_ptr<engine::Stage>> NodeService::LoadShard(const std::string& path) {
  const std::string name = shard::ShardFileName(options_.shard_id);
  SS_RETURN_IF_ERROR(
      shard::CheckShardFile(options_.shards_dir, options_.shard_id, options_.data_dir + "/shard-hash.json"));
  engine::StageOptions so;
  so.n_threads = options_.threads;
  SS_ASSIGN_OR_RETURN(std::unique_ptr<engine::Stage> s, engine::Stage::Open(path, so));
  auto keys = gguf::ReadShardKeys(s->file());
  if (!keys.ok() || !*keys || (**keys).id != options_.shard_id || (**keys).count != options_.total_shards) {
    return Status::Error(
        name + " is not shard " + std::to_string(options_.shard_id) + " of " +
        std::to_string(options_.total_shards) + " (" +
        (keys.ok() ? std::string("its shardswarm.shard.* keys say otherwise") : keys.status().message()) +
        ")");
  }
  if (options_.total_layers > 0 && s->config().n_layer != options_.total_layers)
    return Status::Error(name + " has " + std::to_string(s->config().n_layer) +
                         " layers, not --total-layers " + std::to_string(options_.total_layers));
  return std::shared_ptr<engine::Stage>(std::move(s));
}

// Stops serving the shard: sessions closed, queued FORWARDs failed, the
// record says shard_loaded=false from the next announcement on.
void NodeService::Unload(const std::string& why) {
  Log("SHARD", "unloading the shard: " + why);
  forward_->SetStage(nullptr, options_.shard_id);
  std::lock_guard<std::mutex> lock(mu_);
  stage_.reset();
  loaded_file_.reset();
  ++stage_generation_;
  layer_start_ = layer_end_ = 0;
  model_id_.clear();
  metadata_gguf_.clear();
  shard_problem_ = why;
}

dht::NodeRecord NodeService::MakeRecord() {
  std::lock_guard<std::mutex> lock(mu_);
  dht::NodeRecord r;
  r.peer_id = identity_.peer_id;
  r.cluster = options_.cluster;
  r.shard_id = options_.shard_id;
  r.total_shards = options_.total_shards;
  r.layer_start = layer_start_;
  r.layer_end = layer_end_;
  r.total_layers = total_layers_ ? total_layers_ : options_.total_layers;
  r.model_id = model_id_;
  r.model_name = options_.model_name;
  r.rpc_endpoint = options_.bind_address + ":" + std::to_string(rpc_port());
  r.tls_fingerprint = identity_.cert_fingerprint;
  r.torrent_endpoint = exchange_ ? exchange_->torrent_endpoint() : "";
  r.download = exchange_ && !stage_ ? exchange_->Download() : std::nullopt;
  r.shard_loaded = stage_ != nullptr;
  r.shard_problem = shard_problem_;
  r.memory_bytes = options_.memory_bytes ? options_.memory_bytes : TotalMemory();
  r.cores = static_cast<int>(std::thread::hardware_concurrency());
  r.load = LoadAverage();
  r.version = SHARDSWARM_VERSION;
  r.refresh_s = options_.refresh_s;
  r.time_ms = UnixMillis();
  return r;
}

void NodeService::Announce() {
  std::string json = MakeRecord().ToJson();
  discovery_->Announce(dht::ShardKey(options_.cluster, options_.shard_id), json);
  discovery_->Announce(dht::PeerKey(options_.cluster, identity_.peer_id), json);
  // The node knows itself without waiting for its own record to come back.
  OnValue(options_.shard_id, {json, identity_.peer_id, 0}, false);
}

void NodeService::OnValue(int shard, const dht::SignedValue& v, bool expired) {
  std::lock_guard<std::mutex> lock(mu_);
  const bool known = view_->FindPeer(v.owner) != nullptr;
  const bool was_unreachable = view_->IsUnreachable(v.owner);
  if (!view_->Update(shard, v, expired, Clock::now())) return;
  view_changed_ = true;
  const dht::NodeRecord* r = view_->FindPeer(v.owner);
  if (!known && r && r->peer_id != identity_.peer_id)  // one line per peer found
    Log("STATUS", "found node " + ShortId(r->peer_id) + " (shard " + std::to_string(shard) + ", " +
                      swarm::LayersText(*r) + ") at " + r->rpc_endpoint);
  // Its new record may come before the next probe does: say so here then.
  if (r && was_unreachable && !view_->IsUnreachable(v.owner))
    Log("STATUS", SwarmView::Who(*r) + " is back (announced again)");
}

void NodeService::Report(bool force) {
  std::string report;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = Clock::now();
    std::string state = view_->StateKey(now);
    if (!force && state == last_state_ && !view_changed_) return;
    last_state_ = state;
    view_changed_ = false;
    report = view_->Report(now, identity_.peer_id);
  }
  Log("STATUS", report);
}

// A peer may talk to this node only with the certificate its signed record
// names: a node's record on a shard key, or a client's on the clients key.
// Both arrive by listening, so this is a lookup (it runs on the I/O thread).
Status NodeService::Authorize(const std::string& public_key_id, const std::string& cert_fingerprint) {
  std::string expected;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (const dht::NodeRecord* r = view_->FindPeer(public_key_id)) expected = r->tls_fingerprint;
    auto it = clients_.find(public_key_id);
    if (expected.empty() && it != clients_.end()) expected = it->second;
  }
  if (expected.empty())
    return Status::Error("peer " + ShortId(public_key_id) + " has no signed record in cluster " +
                         options_.cluster);
  if (expected != cert_fingerprint)
    return Status::Error("peer " + ShortId(public_key_id) +
                         " presented a certificate its DHT record does not name");
  return Status::Ok();
}

bool NodeService::IsNode(const std::string& peer_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return view_->FindPeer(peer_id) != nullptr;
}

nlohmann::json NodeService::ModelMeta(const nlohmann::json& req) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!stage_) return net::ErrorReply(req, "shard not loaded: " + shard_problem_);
  if (metadata_gguf_.empty()) {
    auto bytes = WriteMetadataGguf(stage_->file(), options_.data_dir + "/model-meta.gguf");
    if (!bytes.ok())
      return net::ErrorReply(req, "cannot write the model's metadata: " + bytes.status().message());
    metadata_gguf_ = std::move(bytes.value());
  }
  nlohmann::json reply = ModelMetaJson({stage_.get(), model_id_, options_.model_name, options_.shard_id,
                                        options_.total_shards, metadata_gguf_});
  reply.update(net::OkReply(req));
  return reply;
}

nlohmann::json NodeService::Handle(const net::PeerInfo& peer, const nlohmann::json& req) {
  const std::string type = req.value("type", "");
  nlohmann::json reply = net::OkReply(req);
  if (type == "GET_CAPABILITIES") {
    dht::NodeRecord r = MakeRecord();
    reply["peer_id"] = r.peer_id;
    reply["cluster"] = r.cluster;
    reply["shard_id"] = r.shard_id;
    reply["total_shards"] = r.total_shards;
    reply["layer_start"] = r.layer_start;
    reply["layer_end"] = r.layer_end;
    reply["total_layers"] = r.total_layers;
    reply["model_id"] = r.model_id;
    reply["shard_loaded"] = r.shard_loaded;
    reply["shard_problem"] = r.shard_problem;
    reply["memory_bytes"] = r.memory_bytes;
    reply["cores"] = r.cores;
    reply["load"] = r.load;
    reply["version"] = r.version;
  } else if (type == "GET_STATUS") {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = Clock::now();
    reply["swarm"] = view_->ToJson(now);
    reply["uptime_s"] = std::chrono::duration_cast<std::chrono::seconds>(now - started_).count();
    reply["shard_loaded"] = stage_ != nullptr;
    reply["sessions"] = forward_->SessionsJson();
    reply["sessions_open"] = forward_->sessions_open();
    if (auto d = exchange_->Download())
      reply["download"] = {{"state", d->state}, {"percent", d->percent}, {"rate", d->rate},
                           {"peers", d->peers}, {"eta_s", d->eta_s},     {"error", d->error}};
  } else if (type == "SESSION_CLOSE") {
    auto session = SessionCloseArgs(req);
    if (!session.ok()) return net::ErrorReply(req, session.status().message());
    reply["closed"] = forward_->Close(peer.public_key_id, *session);
  } else if (type == "GET_MODEL_META") {
    return ModelMeta(req);
  } else if (type == "GET_METRICS") {
    net::RpcMetrics m = rpc_->Metrics();
    reply["requests"] = m.requests;
    reply["errors"] = m.errors;
    reply["bytes_in"] = m.bytes_in;
    reply["bytes_out"] = m.bytes_out;
    reply["connections_open"] = m.connections_open;
    reply["latency_ms"] = {{"p50", m.latency_p50_ms}, {"p95", m.latency_p95_ms}, {"p99", m.latency_p99_ms}};
    reply["forward"] = forward_->MetricsJson();
  } else if (type == "LOAD_SHARD") {
    auto k = LoadShardArgs(req, options_.total_shards);
    if (!k.ok()) return net::ErrorReply(req, k.status().message());
    std::lock_guard<std::mutex> lock(mu_);
    if (*k != options_.shard_id || !stage_) pending_shard_ = *k;
    reply["shard_id"] = *k;
    reply["loaded"] = *k == options_.shard_id && stage_ != nullptr;
  } else if (type == "LIST_FILES") {
    reply["files"] = exchange_->ListFiles();
  } else {
    return net::ErrorReply(
        req, "unknown command '" + type +
                 "' (this node answers GET_CAPABILITIES, GET_STATUS, GET_METRICS, LIST_FILES, LOAD_SHARD, "
                 "GET_MODEL_META, SESSION_CLOSE; FORWARD comes as a binary message)");
  }
  return reply;
}

void NodeService::Run() {
  auto next_refresh = Clock::now() + std::chrono::seconds(options_.refresh_s);
  auto next_scan = Clock::now() + std::chrono::seconds(1);
  auto next_full_report = Clock::now() + kFullReportInterval;
  bool was_connected = false;
  bool files_refresh_due = true;  // the exchange announces its files on the next scan
  Report(/*force=*/true);
  while (!stop_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    uint64_t generation_before;
    {
      std::lock_guard<std::mutex> lock(mu_);
      generation_before = stage_generation_;
    }
    auto now = Clock::now();
    bool refresh = now >= next_refresh;
    if (refresh) next_refresh = now + std::chrono::seconds(options_.refresh_s);
    files_refresh_due = files_refresh_due || refresh;
    SwitchShardIfAsked();
    if (now >= next_scan) {  // a shard copied in (or downloaded) is picked up within a second
      next_scan = now + std::chrono::seconds(1);
      exchange_->Tick(files_refresh_due);
      files_refresh_due = false;
      const std::string model = exchange_->TrustedModelId();  // one model per swarm: the manifest's
      {
        std::lock_guard<std::mutex> lock(mu_);
        view_->SetSwarmModel(model);
      }
      TryLoadShard();
      Rebalance(now);
      forward_->CloseIdle(std::chrono::seconds(options_.session_idle_timeout_s));
    }
    bool stage_changed;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stage_changed = stage_generation_ != generation_before;
    }
    // At once when the shard loads or unloads, and when the DHT first
    // connects (what was put before that may reach listeners only at the next
    // refresh).
    bool connected = discovery_->connected();
    if (refresh || stage_changed || (connected && !was_connected)) Announce();
    was_connected = connected;
    // The whole report on every change, and once a minute that nothing did.
    const bool full = now >= next_full_report;
    if (full) next_full_report = now + kFullReportInterval;
    Report(/*force=*/full);
  }
}

}  // namespace ss::node
