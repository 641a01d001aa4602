// Stage on the tiny reference model: what Open refuses, and the batching
// rules of Forward (many sessions in one batch, rewinds, bad rows, stages
// that need hidden states).
#include "engine/stage.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gguf/writer.h"
#include "testing.h"
#include "util/file_io.h"

namespace ss::engine {
namespace {

using ss::testing::ModelPath;
using ss::testing::TempDir;

bool Contains(const std::string& s, const std::string& f) { return s.find(f) != std::string::npos; }

const std::string kModel = "tiny-spm-q8_0.gguf";  // 8 layers, n_embd 256, vocab 32000

// Positions a session holds in the stage's cache; -1 when it has no session.
int Held(const Stage& stage, uint64_t session) {
  const KvCache::Session* s = const_cast<KvCache&>(stage.kv_cache()).Find(session);
  return s ? s->length : -1;
}

StageOptions Options(int threads = 2) {
  StageOptions o;
  o.n_threads = threads;
  return o;
}

std::unique_ptr<Stage> OpenStage(const StageOptions& o = Options(), const std::string& path = "") {
  auto s = Stage::Open(path.empty() ? ModelPath(kModel) : path, o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? std::move(s.value()) : nullptr;
}

// Logits of one row: `logits` holds rows with logits in batch order.
std::vector<float> Row(const std::vector<float>& logits, int n_vocab, size_t i) {
  return std::vector<float>(logits.begin() + static_cast<long>(i) * n_vocab,
                            logits.begin() + static_cast<long>(i + 1) * n_vocab);
}

// Two prompts (ids of the SentencePiece vocabulary, BOS first).
const std::vector<int32_t> kPromptA = {1, 9038, 2501, 263, 931, 29892, 297, 263};
const std::vector<int32_t> kPromptB = {1, 450, 7483, 310, 3444};

// -c beyond the model's context is refused with the maximum in the message
// (it used to be capped silently); the model's own length and less are fine.
TEST(StageOpen, RefusesAContextBeyondTheModelsNamingTheMaximum) {
  StageOptions o = Options();
  o.n_ctx = 513;  // the tiny model's context is 512
  auto s = Stage::Open(ModelPath(kModel), o);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.status().message(), "beyond the model's maximum of 512")) << s.status().message();
  o.n_ctx = -1;
  EXPECT_FALSE(Stage::Open(ModelPath(kModel), o).ok());
  for (int n_ctx : {0, 512, 100}) {
    o.n_ctx = n_ctx;
    auto stage = OpenStage(o);
    ASSERT_TRUE(stage);
    EXPECT_EQ(stage->n_ctx(), n_ctx == 0 ? 512 : n_ctx);
  }
}

// Threads default to the usable cores and are capped to them: -t 1000 used
// to start 1000 threads (a 4-token generation 160x slower) and -t 100000 hung.
TEST(StageOpen, ThreadsDefaultToTheUsableCoresAndAreCappedToThem) {
  const int cores = ThreadPool::UsableCores();
  ASSERT_GE(cores, 1);
  for (int threads : {0, 1, cores, 1000, 100000}) {
    auto stage = OpenStage(Options(threads));
    ASSERT_TRUE(stage);
    EXPECT_EQ(stage->n_threads(), threads == 1 ? 1 : cores) << "threads " << threads;
    std::vector<float> out;
    EXPECT_TRUE(stage->Forward({{1, 0, 1, true}}, nullptr, &out).ok());
  }
  EXPECT_FALSE(Stage::Open(ModelPath(kModel), Options(-1)).ok());
}

TEST(StageOpen, RefusesUnsupportedTensorTypesNamingTheTensor) {
  TempDir dir;
  for (gguf::TensorType type : {gguf::TensorType::Q5_K, gguf::TensorType::IQ2_XS}) {
    const std::string path = dir / "model.gguf";
    ASSERT_NO_FATAL_FAILURE(
        ss::testing::RewriteModel(ModelPath(kModel), path, {}, "blk.3.ffn_up.weight", type));
    auto s = Stage::Open(path, Options());
    ASSERT_FALSE(s.ok());
    const std::string& m = s.status().message();
    EXPECT_TRUE(Contains(m, path + ": tensor 'blk.3.ffn_up.weight' has type " + gguf::TypeName(type) +
                                ", which the engine cannot compute"))
        << m;
    // A stage whose layers do not include the tensor does not need it.
    StageOptions first = Options();
    first.layer_end = 3;
    auto ok = Stage::Open(path, first);
    EXPECT_TRUE(ok.ok()) << ok.status().message();
  }
}

TEST(StageOpen, RefusesOtherArchitecturesNamingTheKey) {
  TempDir dir;
  const std::string path = dir / "gpt2.gguf";
  ASSERT_NO_FATAL_FAILURE(ss::testing::RewriteModel(ModelPath(kModel), path,
                                                    {{"general.architecture", gguf::Value::String("gpt2")}}));
  auto s = Stage::Open(path, Options());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(),
            path + ": 'general.architecture' is 'gpt2'; only 'llama' models are supported");
}

TEST(StageOpen, RefusesLayerRangesOutsideTheFile) {
  StageOptions o = Options();
  o.layer_start = 4;
  o.layer_end = 9;
  auto s = Stage::Open(ModelPath(kModel), o);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.status().message(), "layers [4, 9) are not inside the file's layers [0, 8)"))
      << s.status().message();
}

// Two sessions' rows interleaved in one batch give bit for bit the logits each
// session gets alone, for the prompt and for a decode step.
TEST(StageForward, InterleavedSessionsMatchEachSessionAlone) {
  auto alone = OpenStage();
  auto mixed = OpenStage();
  ASSERT_TRUE(alone && mixed);
  const int V = alone->config().n_vocab;

  auto run_alone = [&](uint64_t session, const std::vector<int32_t>& tokens, int start) {
    std::vector<BatchRow> rows;
    for (size_t i = 0; i < tokens.size(); ++i)
      rows.push_back({session, start + static_cast<int>(i), tokens[i], true});
    std::vector<float> out;
    Status st = alone->Forward(rows, nullptr, &out);
    EXPECT_TRUE(st.ok()) << st.message();
    EXPECT_EQ(out.size(), tokens.size() * static_cast<size_t>(V));
    return out;
  };
  const std::vector<float> a = run_alone(1, kPromptA, 0), b = run_alone(2, kPromptB, 0);

  // A0 B0 A1 B1 ... then the rest of A.
  std::vector<BatchRow> rows;
  std::vector<std::pair<char, size_t>> order;
  for (size_t i = 0; i < kPromptA.size(); ++i) {
    rows.push_back({10, static_cast<int>(i), kPromptA[i], true});
    order.push_back({'a', i});
    if (i < kPromptB.size()) {
      rows.push_back({20, static_cast<int>(i), kPromptB[i], true});
      order.push_back({'b', i});
    }
  }
  std::vector<float> out;
  Status st = mixed->Forward(rows, nullptr, &out);
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_EQ(out.size(), rows.size() * static_cast<size_t>(V));
  for (size_t r = 0; r < order.size(); ++r) {
    const auto& [which, i] = order[r];
    EXPECT_EQ(Row(out, V, r), Row(which == 'a' ? a : b, V, i)) << "row " << r << " (" << which << i << ")";
  }
  EXPECT_EQ(mixed->kv_cache().sessions(), 2u);

  // One decode step for both sessions in one batch, B first this time.
  const std::vector<float> a2 = run_alone(1, {3444}, static_cast<int>(kPromptA.size()));
  const std::vector<float> b2 = run_alone(2, {338}, static_cast<int>(kPromptB.size()));
  std::vector<BatchRow> step = {{20, static_cast<int>(kPromptB.size()), 338, true},
                                {10, static_cast<int>(kPromptA.size()), 3444, true}};
  st = mixed->Forward(step, nullptr, &out);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(Row(out, V, 0), b2);
  EXPECT_EQ(Row(out, V, 1), a2);

  // Logits only where asked: one row of two.
  step = {{20, static_cast<int>(kPromptB.size()) + 1, 29871, false},
          {10, static_cast<int>(kPromptA.size()) + 1, 29871, true}};
  st = mixed->Forward(step, nullptr, &out);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_EQ(out.size(), static_cast<size_t>(V));
  EXPECT_EQ(out, run_alone(1, {29871}, static_cast<int>(kPromptA.size()) + 1));
}

// Re-sending from an earlier position (a retry after failover) recomputes the
// same logits: what the session held beyond that position is forgotten.
TEST(StageForward, RewindReproducesEarlierLogits) {
  auto stage = OpenStage();
  ASSERT_TRUE(stage);
  const int V = stage->config().n_vocab;
  std::vector<BatchRow> prompt;
  for (size_t i = 0; i < kPromptA.size(); ++i) prompt.push_back({7, static_cast<int>(i), kPromptA[i], true});
  std::vector<float> first;
  ASSERT_TRUE(stage->Forward(prompt, nullptr, &first).ok());
  const int n = static_cast<int>(kPromptA.size());
  std::vector<float> step1;
  ASSERT_TRUE(stage->Forward({{7, n, 3444, true}}, nullptr, &step1).ok());
  EXPECT_EQ(Held(*stage, 7), n + 1);

  // Whole prompt again from position 0.
  std::vector<float> again;
  ASSERT_TRUE(stage->Forward(prompt, nullptr, &again).ok());
  EXPECT_EQ(again, first);
  EXPECT_EQ(Held(*stage, 7), n);

  // From the middle, after a different continuation was computed there.
  std::vector<float> other;
  ASSERT_TRUE(stage->Forward({{7, 5, 450, true}, {7, 6, 7483, true}}, nullptr, &other).ok());
  EXPECT_NE(Row(other, V, 1), Row(first, V, 6));
  EXPECT_EQ(Held(*stage, 7), 7);
  std::vector<BatchRow> tail(prompt.begin() + 5, prompt.end());
  ASSERT_TRUE(stage->Forward(tail, nullptr, &again).ok());
  for (size_t i = 0; i < tail.size(); ++i) EXPECT_EQ(Row(again, V, i), Row(first, V, 5 + i)) << i;
  std::vector<float> step1_again;
  ASSERT_TRUE(stage->Forward({{7, n, 3444, true}}, nullptr, &step1_again).ok());
  EXPECT_EQ(step1_again, step1);
}

TEST(StageForward, RefusesBadRowsAndKeepsTheSession) {
  auto stage = OpenStage();
  ASSERT_TRUE(stage);
  const int V = stage->config().n_vocab;
  std::vector<float> out;
  ASSERT_TRUE(stage->Forward({{1, 0, 1, false}, {1, 1, 450, true}}, nullptr, &out).ok());
  const std::vector<float> before = out;

  Status st = stage->Forward({{1, 2, V, true}}, nullptr, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "token id 32000 is outside the vocabulary of 32000");
  st = stage->Forward({{1, 2, -1, true}}, nullptr, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "token id -1 is outside the vocabulary of 32000");

  st = stage->Forward({{1, 3, 450, true}}, nullptr, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "session 1: position 3 skips ahead of the 2 positions it holds");
  st = stage->Forward({{1, 2, 450, true}, {1, 4, 450, true}}, nullptr, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "session 1: position 4 does not follow position 2 in the batch");
  st = stage->Forward({}, nullptr, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "empty batch");
  st = stage->Forward({{2, 0, 1, true}, {2, 1, 450, true}, {2, 2, 7483, true}, {2, 3, 310, true}}, nullptr,
                      &out);  // other sessions are unaffected...
  ASSERT_TRUE(st.ok()) << st.message();
  st = stage->Forward({{3, 510, 1, true}, {3, 511, 1, true}, {3, 512, 1, true}}, nullptr, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "positions 510..512 exceed the context length of 512 tokens");

  // ...and session 1 still continues where it was.
  EXPECT_EQ(Held(*stage, 1), 2);
  EXPECT_EQ(Held(*stage, 3), -1);  // never created
  ASSERT_TRUE(stage->Forward({{1, 0, 1, false}, {1, 1, 450, true}}, nullptr, &out).ok());
  EXPECT_EQ(out, before);

  stage->CloseSession(1);
  stage->CloseSession(2);
  EXPECT_EQ(stage->kv_cache().sessions(), 0u);
  EXPECT_EQ(stage->kv_cache().bytes_used(), 0u);
}

TEST(StageForward, CacheCapIsReportedNotFatal) {
  StageOptions o = Options();
  o.n_ctx = 64;
  // 8 layers × kv_dim 128 × F16 × (K, V): 4 KiB per position; room for one full session.
  o.kv_max_bytes = 64ull * 8 * 128 * 2 * 2;
  auto stage = OpenStage(o);
  ASSERT_TRUE(stage);
  EXPECT_EQ(stage->n_ctx(), 64);
  std::vector<float> out;
  ASSERT_TRUE(stage->Forward({{1, 0, 1, true}}, nullptr, &out).ok());
  Status st = stage->Forward({{2, 0, 1, true}}, nullptr, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(Contains(st.message(), "KV cache limit reached: session 2 needs 1 positions")) << st.message();
  stage->CloseSession(1);
  st = stage->Forward({{2, 0, 1, true}}, nullptr, &out);
  EXPECT_TRUE(st.ok()) << st.message();
}

// A stage that does not start at layer 0 takes hidden states, not tokens;
// chained after the first stage it gives the whole model's logits.
TEST(StageForward, MiddleAndLastStagesNeedHiddenStates) {
  StageOptions head = Options(), middle = Options(), tail = Options();
  head.layer_end = 3;
  middle.layer_start = 3;
  middle.layer_end = 6;
  tail.layer_start = 6;
  auto s0 = OpenStage(head), s1 = OpenStage(middle), s2 = OpenStage(tail), whole = OpenStage();
  ASSERT_TRUE(s0 && s1 && s2 && whole);
  EXPECT_TRUE(s0->is_first() && !s0->is_last());
  EXPECT_TRUE(!s1->is_first() && !s1->is_last());
  EXPECT_EQ(s1->layer_start(), 3);
  EXPECT_EQ(s1->layer_end(), 6);

  std::vector<BatchRow> rows;
  for (size_t i = 0; i < kPromptB.size(); ++i)
    rows.push_back({1, static_cast<int>(i), kPromptB[i], i + 1 == kPromptB.size()});
  std::vector<float> h0, h1, logits, expect;
  Status st = s1->Forward(rows, nullptr, &h1);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "this stage starts at layer 3 and needs hidden states");
  st = s2->Forward(rows, nullptr, &logits);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "this stage starts at layer 6 and needs hidden states");
  // The refused batch computed nothing: the session still starts at position 0.

  ASSERT_TRUE(s0->Forward(rows, nullptr, &h0).ok());
  EXPECT_EQ(h0.size(), rows.size() * 256);
  ASSERT_TRUE(s1->Forward(rows, h0.data(), &h1).ok());
  EXPECT_EQ(h1.size(), rows.size() * 256);
  ASSERT_TRUE(s2->Forward(rows, h1.data(), &logits).ok());
  ASSERT_TRUE(whole->Forward(rows, nullptr, &expect).ok());
  EXPECT_EQ(expect.size(), static_cast<size_t>(whole->config().n_vocab));
  EXPECT_EQ(logits, expect);
}

}  // namespace
}  // namespace ss::engine
