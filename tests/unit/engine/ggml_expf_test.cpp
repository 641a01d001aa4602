// GgmlExpf is the scalar twin of ggml's AVX-512 exp (ops_avx512.cpp); held
// together here lane by lane.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

#include "engine/ops.h"
#include "engine/vec_dot.h"

namespace ss::engine {
namespace {

TEST(GgmlExpf, MatchesTheVectorCodeBitForBit) {
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512dq"))
    GTEST_SKIP() << "no AVX-512 on this CPU";
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> wide(-110.0f, 95.0f), near(-20.0f, 1.0f);
  for (int round = 0; round < 20000; ++round) {
    float x[16], y[16];
    for (float& v : x) v = round % 2 ? wide(rng) : near(rng);
    if (round == 0) {
      x[0] = 0.0f, x[1] = -0.0f, x[2] = -INFINITY, x[3] = 88.5f, x[4] = -104.0f, x[5] = 1e-30f;
    }
    internal::ExpfAvx512(x, y);
    for (int i = 0; i < 16; ++i) {
      float s = GgmlExpf(x[i]);
      ASSERT_EQ(0, std::memcmp(&s, &y[i], 4)) << "x=" << x[i] << " scalar " << s << " vector " << y[i];
    }
  }
}

// The AVX2 emulation over the whole range, including |n| in (126, 192] (two
// power-of-two factors) and beyond (0 or infinity).
TEST(GgmlExpf, TheAvx2EmulationMatchesBitForBit) {
  if (DetectedIsa() < Isa::kAvx2) GTEST_SKIP() << "no AVX2 on this CPU";
  std::mt19937 rng(8);
  std::uniform_real_distribution<float> wide(-140.0f, 140.0f), near(-20.0f, 1.0f);
  for (int round = 0; round < 40000; ++round) {
    float x[8], y[8];
    for (float& v : x) v = round % 2 ? wide(rng) : near(rng);
    if (round == 0)
      x[0] = 0.0f, x[1] = -0.0f, x[2] = -INFINITY, x[3] = INFINITY, x[4] = -104.0f, x[5] = 88.5f;
    if (round == 1) x[0] = -87.4f, x[1] = -88.0f, x[2] = -103.2f, x[3] = -133.0f, x[4] = -1e6f, x[5] = 1e6f;
    internal::ExpfAvx2(x, y);
    for (int i = 0; i < 8; ++i) {
      float s = GgmlExpf(x[i]);
      ASSERT_EQ(0, std::memcmp(&s, &y[i], 4)) << "x=" << x[i] << " scalar " << s << " vector " << y[i];
    }
  }
}

TEST(SiluMul, VectorPathsMatchTheScalarReferenceBitForBit) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-30.0f, 30.0f);
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    if (isa > DetectedIsa()) {
      std::printf("[ NOTE     ] %s SiluMul not tested: this CPU lacks %s\n", IsaName(isa), IsaName(isa));
      continue;
    }
    for (int64_t n : {1, 15, 16, 17, 100, 768, 5632 + 7}) {
      std::vector<float> g(n), u(n), a(n), b(n);
      for (int64_t i = 0; i < n; ++i) g[i] = dist(rng), u[i] = dist(rng) * 0.1f;
      if (n > 40) g[3] = 95.0f, g[20] = -100.0f, g[33] = -87.5f;  // beyond the vector exp's range
      SiluMulScalar(g.data(), u.data(), n, a.data());
      Isa saved = ActiveIsa();
      SetActiveIsa(isa);
      SiluMul(g.data(), u.data(), n, b.data());
      SetActiveIsa(saved);
      ASSERT_EQ(0, std::memcmp(a.data(), b.data(), sizeof(float) * n)) << IsaName(isa) << " n=" << n;
    }
  }
}

// Softmax runs on the active ISA; every ISA gives the scalar bits, masked
// (-inf) entries, scores far below the maximum, partial vectors, the scale and
// the rounding to f16 included.
TEST(Softmax, EveryIsaGivesTheScalarBits) {
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> dist(-20.0f, 20.0f);
  const Isa saved = ActiveIsa();
  for (int64_t n : {1, 7, 8, 9, 16, 17, 24, 100, 150, 257}) {
    std::vector<float> x(n);
    for (int64_t i = 0; i < n; ++i) x[i] = dist(rng);
    if (n > 40) x[5] = -INFINITY, x[17] = -INFINITY, x[30] = -150.0f, x[31] = 60.0f;
    for (const auto& [scale, round_f16] : {std::pair{1.0f, false}, {0.125f, true}, {0.3f, false}}) {
      SetActiveIsa(Isa::kScalar);
      std::vector<float> want = x;
      Softmax(want.data(), n, scale, round_f16);
      for (int isa = 1; isa <= static_cast<int>(DetectedIsa()); ++isa) {
        SetActiveIsa(static_cast<Isa>(isa));
        std::vector<float> got = x;
        Softmax(got.data(), n, scale, round_f16);
        ASSERT_EQ(0, std::memcmp(want.data(), got.data(), sizeof(float) * n))
            << IsaName(static_cast<Isa>(isa)) << " n=" << n << " scale=" << scale << " f16=" << round_f16;
      }
    }
  }
  if (DetectedIsa() < Isa::kAvx512)
    std::printf("[ NOTE     ] avx512 softmax not tested: this CPU lacks avx512\n");
  SetActiveIsa(saved);
}

TEST(GgmlExpf, StaysWithinTwoUlpOfExpf) {
  for (float x = -80.0f; x < 80.0f; x += 0.0137f) {
    float e = std::exp(x), g = GgmlExpf(x);
    EXPECT_LE(std::fabs(g - e), 2.0f * (std::nextafter(e, INFINITY) - e)) << x;
  }
}

TEST(GgmlSoftmax, SumsToOneAndZeroesMaskedEntries) {
  float x[37];
  for (int i = 0; i < 37; ++i) x[i] = i % 5 == 0 ? -INFINITY : static_cast<float>(i % 7) * 0.9f;
  Softmax(x, 37);
  double sum = 0;
  for (int i = 0; i < 37; ++i) {
    if (i % 5 == 0) {
      EXPECT_EQ(x[i], 0.0f);
    }
    sum += x[i];
  }
  EXPECT_NEAR(sum, 1.0, 1e-6);
}

}  // namespace
}  // namespace ss::engine
