#pragma once
// One session of the forward path on this node: the KV sequence it maps to in
// the stage, how many positions that holds, and on the last stage the token
// history and the sampler (DESIGN.md §8: the last stage keeps them, so
// sampling through the swarm is exactly `generate`'s).
//
// Sessions are keyed by (origin peer id, the origin's session id), so one
// peer cannot touch another's. ForwardWorker owns them; see its locking rules.

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/sampler.h"
#include "net/activation_frame.h"
#include "util/status.h"

namespace ss::node {

using SessionKey = std::pair<std::string, uint64_t>;  // origin peer id, session

// The header's "sampling" object: every field optional (defaults from
// model::SamplingParams), each of the right JSON type, then
// ValidateSamplingParams. Unknown fields are ignored.
Result<model::SamplingParams> ParseSamplingParams(const nlohmann::json& sampling);

struct ForwardSession {
  uint64_t kv_id = 0;  // the session id the engine::Stage knows
  int length = 0;      // positions [0, length) the stage's KV cache holds
  // The peer whose FORWARDs it runs: the origin (stage 0) or the previous
  // stage. Another peer may take the session over only by sending it again
  // from position 0 (a failover's replay), never append to it.
  std::string feeder;
  std::chrono::steady_clock::time_point last_active;

  // Last stage only. history[i] is the token at position i: prompt tokens as
  // they are forwarded, then each sampled token (accepted when sampled, so the
  // decode row that carries it back is not accepted twice).
  std::optional<model::Sampler> sampler;
  std::vector<int32_t> history;

  // Before running rows that start at `first_pos`, on the last stage: creates
  // the sampler on the first FORWARD; on a rewind (first_pos below the cached
  // length, or rows that disagree with the history) truncates the history to
  // first_pos and rebuilds the sampler from `params` by accepting the history
  // again. The rebuilt sampler's random sequence restarts from its seed, so a
  // replay draws what the first run drew only when it rewinds to where that
  // run's sampler started.
  Status PrepareSampling(const model::SamplingParams& params, const std::vector<net::ActivationRow>& rows);
  // After the rows ran: accepts each row whose position extends the history.
  void AcceptRows(const std::vector<net::ActivationRow>& rows);
  // Samples the next token from `logits`, accepts it and appends it.
  int32_t SampleNext(const float* logits, int n_vocab);
};

}  // namespace ss::node
