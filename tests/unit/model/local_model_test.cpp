// LocalModel on a generated model with a context longer than one batch: the
// prompt goes in 512-row chunks and the tokens are the ones the same pipeline
// and sampler driven by hand give. (This random model never repeats a token
// in these steps, so it cannot tell a token accepted twice from once.)
#include "model/local_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "model/test_model.h"
#include "testing.h"

namespace ss::model {
namespace {

std::unique_ptr<engine::Pipeline> OpenTestModel(const std::string& path) {
  engine::StageOptions so;
  so.n_threads = 1;
  so.kv_type = engine::KvType::kF32;
  auto p = engine::Pipeline::Open(path, so);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.ok() ? std::move(p).value() : nullptr;
}

TEST(LocalModel, ChunksLongPromptsAndAcceptsEachTokenOnce) {
  ss::testing::TempDir dir;
  TestModelSpec spec;
  spec.n_vocab = 400;
  spec.n_embd = 64;
  spec.n_layer = 2;
  spec.n_head = 4;
  spec.n_head_kv = 2;
  spec.n_ff = 128;
  spec.n_ctx = 1200;
  spec.type = gguf::TensorType::F32;
  const std::string path = dir / "m.gguf";
  ASSERT_TRUE(WriteTestModel(spec, path).ok());
  auto mine = OpenTestModel(path), theirs = OpenTestModel(path);
  ASSERT_TRUE(mine && theirs);

  std::vector<int32_t> prompt;
  for (int i = 0; i < 700; ++i) prompt.push_back(3 + (i * 37) % 350);
  SamplingParams params;
  params.temperature = 0;
  params.frequency_penalty = 2.0f;
  params.penalty_last_n = 800;
  auto s1 = Sampler::Create(params), s2 = Sampler::Create(params);
  ASSERT_TRUE(s1.ok() && s2.ok());
  LocalModel local(*mine, std::move(s1).value());

  // By hand: the whole prompt as one batch, the history kept explicitly.
  std::vector<engine::BatchRow> rows;
  for (int i = 0; i < 700; ++i) rows.push_back({7, i, prompt[i], i == 699});
  std::vector<float> logits;
  ASSERT_TRUE(theirs->Forward(rows, &logits).ok());
  for (int32_t t : prompt) s2->Accept(t);

  auto token = local.Next(0, prompt);
  ASSERT_TRUE(token.ok()) << token.status().message();
  ASSERT_EQ(local.last_logits().size(), logits.size());
  double max = 0;
  for (size_t i = 0; i < logits.size(); ++i)
    max = std::max(max, std::fabs(static_cast<double>(local.last_logits()[i]) - logits[i]));
  EXPECT_LE(max, 1e-4);

  for (int pos = 700; pos < 712; ++pos) {
    const int32_t want = s2->Sample(logits.data(), spec.n_vocab);
    s2->Accept(want);
    ASSERT_EQ(*token, want) << "position " << pos;
    std::vector<engine::BatchRow> row{{7, pos, want, true}};
    ASSERT_TRUE(theirs->Forward(row, &logits).ok());
    token = local.Next(pos, std::span<const int32_t>(&want, 1));
    ASSERT_TRUE(token.ok()) << token.status().message();
  }
}

}  // namespace
}  // namespace ss::model
