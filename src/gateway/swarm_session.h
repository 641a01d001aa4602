#pragma once
// One generation's forward passes through a route (DESIGN.md §8): Next()
// sends token rows to the route's first node as FORWARD messages (a prompt in
// chunks of at most chunk_rows, so a long prompt does not hold the stages
// from other sessions for long), and waits for the last node's sampled token.
// The nodes keep the session's KV cache and sampler; Close() (also on
// destruction) frees them on every stage with SESSION_CLOSE.
//
// Failover (when options.reroute is set): when a node of the route fails,
// closes its link or does not answer within step_timeout, the session asks
// for another route avoiding the nodes that failed, and replays everything
// fed so far there as a prefill, with the sampler's random sequence moved on
// by the tokens already drawn (skip_draws), so the next token is the one the
// first route would have given. It keeps trying until failover_deadline, and
// neither a connection nor a replay waits beyond it (a new route with a node
// that accepts and never answers is given up at the deadline, not after
// connect_timeout or step_timeout). A
// node of the first route that cannot be reached fails over the same way, at
// the first Next().
//
// Errors: kUnavailable when a node failed and no other route took over. One
// thread uses a session at a time.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "gateway/result_board.h"
#include "gateway/router.h"
#include "net/forward_message.h"
#include "swarm/swarm_client.h"
#include "util/status.h"

namespace ss::gateway {

struct SwarmSessionOptions {
  int chunk_rows = 512;
  std::chrono::milliseconds step_timeout{60'000};
  std::chrono::milliseconds connect_timeout{10'000};
  // Called after every step with each stage's queue wait and compute time.
  std::function<void(const Route&, const std::vector<net::StageTiming>&)> on_timings;
  // Another route avoiding these nodes, AvoidKey()s (kNotReady while there is none).
  std::function<Result<Route>(const std::set<std::string>& avoid)> reroute;
  std::chrono::milliseconds failover_deadline{8'000};
  // After a failover: the route given up, the new one, the positions
  // replayed, what went wrong and how long the pause was.
  std::function<void(const Route& from, const Route& to, int replayed, const std::string& why,
                     double pause_s)>
      on_failover;
};

// "peer_id@rpc_endpoint": how a failed node is named in the set to avoid.
std::string AvoidKey(const dht::NodeRecord& node);

class SwarmSession {
 public:
  // Connects to (or reuses the links of) every node on the route; with
  // options.reroute, a node that cannot be reached is left to Next's failover.
  static Result<std::unique_ptr<SwarmSession>> Open(swarm::SwarmClient& swarm, ResultBoard& board,
                                                    Route route, nlohmann::json sampling,
                                                    const SwarmSessionOptions& options);
  ~SwarmSession();

  // Feeds `tokens` at positions pos.. and returns the token sampled after them.
  Result<int32_t> Next(int pos, std::span<const int32_t> tokens);
  int failovers() const { return failovers_; }
  void Close();

  uint64_t id() const { return id_; }
  const Route& route() const { return route_; }

 private:
  SwarmSession() = default;
  // Links to every hop, waiting at most `timeout` in all.
  Status Connect(Route route, std::chrono::milliseconds timeout);
  void Disconnect();
  // Each step waits at most `timeout` for its result.
  Result<int32_t> NextOnRoute(int pos, std::span<const int32_t> tokens, std::chrono::milliseconds timeout);
  Result<nlohmann::json> Step(int pos, std::span<const int32_t> rows, bool sample,
                              std::chrono::milliseconds timeout);
  Result<int32_t> Failover(int pos, std::span<const int32_t> tokens, const Status& failure);

  swarm::SwarmClient* swarm_ = nullptr;
  ResultBoard* board_ = nullptr;
  Route route_;
  nlohmann::json sampling_;
  SwarmSessionOptions options_;
  std::vector<std::shared_ptr<swarm::NodeLink>> links_;
  uint64_t id_ = 0;
  uint64_t step_ = 0;
  bool closed_ = false;
  std::vector<int32_t> fed_;  // the token at each position fed so far
  uint32_t drawn_ = 0;        // tokens sampled so far
  int failovers_ = 0;
  Status unreached_;  // why Connect could not reach hops[links_.size()]
};

}  // namespace ss::gateway
