// shardswarm bootstrap / node / status: swarm membership (DESIGN.md §1, §5).
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "cli/commands.h"
#include "dht/discovery.h"
#include "dht/identity.h"
#include "dht/record.h"
#include "dist/shard_exchange.h"
#include "net/http_server.h"
#include "net/message.h"
#include "net/rpc_client.h"
#include "node/node_service.h"
#include "node/shard_choice.h"
#include "swarm/client_slot.h"
#include "swarm/join.h"
#include "swarm/liveness.h"
#include "swarm/swarm_view.h"
#include "util/clock.h"
#include "util/dir_lock.h"
#include "util/log.h"

namespace ss::cli {
namespace {

node::NodeService* g_node = nullptr;

struct BootstrapOptions {
  std::string addr = "127.0.0.1";
  uint16_t port = 51820;
  uint16_t health_port = 51821;
  // --seed-dir: also seed that split and announce its manifest for `cluster`.
  std::string seed_dir;
  std::string cluster = "default";
  std::string data_dir = "bootstrap_data";
  int torrent_port = 0;
  double upload_limit_mb_s = 0;
  std::string torrent_format = "hybrid";
  SwarmKey swarm_key;
};

// A seeding bootstrap signs the manifest: its identity must survive restarts
// (nodes pin it), so it lives in the data dir, which it locks.
struct BootstrapIdentity {
  std::unique_ptr<DirLock> lock;
  dht::NodeIdentity id;
};
BootstrapIdentity BootstrapIdentityFor(const BootstrapOptions& o) {
  BootstrapIdentity b;
  if (o.seed_dir.empty()) {
    auto id = dht::EphemeralIdentity("shardswarm-bootstrap");
    if (!id.ok()) Fail(id.status().message());
    b.id = std::move(id.value());
    return b;
  }
  auto lock = DirLock::Acquire(o.data_dir);
  if (!lock.ok()) Fail(lock.status().message());
  b.lock = std::move(lock.value());
  auto id = dht::LoadOrCreateIdentity(o.data_dir, "shardswarm-bootstrap");
  if (!id.ok()) Fail(id.status().message());
  b.id = std::move(id.value());
  return b;
}

void RunBootstrap(const BootstrapOptions& b) {
  BootstrapIdentity who = BootstrapIdentityFor(b);
  dht::DiscoveryOptions o;
  o.bind_address = b.addr;
  o.port = b.port;
  o.swarm_key = b.swarm_key;
  auto d = dht::Discovery::Start(who.id, o);
  if (!d.ok()) Fail(d.status().message());
  Log("DHT", "bootstrap node on " + b.addr + ":" + std::to_string((*d)->port()) +
                 (b.swarm_key.empty() ? ", open swarm (no --swarm-key)"
                                      : ", private swarm (swarm key " + b.swarm_key.Name() + ")"));
  dht::Discovery* disc = d->get();
  std::unique_ptr<dist::ShardExchange> exchange;
  if (!b.seed_dir.empty()) {
    auto format = dist::ParseTorrentFormat(b.torrent_format);
    if (!format.ok()) Fail(format.status().message());
    dist::ShardExchangeOptions xo;
    xo.cluster = b.cluster;
    xo.shards_dir = b.seed_dir;
    xo.data_dir = b.data_dir;
    xo.bind_address = b.addr;
    xo.torrent_port = b.torrent_port;
    xo.format = *format;
    xo.manifest_authority = true;
    xo.upload_rate_limit = static_cast<int>(b.upload_limit_mb_s * 1e6);
    auto x = dist::ShardExchange::Start(xo, disc, who.id);
    if (!x.ok()) Fail(x.status().message());
    exchange = std::move(x.value());
    Log("TORRENT", "seeding " + b.seed_dir + " for cluster " + b.cluster + " on " +
                       exchange->torrent_endpoint() + "; manifests signed by " + who.id.peer_id +
                       " (nodes pin it; --trust-seeder names it)");
  }
  auto started = std::chrono::steady_clock::now();
  auto health = net::HttpServer::Start(
      b.addr, b.health_port, [=](const std::string& method, const std::string& target) {
        if (target != "/healthz" && target != "/")
          return net::HttpResponse{404, "application/json", R"({"error":"not found; try /healthz"})"};
        nlohmann::json j = {{"status", "ok"},
                            {"role", "bootstrap"},
                            {"dht_port", disc->port()},
                            {"network_id", dht::kNetworkId},
                            {"dht_connected_nodes", disc->good_nodes()},
                            {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::steady_clock::now() - started)
                                             .count()},
                            {"version", SHARDSWARM_VERSION}};
        return net::HttpResponse{200, "application/json", j.dump() + "\n"};
      });
  if (!health.ok()) Fail(health.status().message());
  Log("DHT", "health endpoint http://" + b.addr + ":" + std::to_string((*health)->port()) + "/healthz");
  InstallStopSignals([] {});
  auto next_tick = std::chrono::steady_clock::now();
  int ticks = 0;
  while (!StopRequested()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (exchange && std::chrono::steady_clock::now() >= next_tick) {
      next_tick += std::chrono::seconds(1);
      exchange->Tick(/*refresh=*/ticks++ % 5 == 0);  // records live 30 s: re-announce every 5
    }
  }
  Log("DHT", "bootstrap node stopping");
  health->reset();
  exchange.reset();
}

void RunNode(const node::NodeOptions& o) {
  auto n = node::NodeService::Start(o);
  if (!n.ok()) Fail(n.status().message());
  g_node = n->get();
  InstallStopSignals([] {
    if (g_node) g_node->Stop();
  });
  (*n)->Run();
  g_node = nullptr;
  Log("SHARD", "node stopping");
}

// Starts a DHT client for a one-shot command and waits until the bootstrap answers.
std::unique_ptr<dht::Discovery> JoinDht(const dht::NodeIdentity& id,
                                        const std::vector<std::string>& bootstrap,
                                        const std::string& listen_addr, int timeout_s, const SwarmKey& key) {
  auto disc = swarm::JoinDht(id, bootstrap, listen_addr, timeout_s, key);
  if (!disc.ok()) Fail(disc.status().message());
  return std::move(disc.value());
}

struct StatusOptions {
  std::vector<std::string> bootstrap;
  std::string cluster = "default";
  int total_shards = 0;
  bool json = false;
  bool watch = false;
  int timeout_s = 5;
  std::string listen_addr = "127.0.0.1";
  SwarmKey swarm_key;
};

// What `status` has gathered: every record seen per shard key, by a stored
// copy (get) or a push (listen).
struct StatusGather {
  std::mutex mu;
  std::map<int, std::vector<dht::SignedValue>> found;
  int records_total = 0;  // the shard count the first record names
  int gets_pending = 0;
  int watched = 0;  // shard keys 0 .. watched - 1 are fetched and listened to

  // Fetches and listens to shard keys up to n - 1; the caller holds mu, and
  // `this` outlives `disc` (its callbacks write here).
  void WatchUpTo(dht::Discovery& disc, const std::string& cluster, int n) {
    for (; watched < n; ++watched) {
      const std::string key = dht::ShardKey(cluster, watched);
      disc.Listen(key, [this, k = watched](const dht::SignedValue& v, bool expired) {
        if (!expired) Take(k, v);
      });
      gets_pending++;
      disc.Fetch(
          key, [this, k = watched](const dht::SignedValue& v) { Take(k, v); },
          [this] {
            std::lock_guard<std::mutex> lock(mu);
            gets_pending--;
          });
    }
  }

  void Take(int shard, const dht::SignedValue& v) {
    auto r = dht::NodeRecord::FromJson(v.data);
    if (!r.ok()) return;
    std::lock_guard<std::mutex> lock(mu);
    found[shard].push_back(v);
    if (records_total == 0) records_total = r->total_shards;
  }
};

// The swarm view of what was gathered; ages come from the announcers' clocks.
swarm::SwarmView ViewOf(const StatusGather& g, const std::string& cluster, int total) {
  swarm::SwarmView view(cluster, total);
  auto now = swarm::Clock::now();
  int64_t wall_now = UnixMillis();
  for (const auto& [k, values] : g.found)
    for (const auto& v : values) {
      auto r = dht::NodeRecord::FromJson(v.data);
      if (!r.ok()) continue;
      view.Update(k, v, false, now - std::chrono::milliseconds(std::max<int64_t>(0, wall_now - r->time_ms)));
    }
  return view;
}

// The view with every node whose record is still stored probed: records
// outlive their node by up to two refresh intervals, and the stored copies a
// get returns may lag a refresh or two behind a live node. A node that
// answers is online; one that refuses is not, whatever its record's age.
swarm::SwarmView ProbedView(const StatusGather& g, const std::string& cluster, int total) {
  swarm::SwarmView view = ViewOf(g, cluster, total);
  const auto now = swarm::Clock::now();
  const std::vector<dht::NodeRecord> stored = view.NodesSeenSince(now - dht::kRecordLifetime);
  const std::vector<net::ProbeResult> probes =
      swarm::LivenessProber::ProbeAll(stored, std::chrono::milliseconds(300));
  for (size_t i = 0; i < stored.size(); ++i) {
    if (probes[i].status.ok()) view.Touch(stored[i].peer_id, swarm::Clock::now());
    view.ApplyProbe(stored[i], probes[i].status, UnixMillis());
  }
  return view;
}

// Stored records (get) answer at once; a short listen catches what the
// storing nodes have not got yet. Returns when the view is ready (plus a
// moment for the other nodes' records), or when every get has ended and the
// listen has run a little, or at --timeout.
void GatherStatus(const StatusOptions& o, dht::Discovery& disc, StatusGather& g) {
  using std::chrono::milliseconds;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::seconds(o.timeout_s);
  {
    std::lock_guard<std::mutex> lock(g.mu);
    g.WatchUpTo(disc, o.cluster, o.total_shards > 0 ? o.total_shards : 8);
  }
  std::optional<std::chrono::steady_clock::time_point> covered_at;
  for (;;) {
    std::this_thread::sleep_for(milliseconds(20));
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(g.mu);
    const int total = o.total_shards > 0 ? o.total_shards : g.records_total;
    if (total > g.watched) g.WatchUpTo(disc, o.cluster, total);
    // Every shard has a record (of any age: the probes decide): a moment
    // more for the other nodes' records, then answer.
    bool covered = total > 0;
    for (int k = 0; covered && k < total; ++k) covered = g.found.count(k) > 0;
    if (covered && !covered_at) covered_at = now;
    if (covered_at && now - *covered_at >= milliseconds(150)) return;
    if (g.gets_pending == 0 && now - start >= milliseconds(500)) return;
    if (now >= deadline) return;
  }
}

[[noreturn]] void ReportNoNodes(const StatusOptions& o) {
  if (o.json) {
    std::printf("%s\n", nlohmann::json(
                            {{"cluster", o.cluster},
                             {"swarm_ready", false},
                             {"shards", nlohmann::json::array()},
                             {"blockers", {"no node of cluster '" + o.cluster + "' has announced itself"}}})
                            .dump(2)
                            .c_str());
  } else {
    std::printf("cluster %s: no node has announced itself (looked at shards 0-7)\n", o.cluster.c_str());
  }
  throw CLI::RuntimeError(1);
}

void ShowView(const StatusOptions& o, const swarm::SwarmView& view) {
  const auto now = swarm::Clock::now();
  std::printf("%s\n",
              o.json ? view.ToJson(now).dump(o.watch ? -1 : 2).c_str() : view.Report(now, "").c_str());
  std::fflush(stdout);
}

// --watch: the records keep coming by listening; probe and redraw on change.
void WatchStatus(const StatusOptions& o, dht::Discovery& disc, StatusGather& g, int total,
                 const swarm::SwarmView& first) {
  InstallStopSignals([] {});
  std::string last = first.StateKey(swarm::Clock::now());
  while (!StopRequested()) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    std::lock_guard<std::mutex> lock(g.mu);
    if (o.total_shards == 0 && g.records_total > g.watched) g.WatchUpTo(disc, o.cluster, g.records_total);
    const swarm::SwarmView view =
        ProbedView(g, o.cluster, o.total_shards > 0 ? o.total_shards : std::max(g.records_total, total));
    const std::string key = view.StateKey(swarm::Clock::now());
    if (key == last) continue;
    last = key;
    if (!o.json && isatty(STDOUT_FILENO)) std::printf("\033[H\033[J");  // redraw in place
    ShowView(o, view);
  }
}

void RunStatus(const StatusOptions& o) {
  // Declared before the DHT: its callbacks write here until it is destroyed.
  StatusGather g;
  auto slot = swarm::TakeClientSlot("status");
  if (!slot.ok()) Fail(slot.status().message());
  auto joined = swarm::JoinDhtFromSlot(*slot, o.bootstrap, o.listen_addr, o.timeout_s, o.swarm_key);
  if (!joined.ok()) Fail(joined.status().message());
  std::unique_ptr<dht::Discovery> disc = std::move(joined.value());
  GatherStatus(o, *disc, g);
  std::unique_lock<std::mutex> lock(g.mu);
  if (o.total_shards > 0 && g.records_total > 0 && g.records_total != o.total_shards)
    Fail("--total-shards " + std::to_string(o.total_shards) + " disagrees with the nodes of cluster '" +
         o.cluster + "', which announce " + std::to_string(g.records_total) +
         " shards; leave it out to use theirs");
  const int total = o.total_shards > 0 ? o.total_shards : g.records_total;
  if (total == 0) ReportNoNodes(o);
  const swarm::SwarmView view = ProbedView(g, o.cluster, total);
  lock.unlock();
  ShowView(o, view);
  if (o.watch) return WatchStatus(o, *disc, g, total, view);
  if (!view.Ready(swarm::Clock::now())) throw CLI::RuntimeError(1);
}

struct RpcOptions {
  std::vector<std::string> bootstrap;
  std::string cluster = "default";
  int shard = 0;
  std::string data_dir;
  std::string command;
  std::string args = "{}";
  int timeout_s = 10;
  std::string listen_addr = "127.0.0.1";
  SwarmKey swarm_key;
};

// Finds the shard's node through the DHT, proves who we are with a signed
// client record, and sends one command over the authenticated connection.
void RunRpc(const RpcOptions& o) {
  // Declared before the DHT: its listener writes here until it is destroyed.
  std::mutex mu;
  std::optional<dht::NodeRecord> target;
  auto extra = nlohmann::json::parse(o.args, nullptr, false);
  if (!extra.is_object()) Fail("--args must be a JSON object");
  std::unique_ptr<DirLock> lock;
  if (!o.data_dir.empty()) {
    auto l = DirLock::Acquire(o.data_dir);
    if (!l.ok()) Fail(l.status().message());
    lock = std::move(l.value());
  }
  auto id = o.data_dir.empty() ? dht::EphemeralIdentity("shardswarm-cli")
                               : dht::LoadOrCreateIdentity(o.data_dir, "shardswarm-cli");
  if (!id.ok()) Fail(id.status().message());
  auto disc = JoinDht(*id, o.bootstrap, o.listen_addr, o.timeout_s, o.swarm_key);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_s);
  disc->Listen(dht::ShardKey(o.cluster, o.shard), [&](const dht::SignedValue& v, bool expired) {
    auto r = dht::NodeRecord::FromJson(v.data);
    std::lock_guard<std::mutex> lock(mu);
    if (!expired && r.ok() && r->peer_id == v.owner && (!target || r->time_ms > target->time_ms)) target = *r;
  });
  dht::ClientRecord me{id->peer_id, o.cluster, "cli", id->cert_fingerprint, 0};
  me.time_ms = UnixMillis();
  // JoinDht waited for the DHT: what is put before it connects may reach the
  // node's listener late. Announced again while retrying, below.
  disc->Announce(dht::ClientsKey(o.cluster), me.ToJson());
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (target) break;
    }
    if (std::chrono::steady_clock::now() > deadline)
      Fail("no node of shard " + std::to_string(o.shard) + " in cluster " + o.cluster +
           " answered on the DHT");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string host, port;
  if (!dht::SplitHostPort(target->rpc_endpoint, &host, &port))
    Fail("the node's record names an invalid endpoint '" + target->rpc_endpoint + "'");
  nlohmann::json request = extra;
  request["type"] = o.command;
  // The node learns our record by listening; until it has, it refuses us.
  for (;;) {
    net::RpcClientOptions co;
    co.host = host;
    co.port = static_cast<uint16_t>(std::stoi(port));
    co.identity = {id->cert_pem, id->key_pem};
    co.expected_public_key_id = target->peer_id;
    co.swarm_key = o.swarm_key;
    auto client = net::RpcClient::Connect(co);
    Result<nlohmann::json> reply = client.ok() ? (*client)->Call(request, std::chrono::seconds(o.timeout_s))
                                               : Result<nlohmann::json>(client.status());
    if (reply.ok()) {
      std::printf("%s\n", reply->dump(2).c_str());
      if (net::IsErrorReply(*reply)) throw CLI::RuntimeError(1);
      return;
    }
    if (std::chrono::steady_clock::now() > deadline) Fail(reply.status().message());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    disc->Announce(dht::ClientsKey(o.cluster), me.ToJson());
  }
}

// --shard-id: a shard number, or auto.
int ParseShardId(const std::string& v) {
  if (v == "auto") return node::kAutoShard;
  size_t used = 0;
  int k = -1;
  try {
    k = std::stoi(v, &used);
  } catch (const std::exception&) {
  }
  if (used != v.size() || k < 0)
    throw CLI::ValidationError("--shard-id", "'" + v + "' is neither a shard number (0, 1, …) nor auto");
  return k;
}

void AddBootstrapCommand(CLI::App& app, const std::shared_ptr<std::string>& log_format) {
  auto bo = std::make_shared<BootstrapOptions>();
  CLI::App* boot =
      app.add_subcommand("bootstrap", "Run the swarm's DHT entry point (and, with --seed-dir, its seeder)");
  boot->add_option("--listen-addr", bo->addr, "Address to bind (loopback by default)")
      ->envname("SHARDSWARM_LISTEN_ADDR")
      ->capture_default_str();
  boot->add_option("--port", bo->port, "UDP port")
      ->envname("SHARDSWARM_BOOTSTRAP_PORT")
      ->capture_default_str();
  boot->add_option("--health-port", bo->health_port, "HTTP port of /healthz (0: any free port)")
      ->envname("SHARDSWARM_HEALTH_PORT")
      ->capture_default_str();
  boot->add_option("--seed-dir", bo->seed_dir,
                   "Seed this split's shards over BitTorrent and announce its manifest (nodes missing their "
                   "shard fetch it)");
  boot->add_option("--cluster", bo->cluster, "Cluster whose manifest --seed-dir announces")
      ->envname("SHARDSWARM_CLUSTER")
      ->capture_default_str();
  boot->add_option("--data-dir", bo->data_dir,
                   "With --seed-dir: where the seeder keeps its identity (nodes pin it) and torrent cache")
      ->capture_default_str();
  boot->add_option("--torrent-port", bo->torrent_port, "BitTorrent TCP port (0: any free port)")
      ->capture_default_str();
  boot->add_option("--upload-limit", bo->upload_limit_mb_s, "Upload cap in MB/s (0: none)")
      ->capture_default_str();
  boot->add_option("--torrent-format", bo->torrent_format, "v1, v2 or hybrid (v1 for older clients)")
      ->capture_default_str();
  AddSwarmKey(boot, &bo->swarm_key);
  AddLogFormat(boot, log_format);
  boot->callback([=] {
    ApplyLogFormat(*log_format);
    RunBootstrap(*bo);
  });
}

// The caps a node puts on what its peers may make it hold and queue.
void AddForwardLimits(CLI::App* cmd, node::ForwardLimits* limits) {
  auto cap = [cmd](const std::string& flag, size_t* value, const std::string& env, const std::string& help) {
    cmd->add_option(flag, *value, help)->envname(env)->check(CLI::Range(1, 1000000))->capture_default_str();
  };
  cap("--max-sessions", &limits->max_sessions, "SHARDSWARM_MAX_SESSIONS",
      "Forward sessions (KV caches) open at once, every peer together; more are refused");
  cap("--max-sessions-per-peer", &limits->max_sessions_per_origin, "SHARDSWARM_MAX_SESSIONS_PER_PEER",
      "Forward sessions one peer (a gateway) may hold open here; more are refused");
  cap("--max-queued", &limits->max_queued, "SHARDSWARM_MAX_QUEUED",
      "FORWARDs waiting for the compute thread; more are refused (busy)");
  cap("--max-queued-per-peer", &limits->max_queued_per_sender, "SHARDSWARM_MAX_QUEUED_PER_PEER",
      "FORWARDs from one peer waiting for the compute thread; more are refused (busy)");
}

void AddNodeCommand(CLI::App& app, const std::shared_ptr<std::string>& log_format) {
  auto no = std::make_shared<node::NodeOptions>();
  CLI::App* nd = app.add_subcommand("node", "Run a node holding one shard");
  nd->add_option("--bootstrap", no->bootstrap, "Bootstrap HOST:PORT (repeatable)")
      ->required()
      ->envname("SHARDSWARM_BOOTSTRAP");
  nd->add_option("--cluster", no->cluster, "Cluster name: nodes, gateways and status of one swarm share it")
      ->envname("SHARDSWARM_CLUSTER")
      ->capture_default_str();
  no->shard_id = node::kAutoShard;
  nd->add_option_function<std::string>(
        "--shard-id", [no](const std::string& v) { no->shard_id = ParseShardId(v); },
        "Which shard this node holds (0-based), or auto (the default): the one the swarm needs most")
      ->envname("SHARDSWARM_SHARD_ID");
  nd->add_option("--total-shards", no->total_shards, "How many shards the model is split into")
      ->required()
      ->envname("SHARDSWARM_TOTAL_SHARDS");
  nd->add_option("--total-layers", no->total_layers, "Layer count of the model (0: from the shard)")
      ->envname("SHARDSWARM_TOTAL_LAYERS");
  nd->add_option("--model-name", no->model_name,
                 "Model name to announce (default: the shard file's general.name)")
      ->envname("SHARDSWARM_MODEL_NAME");
  nd->add_option("--listen-addr", no->bind_address, "Address for RPC and DHT (loopback by default)")
      ->envname("SHARDSWARM_LISTEN_ADDR")
      ->capture_default_str();
  nd->add_option("--port", no->port, "RPC port (0: any free port)")
      ->envname("SHARDSWARM_PORT")
      ->capture_default_str();
  nd->add_option("--torrent-port", no->torrent_port, "BitTorrent TCP port (0: any free port)")
      ->capture_default_str();
  nd->add_option_function<std::string>(
      "--torrent-format",
      [no](const std::string& name) {
        auto f = dist::ParseTorrentFormat(name);
        if (!f.ok()) throw CLI::ValidationError("--torrent-format", f.status().message());
        no->torrent_format = *f;
      },
      "Torrents it seeds: v1, v2 or hybrid (default; v1 for older clients)");
  nd->add_option("--trust-seeder", no->trust_seeder,
                 "Peer id whose shard manifests this node trusts (default: the one pinned in the data dir, "
                 "else the first seen)");
  nd->add_option_function<double>(
      "--download-limit",
      [no](double mb_s) {
        if (!(mb_s >= 0 && mb_s <= 2000))
          throw CLI::ValidationError("--download-limit", "must be 0 to 2000 MB/s");
        no->download_rate_limit = static_cast<int>(mb_s * 1e6);
      },
      "Cap on shard downloads in MB/s (0: none)");
  nd->add_option_function<double>(
      "--memory",
      [no](double mb) {
        if (!(mb > 0 && mb <= 1e9)) throw CLI::ValidationError("--memory", "must be a positive number of MB");
        no->memory_bytes = static_cast<uint64_t>(mb * 1048576);
      },
      "Memory in MB this node may use for its shard; --shard-id auto skips shards that need more "
      "(default: the machine's RAM)");
  nd->add_option("--dht-port", no->dht_port, "DHT UDP port (0: any free port)")
      ->envname("SHARDSWARM_DHT_PORT")
      ->capture_default_str();
  nd->add_option("--shards-dir", no->shards_dir, "Where shard-K.gguf (and manifest.json) are")
      ->envname("SHARDSWARM_SHARDS_DIR")
      ->capture_default_str();
  nd->add_option("--refresh-interval", no->refresh_s, "Seconds between announcements and status reports")
      ->envname("SHARDSWARM_REFRESH_INTERVAL")
      ->capture_default_str();
  nd->add_option("--data-dir", no->data_dir, "Where the node keeps its identity")
      ->envname("SHARDSWARM_DATA_DIR")
      ->capture_default_str();
  nd->add_option("-t,--threads", no->threads, "Compute threads (0: all cores)")
      ->envname("SHARDSWARM_THREADS");
  nd->add_option("--session-idle-timeout", no->session_idle_timeout_s,
                 "Seconds after which an idle forward session is closed (its KV cache freed)")
      ->envname("SHARDSWARM_SESSION_IDLE_TIMEOUT")
      ->capture_default_str();
  AddForwardLimits(nd, &no->forward_limits);
  AddSwarmKey(nd, &no->swarm_key);
  AddLogFormat(nd, log_format);
  nd->callback([=] {
    ApplyLogFormat(*log_format);
    RunNode(*no);
  });
}

void AddStatusCommand(CLI::App& app) {
  auto so = std::make_shared<StatusOptions>();
  CLI::App* st =
      app.add_subcommand("status", "Show what the DHT says about a cluster, and what blocks readiness");
  st->add_option("--bootstrap", so->bootstrap, "Bootstrap HOST:PORT (repeatable)")
      ->required()
      ->envname("SHARDSWARM_BOOTSTRAP");
  st->add_option("--cluster", so->cluster, "Cluster name: nodes, gateways and status of one swarm share it")
      ->envname("SHARDSWARM_CLUSTER")
      ->capture_default_str();
  st->add_option("--total-shards", so->total_shards, "Shard count (0: learn it from the records)")
      ->envname("SHARDSWARM_TOTAL_SHARDS");
  st->add_flag("--json", so->json, "Machine-readable output");
  st->add_flag("--watch", so->watch, "Stay open and print the swarm again whenever it changes (Ctrl-C ends)");
  st->add_option("--listen-addr", so->listen_addr, "Local address to talk from (loopback by default)")
      ->envname("SHARDSWARM_LISTEN_ADDR")
      ->capture_default_str();
  st->add_option("--timeout", so->timeout_s,
                 "Seconds at most: to reach the bootstrap, then to gather the records")
      ->capture_default_str();
  AddSwarmKey(st, &so->swarm_key);
  st->callback([so] { RunStatus(*so); });
}

void AddRpcCommand(CLI::App& app) {
  auto ro = std::make_shared<RpcOptions>();
  CLI::App* rpc = app.add_subcommand("rpc", "Send one command to a shard's node over authenticated RPC");
  rpc->add_option("command", ro->command,
                  "GET_CAPABILITIES, GET_STATUS, GET_METRICS, LIST_FILES, LOAD_SHARD, …")
      ->required();
  rpc->add_option("--bootstrap", ro->bootstrap, "Bootstrap HOST:PORT (repeatable)")
      ->required()
      ->envname("SHARDSWARM_BOOTSTRAP");
  rpc->add_option("--cluster", ro->cluster, "Cluster name: nodes, gateways and status of one swarm share it")
      ->envname("SHARDSWARM_CLUSTER")
      ->capture_default_str();
  rpc->add_option("--shard", ro->shard, "Which shard's node to ask")->capture_default_str();
  rpc->add_option("--args", ro->args, "Extra fields of the request, as a JSON object")->capture_default_str();
  rpc->add_option("--data-dir", ro->data_dir, "Keep this client's identity here (default: a throwaway one)");
  rpc->add_option("--timeout", ro->timeout_s, "Seconds")->capture_default_str();
  rpc->add_option("--listen-addr", ro->listen_addr, "Local address to talk from (loopback by default)")
      ->envname("SHARDSWARM_LISTEN_ADDR")
      ->capture_default_str();
  AddSwarmKey(rpc, &ro->swarm_key);
  rpc->callback([ro] { RunRpc(*ro); });
}

void AddKeygenCommand(CLI::App& app) {
  auto key_out = std::make_shared<std::string>();
  CLI::App* kg = app.add_subcommand("keygen", "Make a private swarm's key file (for --swarm-key)");
  kg->add_option("--out", *key_out, "Where to write it (mode 0600; an existing file is never replaced)")
      ->required();
  kg->callback([key_out] {
    if (Status s = SwarmKey::Create(*key_out); !s.ok()) Fail(s.message());
    auto key = SwarmKey::Load(*key_out);
    if (!key.ok()) Fail(key.status().message());
    std::printf("wrote swarm key %s to %s: give every process of the swarm --swarm-key %s\n",
                key->Name().c_str(), key_out->c_str(), key_out->c_str());
  });
}

}  // namespace

void AddSwarmCommands(CLI::App& app) {
  auto log_format = std::make_shared<std::string>("text");
  AddBootstrapCommand(app, log_format);
  AddNodeCommand(app, log_format);
  AddStatusCommand(app);
  AddRpcCommand(app);
  AddKeygenCommand(app);
}

}  // namespace ss::cli
