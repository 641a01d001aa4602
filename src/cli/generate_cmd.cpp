// shardswarm generate: single-process inference on a model file or a shards
// directory (the shards' stages chained in one process, as the swarm chains
// them across machines).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <span>

#include "cli/commands.h"
#include "engine/pipeline.h"
#include "model/chat_template.h"
#include "model/completion.h"
#include "model/generator.h"
#include "model/local_model.h"
#include "model/sampler.h"
#include "model/tokenizer.h"
#include "shard/validate.h"
#include "util/file_io.h"

namespace ss::cli {
namespace {

struct GenerateOptions {
  std::string model;
  std::string prompt;
  std::string system;
  int n_predict = 64;
  bool chat = false;
  bool json = false;
  bool ignore_eos = false;
  std::vector<std::string> stop;
  std::string logits_out;
  std::string kv_type = "f16";
  int threads = 0;
  int ctx_size = 0;
  int64_t seed = -1;
  model::SamplingParams sampling;
};

// Ten best (id, logit) pairs, best first.
nlohmann::json TopLogits(const std::vector<float>& logits) {
  std::vector<int> ids(logits.size());
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int>(i);
  size_t k = std::min<size_t>(10, ids.size());
  std::partial_sort(ids.begin(), ids.begin() + static_cast<long>(k), ids.end(),
                    [&](int a, int b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
  nlohmann::json top = nlohmann::json::array();
  for (size_t i = 0; i < k; ++i) top.push_back({ids[i], logits[ids[i]]});
  return top;
}

Result<std::vector<int32_t>> PromptTokens(const GenerateOptions& o, const model::Tokenizer& tok,
                                          const gguf::File& file) {
  if (o.prompt.empty()) return Status::Error("the prompt is empty; give the text to continue with -p");
  std::string text = o.prompt;
  if (o.chat) {
    std::vector<model::ChatMessage> messages;
    if (!o.system.empty()) messages.push_back({"system", o.system});
    messages.push_back({"user", o.prompt});
    text = model::RenderChat(model::ChatFormatOf(file), messages, /*add_generation_prompt=*/true);
  }
  auto tokens = tok.Tokenize(text, /*add_special=*/true, /*parse_special=*/o.chat);
  if (!tokens.ok()) return tokens.status().Context("the prompt");
  return tokens;
}

engine::StageOptions StageOptionsOf(const GenerateOptions& o) {
  engine::StageOptions so;
  so.n_threads = o.threads;
  so.n_ctx = o.ctx_size;
  if (o.kv_type == "f32")
    so.kv_type = engine::KvType::kF32;
  else if (o.kv_type != "f16")
    Fail("--kv-type must be f16 or f32, not '" + o.kv_type + "'");
  return so;
}

template <typename T>
T OrFail(Result<T> r) {
  if (!r.ok()) Fail(r.status().message());
  return std::move(r).value();
}

void RunGenerate(GenerateOptions o) {
  const engine::StageOptions so = StageOptionsOf(o);
  if (o.n_predict < 0) Fail("-n must be at least 0");
  o.sampling.seed = o.seed >= 0 ? static_cast<uint32_t>(o.seed) : std::random_device{}();

  std::unique_ptr<engine::Pipeline> pipeline = OrFail(engine::Pipeline::Open(o.model, so));
  // After the shards' own checks (which name a mix of splits or models
  // better), their bytes against manifest.json, as a node checks its shard.
  if (std::filesystem::is_directory(o.model)) {
    if (Status s = shard::CheckShardDirectory(o.model); !s.ok()) Fail(s.message());
  }
  const model::Tokenizer tokenizer = OrFail(model::Tokenizer::Load(pipeline->file()));
  const std::vector<int32_t> prompt = OrFail(PromptTokens(o, tokenizer, pipeline->file()));
  const int n_prompt = static_cast<int>(prompt.size()), n_ctx = pipeline->n_ctx();
  if (n_prompt >= n_ctx) {
    const int model_ctx = pipeline->config().n_ctx;
    Fail("the prompt has " + std::to_string(n_prompt) + " tokens but the context holds " +
         std::to_string(n_ctx) +
         (n_ctx < model_ctx ? "; shorten it or raise --ctx-size (at most " + std::to_string(model_ctx) + ")"
                            : "; shorten it (" + std::to_string(model_ctx) + " is the model's maximum)"));
  }
  model::LocalModel local(*pipeline, OrFail(model::Sampler::Create(o.sampling)));

  model::NextTokenFn next = [&](int pos, std::span<const int32_t> tokens) -> Result<int32_t> {
    auto token = local.Next(pos, tokens);
    if (token.ok() && pos == 0 && !o.logits_out.empty()) {
      const std::vector<float>& logits = local.last_logits();
      std::string bytes(reinterpret_cast<const char*>(logits.data()), logits.size() * sizeof(float));
      SS_RETURN_IF_ERROR(WriteWholeFile(o.logits_out, bytes));
    }
    return token;
  };
  nlohmann::json out_tokens = nlohmann::json::array();
  auto on_step = [&](const model::Step& step) {
    if (o.json) {
      out_tokens.push_back({{"id", step.token},
                            {"text", tokenizer.TokenToPiece(step.token)},
                            {"top_logits", TopLogits(local.last_logits())}});
    } else {
      std::fwrite(step.text.data(), 1, step.text.size(), stdout);
      std::fflush(stdout);
    }
    return true;
  };
  model::Completion completion(tokenizer, {o.n_predict, o.stop, o.ignore_eos});
  const model::GenerationResult r = OrFail(model::Generate(prompt, next, completion, n_ctx, on_step));
  if (r.context_full) std::fprintf(stderr, "\n[generate] stopped: the context of %d tokens is full\n", n_ctx);

  const double prompt_tps = n_prompt / std::max(r.prompt_seconds, 1e-9),
               gen_tps = (r.n_forward - 1) / std::max(r.generation_seconds, 1e-9);
  if (o.json) {
    nlohmann::json j = {{"prompt_tokens", prompt},
                        {"tokens", out_tokens},
                        {"seed", o.sampling.seed},
                        {"prompt_tokens_per_second", prompt_tps},
                        {"generation_tokens_per_second", gen_tps}};
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("\n");
  }
  std::fprintf(
      stderr,
      "[generate] prompt: %d tokens in %.3f s, %.1f tok/s; generation: %d tokens, %.1f tok/s (seed %u)\n",
      n_prompt, r.prompt_seconds, prompt_tps, static_cast<int>(r.tokens.size()), gen_tps, o.sampling.seed);
}

}  // namespace

void AddGenerateCommand(CLI::App& app) {
  auto o = std::make_shared<GenerateOptions>();
  CLI::App* g = app.add_subcommand("generate", "Run a model (file or shards directory) in this process");
  g->add_option("-m,--model", o->model, "GGUF model file or directory of shard-{i}.gguf files")
      ->required()
      ->envname("SHARDSWARM_MODEL");
  g->add_option("-p,--prompt", o->prompt, "Prompt text")->required();
  g->add_option("-n,--n-predict", o->n_predict, "Tokens to generate")->capture_default_str();
  g->add_flag("--chat", o->chat, "Wrap the prompt in the model's chat template");
  g->add_option("--system", o->system, "System message (with --chat)");
  g->add_option("--temp", o->sampling.temperature, "Temperature; 0 is greedy")->capture_default_str();
  g->add_option("--top-k", o->sampling.top_k, "Keep the K most likely tokens (0: all)")
      ->capture_default_str();
  g->add_option("--top-p", o->sampling.top_p,
                "Keep the most likely tokens up to this probability mass (1: all)")
      ->capture_default_str();
  g->add_option("--min-p", o->sampling.min_p, "Drop tokens less likely than this times the most likely one")
      ->capture_default_str();
  g->add_option("--repeat-penalty", o->sampling.repeat_penalty,
                "Divide the logits of recent tokens by this (1: off)")
      ->capture_default_str();
  g->add_option("--repeat-last-n", o->sampling.penalty_last_n, "How many recent tokens the penalties look at")
      ->capture_default_str();
  g->add_option("--frequency-penalty", o->sampling.frequency_penalty,
                "Subtract this times a token's count so far")
      ->capture_default_str();
  g->add_option("--presence-penalty", o->sampling.presence_penalty,
                "Subtract this from every token seen so far")
      ->capture_default_str();
  g->add_option("--seed", o->seed, "Random seed (-1: pick one)")
      ->check(CLI::Range(int64_t{-1}, int64_t{UINT32_MAX}))
      ->capture_default_str();
  g->add_flag("--ignore-eos", o->ignore_eos, "Keep generating past end-of-generation tokens");
  g->add_option("--stop", o->stop, "Stop before this text, which is not printed (repeatable)")
      ->allow_extra_args(false);
  g->add_flag("--json", o->json,
              "Print prompt token ids and, per token, its id, text and top-10 logits as JSON");
  g->add_option("--logits-out", o->logits_out, "Write the last prompt position's logits (float32 LE) here");
  g->add_option("--kv-type", o->kv_type, "KV cache type: f16 or f32")->capture_default_str();
  g->add_option("-t,--threads", o->threads, "Threads per stage (0: all usable cores; more is capped to them)")
      ->capture_default_str()
      ->envname("SHARDSWARM_THREADS");
  g->add_option("-c,--ctx-size", o->ctx_size, "Context length (0: the model's, which is also the maximum)")
      ->capture_default_str();
  g->callback([o] { RunGenerate(*o); });
}

}  // namespace ss::cli
