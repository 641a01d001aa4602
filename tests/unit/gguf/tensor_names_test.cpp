#include "gguf/tensor_names.h"

#include <gtest/gtest.h>

namespace ss::gguf {
namespace {

TEST(TensorNames, AreLlamaCppsNames) {
  EXPECT_EQ(WeightName(kTokenEmbd), "token_embd.weight");
  EXPECT_EQ(WeightName(kOutputNorm), "output_norm.weight");
  EXPECT_EQ(WeightName(kOutput), "output.weight");
  EXPECT_EQ(LayerWeightName(0, LayerTensor::kAttnNorm), "blk.0.attn_norm.weight");
  EXPECT_EQ(LayerWeightName(3, LayerTensor::kAttnQ), "blk.3.attn_q.weight");
  EXPECT_EQ(LayerWeightName(3, LayerTensor::kAttnOutput), "blk.3.attn_output.weight");
  EXPECT_EQ(LayerWeightName(21, LayerTensor::kFfnDown), "blk.21.ffn_down.weight");
  EXPECT_EQ(std::size(kLayerTensorSuffixes), static_cast<size_t>(LayerTensor::kFfnDown) + 1);
}

TEST(TensorNames, ReadTheLayerAndSuffixOfAName) {
  EXPECT_EQ(TensorLayer("blk.12.attn_q.weight"), 12);
  EXPECT_EQ(TensorLayer("token_embd.weight"), -1);
  EXPECT_EQ(TensorLayer("blk.x.attn_q.weight"), -1);
  EXPECT_EQ(TensorLayer("blk.7"), -1);
  EXPECT_EQ(TensorLayer("blk."), -1);
  EXPECT_EQ(LayerTensorSuffix("blk.12.attn_q.weight"), "attn_q");
  EXPECT_EQ(LayerTensorSuffix("blk.12.ffn_gate.bias"), "ffn_gate");
  EXPECT_EQ(LayerTensorSuffix("output.weight"), "");
  EXPECT_EQ(LayerTensorSuffix("blk.1.weight"), "");
  EXPECT_TRUE(HasStem("output.weight", kOutput));
  EXPECT_FALSE(HasStem("output_norm.weight", kOutput));
  EXPECT_TRUE(HasStem("output_norm.weight", kOutputNorm));
  EXPECT_FALSE(HasStem("output", kOutput));
}

}  // namespace
}  // namespace ss::gguf
