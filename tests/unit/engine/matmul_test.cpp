#include "engine/matmul.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "engine/quants.h"
#include "engine/vec_dot.h"
#include "engine_test_util.h"
#include "util/thread_pool.h"

namespace ss::engine {
namespace {

using gguf::TensorType;

const TensorType kTypes[] = {TensorType::F32,  TensorType::F16,  TensorType::BF16, TensorType::Q8_0,
                             TensorType::Q4_0, TensorType::Q4_K, TensorType::Q6_K};

struct Case {
  int64_t n_in_blocks;
  int64_t n_out;
  int64_t n_tokens;
};

// Shapes with odd block counts, row counts not divisible by tiles or threads,
// and token counts around the tile widths.
const Case kCases[] = {{1, 1, 1}, {3, 5, 1}, {2, 17, 3}, {5, 33, 7}, {4, 64, 8}, {3, 19, 13}, {2, 40, 33}};

// Reference: float64 over dequantized weights and dequantized activations
// (the activations quantized exactly as the engine does).
std::vector<double> Naive(const TypeTraits& tt, const WeightView& w, const std::vector<float>& x,
                          int64_t n_tokens, std::vector<double>* magnitude) {
  const size_t ws = RowBytes(w.type, w.n_in), as = RowBytes(tt.act_type, w.n_in);
  std::vector<double> y(n_tokens * w.n_out);
  magnitude->assign(y.size(), 0.0);
  std::vector<uint8_t> a(as);
  for (int64_t t = 0; t < n_tokens; ++t) {
    GetTypeTraits(w.type, Isa::kScalar)->from_float(x.data() + t * w.n_in, a.data(), w.n_in);
    const std::vector<float> af = testutil::Dequantize(tt.act_type, a.data(), w.n_in);
    for (int64_t o = 0; o < w.n_out; ++o) {
      const std::vector<float> wf =
          testutil::Dequantize(w.type, static_cast<const uint8_t*>(w.data) + o * ws, w.n_in);
      double s = 0, m = 0;
      for (int64_t i = 0; i < w.n_in; ++i) {
        s += static_cast<double>(wf[i]) * af[i];
        m += std::fabs(static_cast<double>(wf[i]) * af[i]);
      }
      y[t * w.n_out + o] = s;
      (*magnitude)[t * w.n_out + o] = m;
    }
  }
  return y;
}

TEST(MatMulTest, MatchesFloat64OnDequantizedOperands) {
  std::mt19937 rng(20);
  ThreadPool pool(2);
  for (int isa = 0; isa <= static_cast<int>(DetectedIsa()); ++isa) {
    SetActiveIsa(static_cast<Isa>(isa));
    for (TensorType t : kTypes) {
      const TypeTraits& tt = *GetTypeTraits(t);
      for (const Case& c : kCases) {
        const int64_t n_in = tt.block_size == 1 ? 13 * c.n_in_blocks + 3 : tt.block_size * c.n_in_blocks;
        const std::vector<uint8_t> wdata = testutil::RandomWeights(rng, t, n_in, c.n_out);
        const WeightView w{t, wdata.data(), n_in, c.n_out};
        const std::vector<float> x = testutil::RandomFloats(rng, n_in * c.n_tokens);
        std::vector<float> y(c.n_tokens * c.n_out, NAN);
        ASSERT_TRUE(MatMul(w, x.data(), c.n_tokens, y.data(), &pool).ok());
        std::vector<double> mag;
        const std::vector<double> want = Naive(tt, w, x, c.n_tokens, &mag);
        for (size_t i = 0; i < y.size(); ++i) {
          ASSERT_NEAR(y[i], want[i], 1e-5 * mag[i] + 1e-6)
              << IsaName(static_cast<Isa>(isa)) << " " << gguf::TypeName(t) << " n_in=" << n_in
              << " n_out=" << c.n_out << " tokens=" << c.n_tokens << " i=" << i;
        }
      }
    }
  }
  SetActiveIsa(DetectedIsa());
}

TEST(MatMulTest, OneAndTwoThreadsAndBatchingGiveIdenticalBits) {
  std::mt19937 rng(21);
  ThreadPool one(1), two(2);
  for (TensorType t : kTypes) {
    const TypeTraits& tt = *GetTypeTraits(t);
    const int64_t n_in = tt.block_size == 1 ? 200 : 2 * tt.block_size;
    const int64_t n_out = 37, n_tokens = 11;
    const std::vector<uint8_t> wdata = testutil::RandomWeights(rng, t, n_in, n_out);
    const WeightView w{t, wdata.data(), n_in, n_out};
    const std::vector<float> x = testutil::RandomFloats(rng, n_in * n_tokens);
    std::vector<float> y1(n_tokens * n_out), y2(n_tokens * n_out), y3(n_tokens * n_out);
    std::vector<uint8_t> scratch;
    ASSERT_TRUE(MatMul(w, x.data(), n_tokens, y1.data(), &one, &scratch).ok());
    ASSERT_TRUE(MatMul(w, x.data(), n_tokens, y2.data(), &two, &scratch).ok());
    // Token by token: each output must not depend on the rest of the batch.
    for (int64_t tok = 0; tok < n_tokens; ++tok) {
      ASSERT_TRUE(MatMul(w, x.data() + tok * n_in, 1, y3.data() + tok * n_out, &two).ok());
    }
    EXPECT_EQ(std::memcmp(y1.data(), y2.data(), y1.size() * 4), 0) << gguf::TypeName(t);
    EXPECT_EQ(std::memcmp(y1.data(), y3.data(), y1.size() * 4), 0) << gguf::TypeName(t);
  }
}

// A matrix interleaved for its kernel (two panels, the second narrower; 40
// rows, so groups of 16 leave one of 8) gives the same products as its plain
// rows, split over threads and batched alike; interleaved for another
// kernel's layout it is refused, not misread.
TEST(MatMulTest, InterleavedMatricesMatchTheirRowsOnEveryIsa) {
  std::mt19937 rng(22);
  ThreadPool one(1), two(2);
  for (TensorType t : {TensorType::Q8_0, TensorType::Q4_0, TensorType::Q4_K, TensorType::Q6_K}) {
    const int64_t n_in = kPanelElements + 2 * GetTypeTraits(t)->block_size, n_out = 40, n_tokens = 9;
    const std::vector<uint8_t> rows = testutil::RandomWeights(rng, t, n_in, n_out);
    const WeightView plain{t, rows.data(), n_in, n_out};
    const std::vector<float> x = testutil::RandomFloats(rng, n_in * n_tokens);
    for (int isa = 0; isa <= static_cast<int>(DetectedIsa()); ++isa) {
      SetActiveIsa(static_cast<Isa>(isa));
      const int group_rows = GetTypeTraits(t)->group_rows;
      std::vector<uint8_t> inter = rows;
      InterleaveMatrix(t, inter.data(), n_in, n_out, group_rows);
      const WeightView w{t, inter.data(), n_in, n_out, group_rows};
      const WeightView other{t, inter.data(), n_in, n_out, 3 * kInterleave - group_rows};  // 8 <-> 16
      std::vector<float> want(n_tokens * n_out), y1(want.size()), y2(want.size()), y3(want.size());
      ASSERT_TRUE(MatMul(plain, x.data(), n_tokens, want.data(), &two).ok());
      ASSERT_TRUE(MatMul(w, x.data(), n_tokens, y1.data(), &one).ok());
      ASSERT_TRUE(MatMul(w, x.data(), n_tokens, y2.data(), &two).ok());
      for (int64_t tok = 0; tok < n_tokens; ++tok)
        ASSERT_TRUE(MatMul(w, x.data() + tok * n_in, 1, y3.data() + tok * n_out, &two).ok());
      for (size_t i = 0; i < want.size(); ++i)
        ASSERT_NEAR(y1[i], want[i], 1e-4f * (1 + std::fabs(want[i]))) << gguf::TypeName(t) << " " << i;
      const char* name = IsaName(static_cast<Isa>(isa));
      EXPECT_EQ(std::memcmp(y1.data(), y2.data(), y1.size() * 4), 0) << name << " " << gguf::TypeName(t);
      EXPECT_EQ(std::memcmp(y1.data(), y3.data(), y1.size() * 4), 0) << name << " " << gguf::TypeName(t);
      const Status refused = MatMul(other, x.data(), 1, y1.data(), &one);
      EXPECT_FALSE(refused.ok()) << name << " " << gguf::TypeName(t);
      EXPECT_NE(refused.message().find("interleaved by " + std::to_string(other.group_rows) + " rows"),
                std::string::npos)
          << refused.message();
    }
  }
  SetActiveIsa(DetectedIsa());
}

// Several products of one input in one pass (a Q4_K_M layer's q, k and v:
// two activation formats, interleaved and plain weights; the plain Q6_K first,
// so the interleaved Q4_K adds the terms of a format it did not create) give
// each the bits of its own MatMul, on one thread and two, batched or not.
TEST(MatMulTest, MatMulsGiveEachProductTheBitsOfItsOwnMatMul) {
  std::mt19937 rng(23);
  ThreadPool one(1), two(2);
  const int64_t n_in = 2 * kQK_K, n_tokens = 9;
  const TensorType types[] = {TensorType::Q6_K, TensorType::Q4_K, TensorType::Q8_0, TensorType::F16};
  const int64_t n_outs[] = {19, 48, 16, 7};
  std::vector<std::vector<uint8_t>> rows, data(4);
  for (size_t j = 0; j < 4; ++j) rows.push_back(testutil::RandomWeights(rng, types[j], n_in, n_outs[j]));
  const std::vector<float> x = testutil::RandomFloats(rng, n_in * n_tokens);
  std::vector<MatMulOut> outs;  // interleaved as the ISA's kernels read them (the last: the detected one)
  for (int isa = 0; isa <= static_cast<int>(DetectedIsa()); ++isa) {
    SetActiveIsa(static_cast<Isa>(isa));
    outs.clear();
    for (size_t j = 0; j < 4; ++j) {
      data[j] = rows[j];
      const int group_rows =
          CanInterleave(types[j]) && n_outs[j] % kInterleave == 0 ? GetTypeTraits(types[j])->group_rows : 0;
      if (group_rows != 0) InterleaveMatrix(types[j], data[j].data(), n_in, n_outs[j], group_rows);
      outs.push_back({{types[j], data[j].data(), n_in, n_outs[j], group_rows}, nullptr});
    }
    for (ThreadPool* pool : {&one, &two}) {
      for (int64_t tokens : {int64_t{1}, n_tokens}) {
        std::vector<std::vector<float>> want, got;
        for (const MatMulOut& o : outs) {
          want.emplace_back(tokens * o.w.n_out, NAN);
          got.emplace_back(tokens * o.w.n_out, NAN);
          ASSERT_TRUE(MatMul(o.w, x.data(), tokens, want.back().data(), pool).ok());
        }
        for (size_t j = 0; j < outs.size(); ++j) outs[j].y = got[j].data();
        std::vector<uint8_t> scratch;
        ASSERT_TRUE(MatMuls(outs, x.data(), tokens, pool, &scratch).ok());
        for (size_t j = 0; j < outs.size(); ++j)
          EXPECT_EQ(std::memcmp(want[j].data(), got[j].data(), want[j].size() * 4), 0)
              << IsaName(static_cast<Isa>(isa)) << " " << gguf::TypeName(types[j]) << " threads "
              << pool->size() << " tokens " << tokens;
      }
    }
  }
  SetActiveIsa(DetectedIsa());
  // Products of one input must agree on its width.
  const MatMulOut mixed[] = {outs[0], {{TensorType::F16, data[3].data(), n_in / 2, 7}, nullptr}};
  const Status s = MatMuls(mixed, x.data(), 1, &two);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("differ in width"), std::string::npos) << s.message();
  // At most four products at once (q, k, v are the most a layer has).
  const MatMulOut five[] = {outs[0], outs[1], outs[2], outs[3], outs[0]};
  const Status too_many = MatMuls(five, x.data(), 1, &two);
  EXPECT_FALSE(too_many.ok());
  EXPECT_NE(too_many.message().find("at most 4"), std::string::npos) << too_many.message();
}

TEST(MatMulTest, RejectsUnsupportedTypesAndShapes) {
  uint8_t data[1024] = {};
  float x[256] = {}, y[8];
  ThreadPool pool(1);
  EXPECT_FALSE(MatMul({TensorType::Q5_K, data, 256, 1}, x, 1, y, &pool).ok());
  EXPECT_FALSE(MatMul({TensorType::Q8_0, data, 33, 1}, x, 1, y, &pool).ok());
  EXPECT_FALSE(MatMul({TensorType::Q4_K, data, 128, 1}, x, 1, y, &pool).ok());
  EXPECT_FALSE(MatMul({TensorType::F32, nullptr, 4, 1}, x, 1, y, &pool).ok());
  EXPECT_TRUE(MatMul({TensorType::F32, data, 4, 2}, x, 1, y, nullptr).ok());
  // Interleaved: only types with such a kernel, and whole groups of rows.
  EXPECT_FALSE(MatMul({TensorType::F16, data, 32, 8, true}, x, 1, y, &pool).ok());
  EXPECT_FALSE(MatMul({TensorType::Q4_0, data, 32, 4, true}, x, 1, y, &pool).ok());
}

}  // namespace
}  // namespace ss::engine
