// shardswarm dev make-model: random-weight Llama GGUF files for tests and benchmarks.
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "model/test_model.h"

namespace ss::cli {

void AddDevCommands(CLI::App& app) {
  CLI::App* dev = app.add_subcommand("dev", "Developer tools");
  dev->require_subcommand(1);
  auto spec = std::make_shared<model::TestModelSpec>();
  auto out = std::make_shared<std::string>();
  auto type = std::make_shared<std::string>("q8_0");
  CLI::App* make = dev->add_subcommand(
      "make-model", "Write a random-weight Llama GGUF (default: the 1.1B benchmark shape, Q8_0)");
  make->add_option("--out,-o", *out, "Output GGUF path")->required();
  make->add_option("--type", *type, "f32, f16, q8_0 or q4_0")->capture_default_str();
  make->add_option("--n-vocab", spec->n_vocab, "Vocabulary size")->capture_default_str();
  make->add_option("--n-embd", spec->n_embd, "Hidden size")->capture_default_str();
  make->add_option("--n-layer", spec->n_layer, "Layers")->capture_default_str();
  make->add_option("--n-head", spec->n_head, "Attention heads")->capture_default_str();
  make->add_option("--n-head-kv", spec->n_head_kv, "Key/value heads (grouped-query attention)")
      ->capture_default_str();
  make->add_option("--n-ff", spec->n_ff, "Feed-forward size")->capture_default_str();
  make->add_option("--n-ctx", spec->n_ctx, "Context length")->capture_default_str();
  make->add_option("--rope-base", spec->rope_base, "RoPE frequency base")->capture_default_str();
  make->add_option("--seed", spec->seed, "Seed of the random weights (same seed, same file)")
      ->capture_default_str();
  make->add_option("--name", spec->name, "general.name of the model")->capture_default_str();
  make->add_flag("--tied", spec->tied, "Tie the output matrix to the token embeddings");
  make->callback([spec, out, type] {
    if (!gguf::ParseTensorType(*type, &spec->type)) Fail("unknown tensor type '" + *type + "'");
    Status s = model::WriteTestModel(*spec, *out);
    if (!s.ok()) Fail(s.message());
    std::printf("wrote %s\n", out->c_str());
  });
}

}  // namespace ss::cli
