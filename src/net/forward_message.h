#pragma once
// FORWARD: how a session's rows travel along its route (DESIGN.md §8). The
// gateway sends a session's token rows to the route's first stage; each stage
// runs its layers and sends the hidden states straight to the next stage; the
// last stage samples and pushes a FORWARD_RESULT to the gateway (the header's
// origin) over the connection the gateway opened to it. A session has at most
// one FORWARD in flight: the gateway sends the next rows (the next prompt
// chunk, or the sampled token) only after the result of the previous ones.
//
// A FORWARD is one binary WebSocket message:
//   u32 little-endian  n, the length of the JSON header (1 .. kMaxForwardHeaderBytes)
//   n bytes            the header, a JSON object:
//       "type": "FORWARD", "session": u64, "step": u64 (the gateway's counter),
//       "origin": peer id of the gateway (results and errors go there),
//       "stage": index of the receiving stage in "route",
//       "route": [{"peer_id", "endpoint": "host:port"}, ...] one hop per shard,
//       "sample": the last stage samples a token after these rows,
//       "sampling": {...} the sampling parameters (read by the last stage),
//       "timings": [[wait_ms, compute_ms], ...] one pair per stage passed so
//                  far (optional): how long each waited in its node's queue
//                  and ran its layers, so the gateway sees every stage's time
//   the rest           an activation frame (net/activation_frame.h): kTokens for
//                      stage 0, kHiddenStates after it; its session and request
//                      id are the header's session and step.
//
// FORWARD_RESULT is a JSON text message {"type": "FORWARD_RESULT", "session",
// "step", "status": "ok" | "error", "token" (when sampled), "timings" (every
// stage's pair, the last stage's included), "error" (a readable message
// naming the stage that failed)}. Every byte of both comes
// from a peer: decoding never throws and names what is wrong.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "net/activation_frame.h"
#include "util/status.h"

namespace ss::net {

inline constexpr size_t kMaxForwardHeaderBytes = 64 * 1024;
inline constexpr size_t kMaxRouteHops = 256;

struct RouteHop {
  std::string peer_id;
  std::string endpoint;
};

struct StageTiming {
  double wait_ms = 0;     // queued at the node before its batch ran
  double compute_ms = 0;  // the batch's Stage::Forward
};

struct ForwardHeader {
  uint64_t session = 0;
  uint64_t step = 0;
  std::string origin;
  int stage = 0;
  std::vector<RouteHop> route;
  bool sample = false;
  nlohmann::json sampling = nlohmann::json::object();
  std::vector<StageTiming> timings;  // of the stages before this one
};

struct ForwardMessage {
  ForwardHeader header;
  ActivationFrame frame;
};

// Fails when the header is unusable (stage outside the route, empty origin) or
// the frame is inconsistent, rather than writing what Decode refuses.
Result<std::vector<uint8_t>> EncodeForward(const ForwardHeader& header, const ActivationFrame& frame);
// Checks the header's fields and types, the frame (DecodeActivationFrame with
// these limits) and that both name the same session and step.
Result<ForwardMessage> DecodeForward(const uint8_t* data, size_t size, size_t max_rows, size_t max_width);

nlohmann::json ForwardResult(uint64_t session, uint64_t step, std::optional<int32_t> token,
                             const std::vector<StageTiming>& timings);
// A FORWARD_RESULT's "timings"; empty when absent or malformed (they only
// feed metrics and routing, so a bad value is ignored, not an error).
std::vector<StageTiming> ResultTimings(const nlohmann::json& result);
nlohmann::json ForwardError(uint64_t session, uint64_t step, const std::string& error);

}  // namespace ss::net
