#pragma once
// The tensor names of a Llama-family GGUF file (llama.cpp's LLM_TENSOR_NAMES
// for LLM_ARCH_LLAMA), in one table: the engine loads by them, the shard
// tools split and check by them, the test-model maker writes them.
// A tensor is "<stem>.weight"; a layer's stems are "blk.<layer>.<suffix>".

#include <string>
#include <string_view>

namespace ss::gguf {

inline constexpr std::string_view kTokenEmbd = "token_embd";
inline constexpr std::string_view kOutputNorm = "output_norm";
inline constexpr std::string_view kOutput = "output";  // absent when tied to kTokenEmbd

// A layer's tensors, in the order a layer uses them.
enum class LayerTensor {
  kAttnNorm,
  kAttnQ,
  kAttnK,
  kAttnV,
  kAttnOutput,
  kFfnNorm,
  kFfnGate,
  kFfnUp,
  kFfnDown
};
inline constexpr std::string_view kLayerTensorSuffixes[] = {
    "attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"};

// "<stem>.weight"
inline std::string WeightName(std::string_view stem) { return std::string(stem) + ".weight"; }
// "blk.<layer>.<suffix>.weight"
inline std::string LayerWeightName(int layer, std::string_view suffix) {
  return "blk." + std::to_string(layer) + "." + std::string(suffix) + ".weight";
}
inline std::string LayerWeightName(int layer, LayerTensor t) {
  return LayerWeightName(layer, kLayerTensorSuffixes[static_cast<int>(t)]);
}

// Whether name is one of stem's tensors ("<stem>.<anything>").
inline bool HasStem(std::string_view name, std::string_view stem) {
  return name.size() > stem.size() && name.starts_with(stem) && name[stem.size()] == '.';
}
// The layer of a "blk.<layer>.…" name, -1 for any other name.
int TensorLayer(std::string_view name);
// The suffix of a layer tensor's name ("attn_q" of "blk.3.attn_q.weight"), empty for others.
std::string_view LayerTensorSuffix(std::string_view name);

}  // namespace ss::gguf
