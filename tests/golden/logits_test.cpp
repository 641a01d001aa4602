// The engine against llama.cpp's own logits (../shared/testdata/reference).
// Tolerances (issue "Inference engine"; testdata README, "How close"):
//   F16 model: max |Δ| <= 0.06 on the last prompt logits;
//   quantized: RMS <= 0.2, and the same top-1 wherever the reference margin >= 1.0;
//   teacher forcing over the 32 greedy tokens: the same argmax at every step
//   whose recorded margin is >= 1.0 (>= 0.1 for the F16 model).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/pipeline.h"
#include "reference.h"
#include "testing.h"

namespace ss::engine {
namespace {

using ss::testing::Reference;

int Argmax(const float* x, int n) { return static_cast<int>(std::max_element(x, x + n) - x); }

float Margin(const std::vector<float>& x) {
  std::vector<float> s(x);
  std::partial_sort(s.begin(), s.begin() + 2, s.end(), std::greater<float>());
  return s[0] - s[1];
}

std::unique_ptr<Pipeline> OpenFor(const Reference& r, const std::string& path) {
  StageOptions o;
  o.n_threads = 2;
  o.kv_type = r.kv_f16 ? KvType::kF16 : KvType::kF32;
  auto p = Pipeline::Open(path, o);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.ok() ? std::move(p.value()) : nullptr;
}

std::vector<float> PromptLogits(Pipeline& p, const std::vector<int32_t>& tokens, uint64_t session = 1) {
  std::vector<BatchRow> rows;
  for (size_t i = 0; i < tokens.size(); ++i)
    rows.push_back({session, static_cast<int>(i), tokens[i], i + 1 == tokens.size()});
  std::vector<float> logits;
  Status s = p.Forward(rows, &logits);
  EXPECT_TRUE(s.ok()) << s.message();
  return logits;
}

TEST(Golden, LastPromptLogitsMatchLlamaCpp) {
  auto refs = ss::testing::LoadReferences();
  ASSERT_EQ(refs.size(), 40u);
  for (const Reference& r : refs) {
    SCOPED_TRACE(r.name);
    auto p = OpenFor(r, r.model_path);
    ASSERT_TRUE(p);
    std::vector<float> logits = PromptLogits(*p, r.prompt_tokens);
    ASSERT_EQ(logits.size(), r.last_logits.size());
    double max_diff = 0, sq = 0;
    for (size_t i = 0; i < logits.size(); ++i) {
      double d = std::fabs(static_cast<double>(logits[i]) - r.last_logits[i]);
      max_diff = std::max(max_diff, d);
      sq += d * d;
    }
    double rms = std::sqrt(sq / static_cast<double>(logits.size()));
    int n = static_cast<int>(logits.size());
    std::printf("[golden] %-32s max|d| %.4f  rms %.4f\n", r.name.c_str(), max_diff, rms);
    if (ss::testing::IsFloatModel(r)) {
      EXPECT_LE(max_diff, 0.06);
    } else {
      EXPECT_LE(rms, 0.2);
      if (Margin(r.last_logits) >= 1.0f) {
        EXPECT_EQ(Argmax(logits.data(), n), Argmax(r.last_logits.data(), n));
      }
    }
  }
}

TEST(Golden, TeacherForcedGreedyTokensMatchLlamaCpp) {
  for (const Reference& r : ss::testing::LoadReferences()) {
    SCOPED_TRACE(r.name);
    auto p = OpenFor(r, r.model_path);
    ASSERT_TRUE(p);
    std::vector<float> logits = PromptLogits(*p, r.prompt_tokens);
    const float min_margin = ss::testing::IsFloatModel(r) ? 0.1f : 1.0f;
    int n_vocab = p->config().n_vocab, checked = 0;
    int pos = static_cast<int>(r.prompt_tokens.size());
    for (size_t step = 0; step < r.greedy_tokens.size(); ++step) {
      if (r.greedy_margins[step] >= min_margin) {
        EXPECT_EQ(Argmax(logits.data(), n_vocab), r.greedy_tokens[step]) << "step " << step;
        ++checked;
      }
      std::vector<BatchRow> row{{1, pos++, r.greedy_tokens[step], true}};
      ASSERT_TRUE(p->Forward(row, &logits).ok());
    }
    EXPECT_GT(checked, 16);
  }
}

// The shards of a split, chained in one process, give bit-identical logits.
TEST(Golden, SplitShardsGiveBitIdenticalLogits) {
  for (const char* model : {"tiny-spm-q4_k_m", "tiny-bpe-f16"}) {
    Reference ref;
    for (const Reference& r : ss::testing::LoadReferences())
      if (r.name == std::string(model) + "/p3-once.kvf16") ref = r;
    auto whole = OpenFor(ref, ref.model_path);
    std::vector<float> expected = PromptLogits(*whole, ref.prompt_tokens);
    for (int n : {1, 2, 4, 8}) {
      if (n > whole->config().n_layer) continue;
      SCOPED_TRACE(std::string(model) + " in " + std::to_string(n) + " shards");
      ss::testing::TempDir dir;
      auto r = ss::testing::RunShardswarm("shard split " + ref.model_path + " -n " + std::to_string(n) +
                                          " -o " + dir.path());
      ASSERT_EQ(r.exit_code, 0) << r.output;
      auto shards = OpenFor(ref, dir.path());
      ASSERT_EQ(shards->stages().size(), static_cast<size_t>(n));
      std::vector<float> got = PromptLogits(*shards, ref.prompt_tokens);
      ASSERT_EQ(got.size(), expected.size());
      EXPECT_EQ(0, std::memcmp(got.data(), expected.data(), got.size() * sizeof(float)));
    }
  }
}

}  // namespace
}  // namespace ss::engine
