#pragma once
// The gateway's own measurements, rendered as Prometheus text for /metrics:
// requests by endpoint and HTTP status, tokens in and out, time to first
// token and inter-token latency histograms, sessions in flight. Thread-safe.
// Figures that come from elsewhere (nodes per shard, per-stage forward
// latency) are appended by the caller as extra lines.

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
  // "# TYPE name histogram" and its _bucket/_sum/_count lines.
  std::string Render(const std::string& name, const std::string& help) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;
  double sum_ = 0;
  uint64_t count_ = 0;
};

class GatewayMetrics {
 public:
  GatewayMetrics();
  void CountRequest(const std::string& endpoint, int status);
  void CountTokens(int prompt_tokens, int completion_tokens);
  void ObserveTimeToFirstToken(double seconds);
  void ObserveInterToken(double seconds);
  void SessionStarted();
  void SessionEnded();
  int sessions_in_flight() const;
  std::string Render() const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  uint64_t tokens_in_ = 0, tokens_out_ = 0;
  Histogram ttft_, inter_token_;
  int in_flight_ = 0;
};

}  // namespace ss::gateway
