// KvCache on its own: growth, the memory cap and its message, closing
// sessions, and the position rules (rewind allowed, skipping ahead refused).
#include "engine/kv_cache.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "util/half.h"

namespace ss::engine {
namespace {

bool Contains(const std::string& s, const std::string& f) { return s.find(f) != std::string::npos; }

// 2 layers × 2 KV heads of 4 (kv_dim 8) × F16: one position of one session
// costs 2 (K and V) × 2 layers × 8 × 2 bytes = 64 bytes.
constexpr int kLayers = 2, kHeads = 2, kHeadDim = 4, kKvDim = kHeads * kHeadDim, kCtx = 128;
constexpr uint64_t kPerPos = 64;

TEST(KvCache, GrowsInStepsAndCountsBytes) {
  KvCache kv(kLayers, kHeads, kHeadDim, kCtx, KvType::kF16, 1 << 20);
  EXPECT_EQ(kv.elem_size(), 2u);
  auto s = kv.Prepare(1, 0, 10);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ((*s)->length, 0);
  EXPECT_EQ((*s)->capacity, 64);  // smallest step
  ASSERT_EQ((*s)->k.size(), 2u);
  EXPECT_EQ((*s)->k[1].size(), 64u * kKvDim * 2);
  EXPECT_EQ(kv.bytes_used(), 64 * kPerPos);
  EXPECT_EQ(kv.sessions(), 1u);
  EXPECT_EQ(kv.Find(1), *s);
  EXPECT_EQ(kv.Find(2), nullptr);

  (*s)->length = 10;
  auto again = kv.Prepare(1, 10, 60);  // needs 70: doubles, bounded by the context
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(*again, *s);
  EXPECT_EQ((*s)->capacity, 128);
  EXPECT_EQ((*s)->length, 10);
  EXPECT_EQ(kv.bytes_used(), 128 * kPerPos);

  KvCache f32(kLayers, kHeads, kHeadDim, kCtx, KvType::kF32, 1 << 20);
  ASSERT_TRUE(f32.Prepare(7, 0, 1).ok());
  EXPECT_EQ(f32.bytes_used(), 64 * kPerPos * 2);
}

TEST(KvCache, CapGivesAClearErrorAndCloseFreesBytes) {
  KvCache kv(kLayers, kHeads, kHeadDim, kCtx, KvType::kF16, 100 * kPerPos);
  ASSERT_TRUE(kv.Prepare(1, 0, 10).ok());  // a 64-position step
  EXPECT_EQ(kv.bytes_used(), 64 * kPerPos);
  ASSERT_TRUE(kv.Prepare(2, 0, 10).ok());  // a full step no longer fits: exactly 10
  EXPECT_EQ(kv.Find(2)->capacity, 10);
  EXPECT_EQ(kv.bytes_used(), 74 * kPerPos);

  auto over = kv.Prepare(3, 0, 30);  // 74 + 30 > 100
  ASSERT_FALSE(over.ok());
  const std::string& m = over.status().message();
  EXPECT_TRUE(Contains(m, "KV cache limit reached")) << m;
  EXPECT_TRUE(Contains(m, "session 3 needs 30 positions")) << m;
  EXPECT_TRUE(Contains(m, "over 2 sessions")) << m;
  // A refused session holds nothing and is not counted.
  EXPECT_EQ(kv.bytes_used(), 74 * kPerPos);
  EXPECT_EQ(kv.sessions(), 2u);
  EXPECT_EQ(kv.Find(3), nullptr);

  kv.Close(1);
  EXPECT_EQ(kv.bytes_used(), 10 * kPerPos);
  EXPECT_EQ(kv.sessions(), 1u);
  EXPECT_EQ(kv.Find(1), nullptr);
  kv.Close(1);   // closing twice is harmless
  kv.Close(42);  // so is closing an unknown session
  EXPECT_EQ(kv.bytes_used(), 10 * kPerPos);

  auto now = kv.Prepare(3, 0, 30);
  ASSERT_TRUE(now.ok()) << now.status().message();
  EXPECT_EQ(kv.bytes_used(), (10 + 64) * kPerPos);
  kv.Close(2);
  kv.Close(3);
  EXPECT_EQ(kv.bytes_used(), 0u);
  EXPECT_EQ(kv.sessions(), 0u);
}

TEST(KvCache, GrowingPastTheCapLeavesTheSessionUsable) {
  KvCache kv(kLayers, kHeads, kHeadDim, kCtx, KvType::kF16, 80 * kPerPos);
  auto s = kv.Prepare(1, 0, 64);
  ASSERT_TRUE(s.ok());
  (*s)->length = 64;
  auto grow = kv.Prepare(1, 64, 20);  // 84 positions > 80
  ASSERT_FALSE(grow.ok());
  EXPECT_TRUE(Contains(grow.status().message(), "KV cache limit reached")) << grow.status().message();
  EXPECT_EQ(kv.bytes_used(), 64 * kPerPos);
  EXPECT_EQ(kv.Find(1)->length, 64);
  EXPECT_EQ(kv.Find(1)->capacity, 64);
  auto fits = kv.Prepare(1, 64, 16);  // exactly the cap
  ASSERT_TRUE(fits.ok()) << fits.status().message();
  EXPECT_EQ(kv.bytes_used(), 80 * kPerPos);
}

TEST(KvCache, PositionsMayRewindButNotSkipAhead) {
  KvCache kv(kLayers, kHeads, kHeadDim, kCtx, KvType::kF16, 1 << 20);
  auto fresh = kv.Prepare(5, 1, 1);  // a new session starts at 0
  ASSERT_FALSE(fresh.ok());
  EXPECT_EQ(fresh.status().message(), "session 5: position 1 skips ahead of the 0 positions it holds");
  EXPECT_EQ(kv.sessions(), 0u);
  EXPECT_EQ(kv.bytes_used(), 0u);

  auto s = kv.Prepare(5, 0, 8);
  ASSERT_TRUE(s.ok());
  (*s)->length = 8;  // what Stage::Forward records after a successful batch
  auto skip = kv.Prepare(5, 9, 1);
  ASSERT_FALSE(skip.ok());
  EXPECT_EQ(skip.status().message(), "session 5: position 9 skips ahead of the 8 positions it holds");
  EXPECT_EQ(kv.Find(5)->length, 8);

  ASSERT_TRUE(kv.Prepare(5, 8, 1).ok());  // continuing
  EXPECT_EQ(kv.Find(5)->length, 8);
  ASSERT_TRUE(kv.Prepare(5, 3, 2).ok());  // rewinding drops positions 3 and later
  EXPECT_EQ(kv.Find(5)->length, 3);
  EXPECT_EQ(kv.Find(5)->capacity, 64);  // memory is kept for the session
}

TEST(KvCache, PositionsBeyondTheContextAreRefused) {
  KvCache kv(kLayers, kHeads, kHeadDim, kCtx, KvType::kF16, 1 << 20);
  auto r = kv.Prepare(1, 0, kCtx + 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "positions 0..128 exceed the context length of 128 tokens");
  EXPECT_FALSE(kv.Prepare(1, -1, 1).ok());
  EXPECT_FALSE(kv.Prepare(1, 0, 0).ok());
  EXPECT_EQ(kv.sessions(), 0u);
  ASSERT_TRUE(kv.Prepare(1, 0, kCtx).ok());
  EXPECT_EQ(kv.Find(1)->capacity, kCtx);
}

// Each head's positions are one block (Offset), and growing moves every
// head's block to its new place with the rows it held.
TEST(KvCache, HeadsAreBlocksAndGrowingKeepsTheirRows) {
  KvCache kv(kLayers, kHeads, kHeadDim, kCtx, KvType::kF16, 1 << 20);
  auto s = kv.Prepare(1, 0, 10);
  ASSERT_TRUE(s.ok());
  KvCache::Session& session = **s;
  EXPECT_EQ(kv.Offset(session, 0, 1), kHeadDim * 2u);
  EXPECT_EQ(kv.Offset(session, 1, 0), 64u * kHeadDim * 2);  // after head 0's 64 positions
  auto fill = [&](int pos, int h, int l) { return static_cast<uint8_t>(pos * 7 + h * 31 + l * 3 + 1); };
  for (int l = 0; l < kLayers; ++l)
    for (int h = 0; h < kHeads; ++h)
      for (int pos = 0; pos < 10; ++pos) {
        std::memset(session.k[l].data() + kv.Offset(session, h, pos), fill(pos, h, l), kHeadDim * 2);
        std::memset(session.v[l].data() + kv.Offset(session, h, pos), fill(pos, h, l) ^ 0xFF, kHeadDim * 2);
      }
  session.length = 10;
  ASSERT_TRUE(kv.Prepare(1, 10, 100).ok());  // grows to 128 positions
  ASSERT_EQ(session.capacity, 128);
  for (int l = 0; l < kLayers; ++l)
    for (int h = 0; h < kHeads; ++h)
      for (int pos = 0; pos < 10; ++pos)
        for (int i = 0; i < kHeadDim * 2; ++i) {
          ASSERT_EQ(session.k[l][kv.Offset(session, h, pos) + i], fill(pos, h, l))
              << l << " " << h << " " << pos;
          ASSERT_EQ(session.v[l][kv.Offset(session, h, pos) + i], fill(pos, h, l) ^ 0xFF);
        }
}

// Store puts each head's row of a k or v projection into that head's block at
// the position: exact for an F32 cache, rounded to F16 (as util/half.h rounds)
// for an F16 cache.
TEST(KvCache, StorePutsEachHeadsRowInItsBlock) {
  float k[kKvDim], v[kKvDim];
  for (int i = 0; i < kKvDim; ++i) {
    k[i] = 0.1f * static_cast<float>(i) + 1.0f / 3;
    v[i] = -2.5f * static_cast<float>(i) - 1.0f / 7;
  }
  for (KvType type : {KvType::kF32, KvType::kF16}) {
    KvCache kv(kLayers, kHeads, kHeadDim, kCtx, type, 1 << 20);
    auto s = kv.Prepare(1, 0, 5);
    ASSERT_TRUE(s.ok());
    KvCache::Session& session = **s;
    kv.Store(session, 1, 3, k, v);
    for (int h = 0; h < kHeads; ++h)
      for (int i = 0; i < kHeadDim; ++i) {
        const float want_k = k[h * kHeadDim + i], want_v = v[h * kHeadDim + i];
        const uint8_t* k_at = session.k[1].data() + kv.Offset(session, h, 3) + i * kv.elem_size();
        const uint8_t* v_at = session.v[1].data() + kv.Offset(session, h, 3) + i * kv.elem_size();
        if (type == KvType::kF32) {
          float got_k, got_v;
          std::memcpy(&got_k, k_at, 4);
          std::memcpy(&got_v, v_at, 4);
          EXPECT_EQ(got_k, want_k);
          EXPECT_EQ(got_v, want_v);
        } else {
          uint16_t got_k, got_v;
          std::memcpy(&got_k, k_at, 2);
          std::memcpy(&got_v, v_at, 2);
          EXPECT_EQ(got_k, FloatToHalf(want_k)) << "head " << h << " element " << i;
          EXPECT_EQ(got_v, FloatToHalf(want_v));
        }
      }
    // Layer 0 and the other positions are untouched (zero as allocated).
    for (uint8_t b : session.k[0]) ASSERT_EQ(b, 0);
    EXPECT_EQ(session.k[1][kv.Offset(session, 0, 2)], 0);
  }
}

}  // namespace
}  // namespace ss::engine
