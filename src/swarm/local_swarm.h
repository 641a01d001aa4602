#pragma once
// A whole swarm on this machine, for `shardswarm up`: a bootstrap (which also
// seeds the split over BitTorrent, so nodes started later without their shard
// fetch it), nodes (one per shard of a split directory, or more, which choose
// their shards and become replicas), and a gateway, each a child process of this
// one (the same shardswarm binary) on loopback with free ports, logging into
// files under the work dir. Start() returns once they run; WaitReady() until
// the gateway serves; RestartEndedNodes() starts a node that died again;
// Dead() tells when one of them ended and why; Stop() stops the gateway,
// then the nodes, then the bootstrap.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "util/child_process.h"
#include "util/status.h"

namespace ss::swarm {

struct LocalSwarmOptions {
  std::string binary;      // the shardswarm executable
  std::string shards_dir;  // shard-{i}.gguf and manifest.json
  int shards = 0;
  int nodes = 0;         // 0: one per shard, each given its shard; more: they choose (--shard-id auto)
  std::string work_dir;  // logs and node data
  std::string cluster = "local";
  uint16_t http_port = 8080;  // 0: any free port
  int threads_per_node = 1;
  int refresh_s = 2;
  std::string swarm_key_file;  // given to every process as --swarm-key (empty: an open swarm)
};

class LocalSwarm {
 public:
  static Result<std::unique_ptr<LocalSwarm>> Start(const LocalSwarmOptions& options);
  ~LocalSwarm();  // Stop()

  // Until the gateway's /healthz says the swarm is ready; fails when a child
  // dies meanwhile (naming it) or at the timeout (with what still blocks).
  Status WaitReady(std::chrono::seconds timeout);
  // Starts again, with the same flags and data dir (so the same peer id and
  // shard), each node that ended, at most kNodeRestarts times each: the swarm
  // fails its requests over meanwhile. A line per restart, naming why it ended.
  std::vector<std::string> RestartEndedNodes();
  static constexpr int kNodeRestarts = 3;
  // "node 2 (pid 123) exited with code 1", and the end of its log; nullopt
  // while every child runs.
  std::optional<std::string> Dead();
  void Stop();
  // The child called `name` ("bootstrap", "node-K", "gateway"), or null: for
  // benchmarks that kill one on purpose.
  ChildProcess* Process(const std::string& name);

  uint16_t http_port() const { return http_port_; }
  std::string bootstrap() const { return "127.0.0.1:" + std::to_string(boot_port_); }

 private:
  struct Child {
    std::string name;
    std::vector<std::string> args;
    std::unique_ptr<ChildProcess> process;
    int restarts = 0;
  };
  LocalSwarm() = default;
  Status Spawn(const std::string& name, std::vector<std::string> args);

  LocalSwarmOptions options_;
  uint16_t boot_port_ = 0, http_port_ = 0;
  std::vector<Child> children_;  // in start order: bootstrap, nodes, gateway
};

// A port that was free on 127.0.0.1 a moment ago (UDP or TCP).
Result<uint16_t> FreeLoopbackPort(bool udp);

}  // namespace ss::swarm
