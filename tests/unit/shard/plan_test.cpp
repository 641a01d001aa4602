#include "shard/plan.h"

#include <gtest/gtest.h>

namespace ss::shard {
namespace {

std::vector<int> Sizes(const std::vector<LayerRange>& plan) {
  std::vector<int> s;
  for (const LayerRange& r : plan) s.push_back(r.size());
  return s;
}

TEST(Plan, EvenPlanGivesEarlierShardsTheRemainder) {
  EXPECT_EQ(Sizes(*EvenPlan(10, 4)), (std::vector<int>{3, 3, 2, 2}));
  EXPECT_EQ(Sizes(*EvenPlan(22, 4)), (std::vector<int>{6, 6, 5, 5}));
  EXPECT_EQ(Sizes(*EvenPlan(8, 3)), (std::vector<int>{3, 3, 2}));
  EXPECT_EQ(Sizes(*EvenPlan(8, 8)), (std::vector<int>(8, 1)));
  EXPECT_EQ(Sizes(*EvenPlan(8, 1)), (std::vector<int>{8}));
  for (int layers = 1; layers <= 40; ++layers)
    for (int n = 1; n <= layers; ++n) EXPECT_TRUE(CheckPlan(*EvenPlan(layers, n), layers).ok());
}

TEST(Plan, RefusesMoreShardsThanLayers) {
  auto p = EvenPlan(4, 8);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("cannot split 4 layers into 8 shards"), std::string::npos);
  EXPECT_FALSE(EvenPlan(4, 0).ok());
}

TEST(Plan, ParsesExplicitRangesAndRefusesGapsAndOverlaps) {
  auto p = ParsePlan("0-2,3-5,6-7", 8);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(*p, (std::vector<LayerRange>{{0, 3}, {3, 6}, {6, 8}}));
  auto gap = ParsePlan("0-2,4-7", 8);
  ASSERT_FALSE(gap.ok());
  EXPECT_NE(gap.status().message().find("layers 3-3 are in no shard"), std::string::npos)
      << gap.status().message();
  auto overlap = ParsePlan("0-4,4-7", 8);
  ASSERT_FALSE(overlap.ok());
  EXPECT_NE(overlap.status().message().find("overlaps"), std::string::npos);
  auto short_plan = ParsePlan("0-3", 8);
  ASSERT_FALSE(short_plan.ok());
  EXPECT_NE(short_plan.status().message().find("has 8 layers"), std::string::npos);
  EXPECT_FALSE(ParsePlan("0-x", 8).ok());
  EXPECT_FALSE(ParsePlan("5-2,3-7", 8).ok());
}

TEST(Plan, AssignsTensorsToShards) {
  LayerRange mid{2, 4};
  EXPECT_TRUE(TensorInShard("blk.3.ffn_up.weight", mid, false, false, false));
  EXPECT_FALSE(TensorInShard("blk.4.ffn_up.weight", mid, false, false, false));
  EXPECT_FALSE(TensorInShard("token_embd.weight", mid, false, false, false));
  EXPECT_TRUE(TensorInShard("token_embd.weight", mid, true, false, false));
  EXPECT_FALSE(TensorInShard("token_embd.weight", mid, false, true, false));
  EXPECT_TRUE(TensorInShard("token_embd.weight", mid, false, true, true));  // tied output
  EXPECT_TRUE(TensorInShard("output.weight", mid, false, true, false));
  EXPECT_TRUE(TensorInShard("output_norm.weight", mid, false, true, false));
  EXPECT_FALSE(TensorInShard("output_norm.weight", mid, true, false, false));
}

}  // namespace
}  // namespace ss::shard
