#include "model/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

namespace ss::model {
namespace {

// Highest logit first, lowest id on ties, so results never depend on sort stability.
bool Before(float logit_a, int32_t id_a, float logit_b, int32_t id_b) {
  return logit_a > logit_b || (logit_a == logit_b && id_a < id_b);
}

Status Invalid(const std::string& what) { return Status::Error("invalid sampling parameters: " + what); }

}  // namespace

Status ValidateSamplingParams(const SamplingParams& p) {
  if (!(p.temperature >= 0.0f) || std::isinf(p.temperature))
    return Invalid("temperature must be a finite number >= 0, got " + std::to_string(p.temperature));
  if (p.top_k < 0) return Invalid("top_k must be >= 0 (0 disables it), got " + std::to_string(p.top_k));
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f))
    return Invalid("top_p must be in (0, 1] (1 disables it), got " + std::to_string(p.top_p));
  if (!(p.min_p >= 0.0f && p.min_p <= 1.0f))
    return Invalid("min_p must be in [0, 1] (0 disables it), got " + std::to_string(p.min_p));
  if (p.penalty_last_n < 0)
    return Invalid("penalty_last_n must be >= 0 (0 disables penalties), got " +
                   std::to_string(p.penalty_last_n));
  if (!(p.repeat_penalty > 0.0f) || std::isinf(p.repeat_penalty))
    return Invalid("repeat_penalty must be a finite number > 0 (1 disables it), got " +
                   std::to_string(p.repeat_penalty));
  if (!std::isfinite(p.frequency_penalty)) return Invalid("frequency_penalty must be finite");
  if (!std::isfinite(p.presence_penalty)) return Invalid("presence_penalty must be finite");
  if (p.skip_draws > kMaxSkipDraws)
    return Invalid("skip_draws must be at most " + std::to_string(kMaxSkipDraws) + ", got " +
                   std::to_string(p.skip_draws));
  return Status::Ok();
}

Result<Sampler> Sampler::Create(const SamplingParams& params) {
  SS_RETURN_IF_ERROR(ValidateSamplingParams(params));
  return Sampler(params);
}

void Sampler::Accept(int32_t token) {
  if (params_.penalty_last_n == 0) return;
  recent_.push_back(token);
  while (recent_.size() > static_cast<size_t>(params_.penalty_last_n)) recent_.pop_front();
}

void Sampler::Reset() {
  recent_.clear();
  rng_.seed(params_.seed);
  rng_.discard(2 * static_cast<uint64_t>(params_.skip_draws));  // Uniform() takes two per draw
}

int32_t Sampler::Sample(const float* logits, int n_vocab) {
  std::vector<Candidate> c = Candidates(logits, n_vocab);
  ApplyPenalties(c);
  if (params_.temperature == 0.0f) return Argmax(c);
  TopK(c);
  TopP(c);
  MinP(c);
  for (Candidate& x : c) x.logit /= params_.temperature;
  return Draw(c);
}

std::vector<Sampler::Candidate> Sampler::Candidates(const float* logits, int n_vocab) const {
  std::vector<Candidate> c(static_cast<size_t>(std::max(n_vocab, 0)));
  for (int i = 0; i < n_vocab; ++i) {
    const float l = logits[i];
    c[i] = {i, std::isnan(l) ? -std::numeric_limits<float>::infinity() : l, 0.0f};
  }
  return c;
}

// llama.cpp's penalties sampler: the repeat penalty scales a repeated token's
// logit towards "less likely" (divide if positive, multiply if not), then
// frequency and presence penalties subtract.
void Sampler::ApplyPenalties(std::vector<Candidate>& c) const {
  if (recent_.empty()) return;
  if (params_.repeat_penalty == 1.0f && params_.frequency_penalty == 0.0f && params_.presence_penalty == 0.0f)
    return;
  std::unordered_map<int32_t, int> counts;
  for (int32_t t : recent_) ++counts[t];
  for (const auto& [token, count] : counts) {
    if (token < 0 || token >= static_cast<int32_t>(c.size())) continue;
    float& logit = c[token].logit;  // candidates are still indexed by id here
    logit = logit <= 0.0f ? logit * params_.repeat_penalty : logit / params_.repeat_penalty;
    logit -= static_cast<float>(count) * params_.frequency_penalty + params_.presence_penalty;
  }
}

int32_t Sampler::Argmax(const std::vector<Candidate>& c) {
  if (c.empty()) return 0;
  const Candidate* best = &c[0];
  for (const Candidate& x : c)
    if (Before(x.logit, x.id, best->logit, best->id)) best = &x;
  return best->id;
}

void Sampler::SortAndSoftmax(std::vector<Candidate>& c) {
  std::sort(c.begin(), c.end(),
            [](const Candidate& a, const Candidate& b) { return Before(a.logit, a.id, b.logit, b.id); });
  // All -inf (everything masked): fall back to equal odds instead of NaNs.
  const float max = std::isinf(c.front().logit) && c.front().logit < 0 ? 0.0f : c.front().logit;
  float sum = 0.0f;
  for (Candidate& x : c) sum += x.p = std::exp(x.logit - max);
  for (Candidate& x : c) x.p = sum > 0.0f ? x.p / sum : 1.0f / static_cast<float>(c.size());
}

void Sampler::TopK(std::vector<Candidate>& c) const {
  if (params_.top_k <= 0 || static_cast<size_t>(params_.top_k) >= c.size()) return;
  const auto k = static_cast<ptrdiff_t>(params_.top_k);
  std::partial_sort(c.begin(), c.begin() + k, c.end(), [](const Candidate& a, const Candidate& b) {
    return Before(a.logit, a.id, b.logit, b.id);
  });
  c.resize(static_cast<size_t>(k));
}

// Keeps the smallest head of the distribution whose probability reaches top_p.
void Sampler::TopP(std::vector<Candidate>& c) const {
  if (params_.top_p >= 1.0f || c.empty()) return;
  SortAndSoftmax(c);
  float cum = 0.0f;
  for (size_t i = 0; i < c.size(); ++i) {
    cum += c[i].p;
    if (cum >= params_.top_p) {
      c.resize(i + 1);
      return;
    }
  }
}

// Keeps tokens whose probability is at least min_p times the best one's,
// compared in logits as llama.cpp does (logit >= max + log(min_p)).
void Sampler::MinP(std::vector<Candidate>& c) const {
  if (params_.min_p <= 0.0f || c.empty()) return;
  float max = c[0].logit;
  for (const Candidate& x : c) max = std::max(max, x.logit);
  const float threshold = max + std::log(params_.min_p);
  std::erase_if(c, [&](const Candidate& x) { return x.logit < threshold; });
}

int32_t Sampler::Draw(std::vector<Candidate>& c) {
  if (c.empty()) return 0;
  SortAndSoftmax(c);
  double total = 0.0;
  for (const Candidate& x : c) total += x.p;
  const double target = Uniform() * total;
  double cum = 0.0;
  for (const Candidate& x : c) {
    cum += x.p;
    if (target < cum) return x.id;
  }
  return c.back().id;  // rounding left the target at the very end
}

// A double in [0, 1) from two 32-bit draws (53 random bits), the same on every platform.
double Sampler::Uniform() {
  const uint64_t a = rng_() >> 5, b = rng_() >> 6;
  return (static_cast<double>(a) * 67108864.0 + static_cast<double>(b)) / 9007199254740992.0;
}

}  // namespace ss::model
