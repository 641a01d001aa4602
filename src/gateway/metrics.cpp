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

std::string Histogram::Render(const std::string& name, const std::string& help) const {
  std::ostringstream os;
  os << "# HELP " << name << " " << help << "\n# TYPE " << name << " histogram\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    os << name << "_bucket{le=\"" << bounds_[i] << "\"} " << cumulative << "\n";
  }
  os << name << "_bucket{le=\"+Inf\"} " << count_ << "\n";
  os << name << "_sum " << sum_ << "\n" << name << "_count " << count_ << "\n";
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
  os << "# HELP shardswarm_sessions_in_flight Generations running now\n"
        "# TYPE shardswarm_sessions_in_flight gauge\nshardswarm_sessions_in_flight "
     << in_flight_ << "\n";
  return os.str();
}

}  // namespace ss::gateway
