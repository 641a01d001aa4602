#pragma once
// Token sampling with llama.cpp's default chain and semantics: repetition
// penalties over a window of recent tokens, then top-k, top-p, min-p (all on
// temperature-1 probabilities, as in llama.cpp), then temperature, then a
// seeded draw. Temperature 0 is greedy: the highest logit after penalties,
// lowest id on ties.
//
// The draw uses std::mt19937 and our own uniform and cumulative-search code,
// so a seed gives the same tokens with every compiler and standard library
// (but not the same as llama.cpp, whose draw uses std::discrete_distribution).

#include <cstdint>
#include <deque>
#include <random>
#include <vector>

#include "util/status.h"

namespace ss::model {

struct SamplingParams {
  float temperature = 0.8f;  // >= 0; 0 means greedy
  int32_t top_k = 40;        // >= 0; 0 keeps every token
  float top_p = 0.95f;       // (0, 1]; 1 keeps every token
  float min_p = 0.05f;       // [0, 1]; 0 keeps every token
  // Penalties for tokens among the last `penalty_last_n` accepted ones (0: off):
  // logits > 0 are divided by repeat_penalty, others multiplied; then
  // count * frequency_penalty + presence_penalty is subtracted.
  int32_t penalty_last_n = 64;
  float repeat_penalty = 1.0f;  // > 0; 1 is off
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;
  uint32_t seed = 0;
  // Random draws to skip at the start: a generation resumed on other nodes
  // after N sampled tokens (failover) continues the same random sequence.
  uint32_t skip_draws = 0;  // <= kMaxSkipDraws
};

inline constexpr uint32_t kMaxSkipDraws = 1u << 24;

// Ok, or what is wrong with the parameters.
Status ValidateSamplingParams(const SamplingParams& params);

class Sampler {
 public:
  static Result<Sampler> Create(const SamplingParams& params);

  // Picks a token from `n_vocab` logits (> 0). NaN logits never win.
  int32_t Sample(const float* logits, int n_vocab);
  // Records a token of the sequence (prompt or generated) for the penalties.
  void Accept(int32_t token);
  // Forgets the accepted tokens and restarts the random sequence.
  void Reset();

  const SamplingParams& params() const { return params_; }

 private:
  struct Candidate {
    int32_t id;
    float logit;
    float p;
  };
  explicit Sampler(const SamplingParams& params) : params_(params) { Reset(); }

  std::vector<Candidate> Candidates(const float* logits, int n_vocab) const;
  void ApplyPenalties(std::vector<Candidate>& c) const;
  static int32_t Argmax(const std::vector<Candidate>& c);
  static void SortAndSoftmax(std::vector<Candidate>& c);
  void TopK(std::vector<Candidate>& c) const;
  void TopP(std::vector<Candidate>& c) const;
  void MinP(std::vector<Candidate>& c) const;
  int32_t Draw(std::vector<Candidate>& c);
  double Uniform();

  SamplingParams params_;
  std::mt19937 rng_;
  std::deque<int32_t> recent_;
};

}  // namespace ss::model
