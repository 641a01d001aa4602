#include "net/rpc_metrics.h"

#include <algorithm>
#include <cmath>

namespace ss::net {

nlohmann::json ToJson(const RpcMetrics& m) {
  return {{"requests", m.requests},
          {"errors", m.errors},
          {"bytes_in", m.bytes_in},
          {"bytes_out", m.bytes_out},
          {"connections_open", m.connections_open},
          {"connections_total", m.connections_total},
          {"latency_p50_ms", m.latency_p50_ms},
          {"latency_p95_ms", m.latency_p95_ms},
          {"latency_p99_ms", m.latency_p99_ms}};
}

void RpcMetricsRecorder::AddRequest(uint64_t bytes) {
  std::lock_guard lock(mu_);
  totals_.requests++;
  totals_.bytes_in += bytes;
}

void RpcMetricsRecorder::AddLatency(std::chrono::nanoseconds handler_time) {
  double ms = std::chrono::duration<double, std::milli>(handler_time).count();
  std::lock_guard lock(mu_);
  if (latencies_ms_.size() < kLatencyWindow) {
    latencies_ms_.push_back(ms);
  } else {
    latencies_ms_[next_] = ms;
  }
  next_ = (next_ + 1) % kLatencyWindow;
}

void RpcMetricsRecorder::AddError() {
  std::lock_guard lock(mu_);
  totals_.errors++;
}

void RpcMetricsRecorder::AddBytesOut(uint64_t bytes) {
  std::lock_guard lock(mu_);
  totals_.bytes_out += bytes;
}

void RpcMetricsRecorder::ConnectionOpened() {
  std::lock_guard lock(mu_);
  totals_.connections_open++;
  totals_.connections_total++;
}

void RpcMetricsRecorder::ConnectionClosed() {
  std::lock_guard lock(mu_);
  if (totals_.connections_open > 0) totals_.connections_open--;
}

RpcMetrics RpcMetricsRecorder::Snapshot() const {
  std::vector<double> samples;
  RpcMetrics out;
  {
    std::lock_guard lock(mu_);
    out = totals_;
    samples = latencies_ms_;
  }
  if (samples.empty()) return out;
  std::sort(samples.begin(), samples.end());
  // Nearest-rank percentile.
  auto pct = [&](double p) {
    size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(samples.size())));
    return samples[std::clamp<size_t>(rank, 1, samples.size()) - 1];
  };
  out.latency_p50_ms = pct(50);
  out.latency_p95_ms = pct(95);
  out.latency_p99_ms = pct(99);
  return out;
}

}  // namespace ss::net
