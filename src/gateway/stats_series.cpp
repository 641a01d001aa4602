#include "gateway/stats_series.h"

#include "util/clock.h"

namespace ss::gateway {

void StatsSeries::Sample(const MetricsTotals& t, std::chrono::steady_clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  if (last_) {
    const double seconds = std::chrono::duration<double>(now - last_at_).count();
    if (seconds <= 0) return;
    double waiting_s = 0;
    nlohmann::json stage_ms = nlohmann::json::object();
    for (const auto& [shard, s] : t.stages) {
      MetricsTotals::Stage before =
          last_->stages.count(shard) ? last_->stages.at(shard) : MetricsTotals::Stage{};
      const uint64_t steps = s.steps - before.steps;
      waiting_s += s.wait_s - before.wait_s;
      stage_ms[std::to_string(shard)] =
          steps ? nlohmann::json(1000 * (s.compute_s - before.compute_s) / static_cast<double>(steps))
                : nlohmann::json();
    }
    const int64_t unix_ms = UnixMillis();
    samples_.push_back({{"time_ms", unix_ms},
                        {"tokens_per_s", static_cast<double>(t.tokens_out - last_->tokens_out) / seconds},
                        {"queue_depth", waiting_s / seconds},
                        {"sessions", t.sessions_in_flight},
                        {"stage_ms", stage_ms}});
    while (samples_.size() > capacity_) samples_.pop_front();
  }
  last_ = t;
  last_at_ = now;
}

nlohmann::json StatsSeries::ToJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json samples = nlohmann::json::array();
  for (const nlohmann::json& s : samples_) samples.push_back(s);
  return {{"interval_ms", kIntervalMs}, {"samples", samples}};
}

nlohmann::json StatsSeries::Latest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return samples_.empty() ? nlohmann::json() : samples_.back();
}

}  // namespace ss::gateway
