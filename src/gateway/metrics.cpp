#include "gateway/metrics.h"

#include <sstream>

namespace ss::gateway {

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  counts_[i]++;
  sum_ += v;
  count_++;
}

namespace {

const std::vector<double> kStageBounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                          0.05,   0.1,   0.25,   0.5,   1,    2.5};

std::string Header(const std::string& name, const std::string& type, const std::string& help) {
  return "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

std::string Histogram::Render(const std::string& name, const std::string& help) const {
  return Header(name, "histogram", help) + Series(name, "");
}

std::string Histogram::Series(const std::string& name, const std::string& labels) const {
  std::ostringstream os;
  const std::string sep = labels.empty() ? "" : labels + ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    os << name << "_bucket{" << sep << "le=\"" << bounds_[i] << "\"} " << cumulative << "\n";
  }
  os << name << "_bucket{" << sep << "le=\"+Inf\"} " << count_ << "\n";
  const std::string braces = labels.empty() ? "" : "{" + labels + "}";
  os << name << "_sum" << braces << " " << sum_ << "\n"
     << name << "_count" << braces << " " << count_ << "\n";
  return os.str();
}

GatewayMetrics::GatewayMetrics()
    : ttft_({0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}),
      inter_token_({0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}) {}

void GatewayMetrics::CountRequest(const std::string& endpoint, int status) {
  std::lock_guard<std::mutex> lock(mu_);
  requests_[{endpoint, status}]++;
}

void GatewayMetrics::CountTokens(int prompt_tokens, int completion_tokens) {
  std::lock_guard<std::mutex> lock(mu_);
  tokens_in_ += prompt_tokens;
  tokens_out_ += completion_tokens;
}

void GatewayMetrics::ObserveTimeToFirstToken(double s) {
  std::lock_guard<std::mutex> lock(mu_);
  ttft_.Observe(s);
}

void GatewayMetrics::ObserveInterToken(double s) {
  std::lock_guard<std::mutex> lock(mu_);
  inter_token_.Observe(s);
}

void GatewayMetrics::ObserveStage(int shard, double wait_seconds, double compute_seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = stages_.find(shard);
  if (it == stages_.end())
    it = stages_.emplace(shard, std::make_pair(Histogram(kStageBounds), Histogram(kStageBounds))).first;
  it->second.first.Observe(wait_seconds);
  it->second.second.Observe(compute_seconds);
}

void GatewayMetrics::CountFailover() {
  std::lock_guard<std::mutex> lock(mu_);
  ++failovers_;
}

void GatewayMetrics::SessionStarted() {
  std::lock_guard<std::mutex> lock(mu_);
  ++in_flight_;
}

void GatewayMetrics::SessionEnded() {
  std::lock_guard<std::mutex> lock(mu_);
  --in_flight_;
}

int GatewayMetrics::sessions_in_flight() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_flight_;
}

MetricsTotals GatewayMetrics::Totals() const {
  std::lock_guard<std::mutex> lock(mu_);
  MetricsTotals t;
  for (const auto& [key, n] : requests_) t.requests += n;
  t.tokens_out = tokens_out_;
  t.sessions_in_flight = in_flight_;
  for (const auto& [shard, h] : stages_) t.stages[shard] = {h.second.count(), h.first.sum(), h.second.sum()};
  return t;
}

std::string GatewayMetrics::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream os;
  os << "# HELP shardswarm_requests_total HTTP requests by endpoint and status\n"
        "# TYPE shardswarm_requests_total counter\n";
  for (const auto& [key, n] : requests_)
    os << "shardswarm_requests_total{endpoint=\"" << key.first << "\",status=\"" << key.second << "\"} " << n
       << "\n";
  os << "# HELP shardswarm_prompt_tokens_total Prompt tokens processed\n"
        "# TYPE shardswarm_prompt_tokens_total counter\nshardswarm_prompt_tokens_total "
     << tokens_in_ << "\n";
  os << "# HELP shardswarm_completion_tokens_total Tokens generated\n"
        "# TYPE shardswarm_completion_tokens_total counter\nshardswarm_completion_tokens_total "
     << tokens_out_ << "\n";
  os << ttft_.Render("shardswarm_time_to_first_token_seconds", "From request to the first generated token");
  os << inter_token_.Render("shardswarm_inter_token_seconds", "Between consecutive generated tokens");
  os << Header("shardswarm_stage_wait_seconds", "histogram",
               "Time a step waited in a stage's queue before its batch ran, by shard");
  for (const auto& [shard, h] : stages_)
    os << h.first.Series("shardswarm_stage_wait_seconds", "shard=\"" + std::to_string(shard) + "\"");
  os << Header("shardswarm_stage_compute_seconds", "histogram",
               "Time a stage's batch took to run its layers, by shard");
  for (const auto& [shard, h] : stages_)
    os << h.second.Series("shardswarm_stage_compute_seconds", "shard=\"" + std::to_string(shard) + "\"");
  os << Header("shardswarm_failovers_total", "counter",
               "Generations moved to another route after a node of theirs failed")
     << "shardswarm_failovers_total " << failovers_ << "\n";
  os << Header("shardswarm_sessions_in_flight", "gauge", "Generations running now")
     << "shardswarm_sessions_in_flight " << in_flight_ << "\n";
  return os.str();
}

}  // namespace ss::gateway
