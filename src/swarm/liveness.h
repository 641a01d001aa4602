#pragma once
// Failure detection in seconds (records alone take two refresh intervals):
// a thread that probes every known node's RPC endpoint (net/endpoint_probe.h)
// once per interval and reports each node whose answer changed, so a killed
// node is offline in the caller's view within about one interval. Nodes are
// probed in parallel, so a few silent ones do not slow the round.
//
// The callbacks run on the prober's threads, never two at once; `targets` is
// called once per round. Both must stay callable until the prober is
// destroyed (which joins its thread).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dht/record.h"
#include "net/endpoint_probe.h"
#include "util/status.h"

namespace ss::swarm {

class LivenessProber {
 public:
  using TargetsFn = std::function<std::vector<dht::NodeRecord>()>;
  // `probe` is Ok when the node answered; called when that differs from the
  // node's previous round (and on its first failure).
  using ChangeFn = std::function<void(const dht::NodeRecord& node, const Status& probe)>;

  LivenessProber(TargetsFn targets, ChangeFn on_change,
                 std::chrono::milliseconds interval = std::chrono::milliseconds(1000),
                 std::chrono::milliseconds timeout = std::chrono::milliseconds(500));
  ~LivenessProber();
  LivenessProber(const LivenessProber&) = delete;
  LivenessProber& operator=(const LivenessProber&) = delete;

  static constexpr int kSilentRoundsForOffline = 2;

  // Probes each record's endpoint at once (in parallel); the results in order.
  static std::vector<net::ProbeResult> ProbeAll(const std::vector<dht::NodeRecord>& nodes,
                                                std::chrono::milliseconds timeout);

 private:
  void Loop();

  TargetsFn targets_;
  ChangeFn on_change_;
  std::chrono::milliseconds interval_, timeout_;
  struct Seen {
    bool up = true;
    int silent_rounds = 0;
  };
  std::map<std::string, Seen> seen_;  // by peer id + endpoint
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ss::swarm
