#pragma once
// What the console charts, one sample a second: tokens generated per second,
// queue depth (the mean number of steps waiting in stage queues over the
// second: their summed wait divided by the second, Little's law), sessions in
// flight and each shard's mean forward time. Keeps the last `capacity`
// samples so charts survive a page reload. Thread-safe.

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "gateway/metrics.h"

namespace ss::gateway {

class StatsSeries {
 public:
  static constexpr int kIntervalMs = 1000;
  explicit StatsSeries(size_t capacity = 300) : capacity_(capacity) {}

  // Adds a sample from the change in `totals` since the previous call
  // (the first call only remembers them).
  void Sample(const MetricsTotals& totals, std::chrono::steady_clock::time_point now);
  // {"interval_ms", "samples": [{time_ms, tokens_per_s, queue_depth, sessions, stage_ms: {shard: ms}}]}
  nlohmann::json ToJson() const;
  // The newest sample, or null before the second call to Sample.
  nlohmann::json Latest() const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::optional<MetricsTotals> last_;
  std::chrono::steady_clock::time_point last_at_;
  std::deque<nlohmann::json> samples_;
};

}  // namespace ss::gateway
