#pragma once
// The node process (DESIGN.md §1, "shard_listener" in the seed): holds one
// shard. It keeps a persistent identity, loads shard-K.gguf from its shards
// dir when present (and joins with shard_loaded=false when not, re-checking
// every second; a loaded file that changes is unloaded, verified and loaded
// again), announces a signed record on its shard key and its peer
// key, re-announces every refresh interval and at once when its shard loads,
// listens on every shard key of its cluster to keep a SwarmView, serves RPC,
// and prints a [STATUS] report on every change and every refresh interval.
// The forward path (FORWARD messages, sessions, batching, links to next
// hops) lives in ForwardWorker and PeerLinks; this class wires them to RPC.

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dht/discovery.h"
#include "dht/identity.h"
#include "dht/record.h"
#include "dist/shard_exchange.h"
#include "engine/stage.h"
#include "node/forward_worker.h"
#include "node/peer_links.h"
#include "swarm/liveness.h"
#include "swarm/swarm_view.h"
#include "util/dir_lock.h"
#include "util/status.h"

namespace ss::net {
class RpcServer;
struct PeerInfo;
}  // namespace ss::net

namespace ss::node {

using swarm::Clock;
using swarm::SwarmView;

struct NodeOptions {
  std::vector<std::string> bootstrap;
  std::string cluster = "default";
  int shard_id = 0;  // kAutoShard (node/shard_choice.h): chosen at start
  int total_shards = 1;
  int total_layers = 0;  // 0: take it from the shard file
  std::string model_name;
  std::string bind_address = "127.0.0.1";
  uint16_t port = 0;            // RPC (0: any free port)
  uint16_t dht_port = 0;        // DHT (0: any free port)
  uint16_t torrent_port = 0;    // BitTorrent (0: any free port)
  std::string trust_seeder;     // peer id whose shard manifests to trust (dist/shard_exchange.h)
  int download_rate_limit = 0;  // bytes/s of shard fetches, 0: none
  dist::TorrentFormat torrent_format = dist::TorrentFormat::kHybrid;  // of the torrents it seeds
  std::string shards_dir = "models_cache/shards";
  std::string data_dir = "node_data";
  int refresh_s = 5;
  int threads = 0;
  int session_idle_timeout_s = 300;  // forward sessions idle longer are closed
  uint64_t memory_bytes = 0;         // what the node may use (0: the machine's RAM)
  SwarmKey swarm_key;                // a private swarm's (util/swarm_key.h); empty: open
  ForwardLimits forward_limits;      // sessions and queued FORWARDs (node/forward_worker.h)
};

class NodeService {
 public:
  static Result<std::unique_ptr<NodeService>> Start(const NodeOptions& options);
  ~NodeService();
  // Runs the periodic work until Stop() (or a signal handler calling it).
  void Run();
  void Stop() { stop_ = true; }

  const std::string& peer_id() const { return identity_.peer_id; }
  uint16_t rpc_port() const;

 private:
  NodeService() = default;
  void TryLoadShard();
  bool HasStage();
  void SwitchShardIfAsked();
  void Rebalance(Clock::time_point now);
  Result<std::shared_ptr<engine::Stage>> LoadShard(const std::string& path);
  void Unload(const std::string& why);
  dht::NodeRecord MakeRecord();
  void Announce();
  void OnValue(int shard, const dht::SignedValue& v, bool expired);
  void Report(bool force);
  void OnProbe(const dht::NodeRecord& node, const Status& probe);
  Status Authorize(const std::string& public_key_id, const std::string& cert_fingerprint);
  bool IsNode(const std::string& peer_id);  // has a node record in the swarm view
  nlohmann::json Handle(const net::PeerInfo& peer, const nlohmann::json& request);
  nlohmann::json ModelMeta(const nlohmann::json& request);

  NodeOptions options_;
  std::unique_ptr<DirLock> data_dir_lock_;  // held for the node's life
  dht::NodeIdentity identity_;
  std::unique_ptr<dist::ShardExchange> exchange_;  // outlives discovery_ (its callbacks)
  std::unique_ptr<dht::Discovery> discovery_;
  std::unique_ptr<net::RpcServer> rpc_;
  std::unique_ptr<PeerLinks> links_;
  std::unique_ptr<ForwardWorker> forward_;
  std::atomic<bool> stop_{false};
  Clock::time_point started_;

  std::mutex mu_;                                                           // guards everything below
  using FileStamp = std::pair<uintmax_t, std::filesystem::file_time_type>;  // size, mtime
  std::shared_ptr<engine::Stage> stage_;
  std::optional<FileStamp> loaded_file_;           // of the stage being served
  uint64_t stage_generation_ = 0;                  // bumped on every load and unload
  std::optional<int> pending_shard_;               // LOAD_SHARD asked for it
  std::map<int, Clock::time_point> orphan_since_;  // shards without any online node, since
  std::string shard_problem_ = "not checked yet";
  std::string model_id_;
  int layer_start_ = 0, layer_end_ = 0, total_layers_ = 0;
  std::unique_ptr<SwarmView> view_;
  std::string last_state_;
  bool view_changed_ = false;
  std::map<std::string, std::string> clients_;  // peer id -> certificate fingerprint
  std::optional<FileStamp> last_file_;          // the file last tried
  std::string metadata_gguf_;                   // GET_MODEL_META's GGUF, written once

  // Last: it calls into the view until destroyed.
  std::unique_ptr<swarm::LivenessProber> prober_;
};

}  // namespace ss::node
