// shardswarm generate: single-process inference on a model file or a shards
// directory (the shards' stages chained in one process, as the swarm chains
// them across machines).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "cli/commands.h"
#include "engine/pipeline.h"
#include "model/chat_template.h"
#include "model/detokenizer.h"
#include "model/sampler.h"
#include "model/tokenizer.h"
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
  std::string logits_out;
  std::string kv_type = "f16";
  int threads = 0;
  int ctx_size = 0;
  int64_t seed = -1;
  model::SamplingParams sampling;
};

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

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

void RunGenerate(GenerateOptions o) {
  engine::StageOptions so;
  so.n_threads = o.threads;
  so.n_ctx = o.ctx_size;
  if (o.kv_type == "f32")
    so.kv_type = engine::KvType::kF32;
  else if (o.kv_type != "f16")
    Fail("--kv-type must be f16 or f32, not '" + o.kv_type + "'");
  if (o.n_predict < 0) Fail("-n must be at least 0");
  o.sampling.seed = o.seed >= 0 ? static_cast<uint32_t>(o.seed) : std::random_device{}();

  auto pipeline = engine::Pipeline::Open(o.model, so);
  if (!pipeline.ok()) Fail(pipeline.status().message());
  engine::Pipeline& p = **pipeline;
  auto tokenizer = model::Tokenizer::Load(p.file());
  if (!tokenizer.ok()) Fail(tokenizer.status().message());
  auto prompt = PromptTokens(o, *tokenizer, p.file());
  if (!prompt.ok()) Fail(prompt.status().message());
  const int n_prompt = static_cast<int>(prompt->size()), n_ctx = p.n_ctx();
  if (n_prompt >= n_ctx)
    Fail("the prompt has " + std::to_string(n_prompt) + " tokens but the context holds " +
         std::to_string(n_ctx) + "; shorten it or raise --ctx-size");
  auto sampler = model::Sampler::Create(o.sampling);
  if (!sampler.ok()) Fail(sampler.status().message());

  // Prompt: one batch, logits for the last position only.
  std::vector<engine::BatchRow> rows;
  for (int i = 0; i < n_prompt; ++i) rows.push_back({1, i, (*prompt)[i], i + 1 == n_prompt});
  std::vector<float> logits;
  double t0 = Now();
  if (Status s = p.Forward(rows, &logits); !s.ok()) Fail(s.message());
  double t_prompt = Now() - t0;
  if (!o.logits_out.empty()) {
    std::string bytes(reinterpret_cast<const char*>(logits.data()), logits.size() * sizeof(float));
    if (Status s = WriteWholeFile(o.logits_out, bytes); !s.ok()) Fail(s.message());
  }
  for (int32_t t : *prompt) sampler->Accept(t);

  model::Detokenizer detok(*tokenizer, {/*sequence_start=*/false});
  nlohmann::json out_tokens = nlohmann::json::array();
  const int n_vocab = p.config().n_vocab;
  int n_gen = 0, n_decoded = 0;
  double t1 = Now();
  for (int pos = n_prompt; n_gen < o.n_predict; ++pos) {
    int32_t token = sampler->Sample(logits.data(), n_vocab);
    sampler->Accept(token);
    ++n_gen;
    std::string text = detok.Push(token);
    if (o.json) {
      out_tokens.push_back(
          {{"id", token}, {"text", tokenizer->TokenToPiece(token)}, {"top_logits", TopLogits(logits)}});
    } else {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
    }
    if ((!o.ignore_eos && tokenizer->vocab().IsEog(token)) || n_gen == o.n_predict) break;
    if (pos + 1 >= n_ctx) {
      std::fprintf(stderr, "\n[generate] stopped: the context of %d tokens is full\n", n_ctx);
      break;
    }
    std::vector<engine::BatchRow> row{{1, pos, token, true}};
    if (Status s = p.Forward(row, &logits); !s.ok()) Fail(s.message());
    ++n_decoded;
  }
  double t_gen = Now() - t1;
  std::string tail = detok.Flush();
  double prompt_tps = n_prompt / std::max(t_prompt, 1e-9), gen_tps = n_decoded / std::max(t_gen, 1e-9);
  if (o.json) {
    nlohmann::json j = {{"prompt_tokens", *prompt},
                        {"tokens", out_tokens},
                        {"seed", o.sampling.seed},
                        {"prompt_tokens_per_second", prompt_tps},
                        {"generation_tokens_per_second", gen_tps}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::fwrite(tail.data(), 1, tail.size(), stdout);
    std::printf("\n");
  }
  std::fprintf(
      stderr,
      "[generate] prompt: %d tokens in %.3f s, %.1f tok/s; generation: %d tokens, %.1f tok/s (seed %u)\n",
      n_prompt, t_prompt, prompt_tps, n_gen, gen_tps, o.sampling.seed);
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
  g->add_option("--top-k", o->sampling.top_k)->capture_default_str();
  g->add_option("--top-p", o->sampling.top_p)->capture_default_str();
  g->add_option("--min-p", o->sampling.min_p)->capture_default_str();
  g->add_option("--repeat-penalty", o->sampling.repeat_penalty)->capture_default_str();
  g->add_option("--repeat-last-n", o->sampling.penalty_last_n)->capture_default_str();
  g->add_option("--frequency-penalty", o->sampling.frequency_penalty)->capture_default_str();
  g->add_option("--presence-penalty", o->sampling.presence_penalty)->capture_default_str();
  g->add_option("--seed", o->seed, "Random seed (-1: pick one)")->capture_default_str();
  g->add_flag("--ignore-eos", o->ignore_eos, "Keep generating past end-of-generation tokens");
  g->add_flag("--json", o->json,
              "Print prompt token ids and, per token, its id, text and top-10 logits as JSON");
  g->add_option("--logits-out", o->logits_out, "Write the last prompt position's logits (float32 LE) here");
  g->add_option("--kv-type", o->kv_type, "KV cache type: f16 or f32")->capture_default_str();
  g->add_option("-t,--threads", o->threads, "Threads per stage (0: all cores)")
      ->capture_default_str()
      ->envname("SHARDSWARM_THREADS");
  g->add_option("-c,--ctx-size", o->ctx_size, "Context length (0: the model's)")->capture_default_str();
  g->callback([o] { RunGenerate(*o); });
}

}  // namespace ss::cli
