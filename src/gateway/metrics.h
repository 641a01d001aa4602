#pragma once
// The gateway's own measurements, rendered as Prometheus text for /metrics:
// requests by endpoint and HTTP status, tokens in and out, time to first
// token and inter-token latency histograms, each stage's queue wait and
// compute time (from the FORWARD timings), sessions in flight. Thread-safe.
// Figures of the swarm view and settings (nodes per shard, the session
// limit) are appended by the caller.

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace ss::gateway {

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1) {}
  void Observe(double v);
  // "# HELP"/"# TYPE name histogram" lines, then Series(name, "").
  std::string Render(const std::string& name, const std::string& help) const;
  // The _bucket/_sum/_count lines; `labels` like `shard="0"` go in each.
  std::string Series(const std::string& name, const std::string& labels) const;
  double sum() const { return sum_; }
  uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;
  double sum_ = 0;
  uint64_t count_ = 0;
};

// Running totals, for the console's per-second samples (StatsSeries).
struct MetricsTotals {
  uint64_t requests = 0, tokens_out = 0;
  int sessions_in_flight = 0;
  struct Stage {
    uint64_t steps = 0;
    double wait_s = 0, compute_s = 0;
  };
  std::map<int, Stage> stages;  // by shard
};

class GatewayMetrics {
 public:
  GatewayMetrics();
  void CountRequest(const std::string& endpoint, int status);
  void CountTokens(int prompt_tokens, int completion_tokens);
  void ObserveTimeToFirstToken(double seconds);
  void ObserveInterToken(double seconds);
  void ObserveStage(int shard, double wait_seconds, double compute_seconds);
  void CountFailover();
  void SessionStarted();
  void SessionEnded();
  int sessions_in_flight() const;
  MetricsTotals Totals() const;
  std::string Render() const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  uint64_t tokens_in_ = 0, tokens_out_ = 0;
  Histogram ttft_, inter_token_;
  std::map<int, std::pair<Histogram, Histogram>> stages_;  // shard -> (wait, compute)
  int in_flight_ = 0;
  uint64_t failovers_ = 0;
};

}  // namespace ss::gateway
