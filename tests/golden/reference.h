#pragma once
// One llama.cpp reference run from ../shared/testdata/reference: a model, a
// prompt and a KV cache type, with the logits and greedy tokens it produced.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ss::testing {

struct Reference {
  std::string name;        // "tiny-spm-q8_0/p3-once.kvf16"
  std::string model_path;  // the model file it was made with
  std::string prompt_path;
  bool kv_f16 = true;
  std::vector<int32_t> prompt_tokens;
  std::vector<float> last_logits;  // n_vocab
  std::vector<int32_t> greedy_tokens;
  std::vector<float> greedy_margins;  // top-1 minus top-2 at each greedy step
  // The five highest (token, logit) of every greedy step, best first.
  std::vector<std::vector<std::pair<int32_t, float>>> greedy_step_top5;
  std::string greedy_text;  // exact bytes
};

// Every reference run (model directories × prompts × kv types).
std::vector<Reference> LoadReferences();
bool IsFloatModel(const Reference& r);  // the F16 model, with tighter tolerances

}  // namespace ss::testing
