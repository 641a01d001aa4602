#pragma once
// Counters an RPC server keeps about itself, for the node's GET_METRICS reply.
//
//   requests           complete messages received (text or binary, valid or not)
//   errors             error replies sent (including handler replies with
//                      status "error") + protocol errors (failed TLS handshakes,
//                      refused peers, oversized or malformed frames)
//   bytes_in/out       WebSocket message payload bytes (not TLS or frame overhead)
//   connections_open   authorized connections open now
//   connections_total  authorized connections ever established
//   latency_p*_ms      handler time per request, over the last kLatencyWindow requests

#include <chrono>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

namespace ss::net {

struct RpcMetrics {
  uint64_t requests = 0;
  uint64_t errors = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t connections_open = 0;
  uint64_t connections_total = 0;
  double latency_p50_ms = 0;
  double latency_p95_ms = 0;
  double latency_p99_ms = 0;
};

nlohmann::json ToJson(const RpcMetrics& m);

// Thread-safe accumulator behind RpcServer::Metrics(). Latency samples are kept
// in a ring of fixed size so memory stays bounded however long the server runs.
class RpcMetricsRecorder {
 public:
  static constexpr size_t kLatencyWindow = 1024;

  void AddRequest(uint64_t bytes);
  void AddLatency(std::chrono::nanoseconds handler_time);
  void AddError();
  void AddBytesOut(uint64_t bytes);
  void ConnectionOpened();
  void ConnectionClosed();
  RpcMetrics Snapshot() const;

 private:
  mutable std::mutex mu_;
  RpcMetrics totals_;
  std::vector<double> latencies_ms_;  // ring, at most kLatencyWindow
  size_t next_ = 0;
};

}  // namespace ss::net
