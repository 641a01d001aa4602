#pragma once
// One generation's forward passes through a route (DESIGN.md §8): Next()
// sends token rows to the route's first node as FORWARD messages (a prompt in
// chunks of at most chunk_rows, so a long prompt does not hold the stages
// from other sessions for long), and waits for the last node's sampled token.
// The nodes keep the session's KV cache and sampler; Close() (also on
// destruction) frees them on every stage with SESSION_CLOSE.
//
// Errors: kUnavailable when a node of the route failed, closed the link or
// did not answer within step_timeout. One thread uses a session at a time.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
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
};

class SwarmSession {
 public:
  // Connects to (or reuses the links of) every node on the route.
  static Result<std::unique_ptr<SwarmSession>> Open(swarm::SwarmClient& swarm, ResultBoard& board,
                                                    Route route, nlohmann::json sampling,
                                                    const SwarmSessionOptions& options);
  ~SwarmSession();

  // Feeds `tokens` at positions pos.. and returns the token sampled after them.
  Result<int32_t> Next(int pos, std::span<const int32_t> tokens);
  void Close();

  uint64_t id() const { return id_; }
  const Route& route() const { return route_; }

 private:
  SwarmSession() = default;
  Result<nlohmann::json> Step(int pos, std::span<const int32_t> rows, bool sample);

  swarm::SwarmClient* swarm_ = nullptr;
  ResultBoard* board_ = nullptr;
  Route route_;
  nlohmann::json sampling_;
  SwarmSessionOptions options_;
  std::vector<std::shared_ptr<swarm::NodeLink>> links_;
  uint64_t id_ = 0;
  uint64_t step_ = 0;
  bool closed_ = false;
};

}  // namespace ss::gateway
