#include "gateway/completion_api.h"

#include <algorithm>
#include <cstdio>
#include <thread>

#include "gateway/openai_response.h"
#include "model/completion.h"
#include "model/generator.h"
#include "util/clock.h"
#include "util/log.h"

namespace ss::gateway {
namespace {

net::HttpResponse JsonResponse(int status, const nlohmann::json& body) {
  net::HttpResponse r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return r;
}

nlohmann::json SamplingJson(const model::SamplingParams& p) {
  return {{"temperature", p.temperature},
          {"top_k", p.top_k},
          {"top_p", p.top_p},
          {"min_p", p.min_p},
          {"repeat_penalty", p.repeat_penalty},
          {"penalty_last_n", p.penalty_last_n},
          {"frequency_penalty", p.frequency_penalty},
          {"presence_penalty", p.presence_penalty},
          {"seed", p.seed}};
}

}  // namespace

CompletionApi::CompletionApi(swarm::SwarmClient& swarm, ResultBoard& board, Router& router,
                             GatewayMetrics& metrics, EventJournal& journal, ModelFn model,
                             CompletionApiOptions options)
    : swarm_(swarm),
      board_(board),
      router_(router),
      metrics_(metrics),
      journal_(journal),
      model_(std::move(model)),
      options_(options) {
  options_.session.on_timings = [this](const Route& route, const std::vector<net::StageTiming>& timings) {
    for (size_t i = 0; i < std::min(route.hops.size(), timings.size()); ++i) {
      const net::StageTiming& t = timings[i];
      metrics_.ObserveStage(route.hops[i].shard_id, t.wait_ms / 1000, t.compute_ms / 1000);
      router_.ObserveStage(route.hops[i].peer_id, t.wait_ms + t.compute_ms);
    }
  };
}

// A request from its checks to its end. Releases what it holds (a slot, the
// route's load counts, the session on every stage) when destroyed.
struct CompletionApi::Prepared {
  CompletionApi* api = nullptr;
  uint64_t id = 0;  // numbers requests in the event journal
  CompletionRequest request;
  std::shared_ptr<const ModelMeta> meta;
  std::vector<int32_t> prompt;
  int max_tokens = 0;
  std::optional<Route> route;
  std::unique_ptr<SwarmSession> session;
  std::optional<Result<int32_t>> first;  // the prompt's token, sampled before any byte is sent
  ResponseContext context;
  double started = 0, ttft_s = 0;
  bool counted = false;

  ~Prepared() {
    if (session) {
      api->Track(*this, false);
      session->Close();
    }
    if (route) api->router_.Release(*route);
    if (counted) {
      api->running_--;
      api->metrics_.SessionEnded();
    }
  }
};

Result<std::unique_ptr<CompletionApi::Prepared>> CompletionApi::Prepare(const net::HttpRequest& http,
                                                                        ApiKind kind, std::string& param,
                                                                        std::string& code) {
  auto p = std::make_unique<Prepared>();
  p->api = this;
  p->id = next_request_id_++;
  p->started = MonotonicSeconds();
  if (stopping_) return Status::NotReady("the gateway is shutting down");
  if (running_.fetch_add(1) >= options_.max_sessions) {
    running_--;
    return Status::Busy("the gateway is serving " + std::to_string(options_.max_sessions) +
                        " requests already (--max-sessions); retry shortly");
  }
  p->counted = true;
  metrics_.SessionStarted();
  SS_ASSIGN_OR_RETURN(p->request, ParseCompletionRequest(http.body, kind));
  const CompletionRequest& r = p->request;
  if (options_.max_tokens_limit > 0 && r.max_tokens && *r.max_tokens > options_.max_tokens_limit) {
    param = "max_tokens";
    code = "max_tokens_too_large";
    return Status::InvalidArgument(
        "max_tokens is " + std::to_string(*r.max_tokens) + ", over this gateway's limit of " +
        std::to_string(options_.max_tokens_limit) + " (--max-tokens-limit); ask for fewer tokens");
  }
  p->meta = model_();
  if (!swarm_.Ready() || !p->meta) {
    std::string why;
    for (const std::string& b : swarm_.Blockers()) why += (why.empty() ? "" : "; ") + b;
    if (why.empty()) why = "the gateway has not learnt the model from a node yet";
    return Status::NotReady("the swarm is not ready: " + why);
  }
  const ModelMeta& m = *p->meta;
  if (kind == ApiKind::kChat) {
    std::string text = model::RenderChat(m.chat_format, r.messages, /*add_generation_prompt=*/true);
    SS_ASSIGN_OR_RETURN(p->prompt, m.tokenizer->Tokenize(text, /*add_special=*/true, /*parse_special=*/true));
  } else if (!r.prompt_tokens.empty()) {
    for (int32_t t : r.prompt_tokens)
      if (t >= m.n_vocab)
        return Status::InvalidArgument("'prompt' holds token id " + std::to_string(t) +
                                       ", beyond the vocabulary of " + std::to_string(m.n_vocab));
    p->prompt = r.prompt_tokens;
  } else {
    auto tokens = m.tokenizer->Tokenize(r.prompt, /*add_special=*/true, /*parse_special=*/false);
    if (!tokens.ok()) return Status::InvalidArgument("'prompt': " + tokens.status().message());
    p->prompt = std::move(tokens.value());
  }
  const int n_prompt = static_cast<int>(p->prompt.size());
  if (n_prompt == 0) return Status::InvalidArgument("the prompt is empty");
  if (options_.max_prompt_tokens > 0 && n_prompt > options_.max_prompt_tokens) {
    param = kind == ApiKind::kChat ? "messages" : "prompt";
    code = "prompt_too_long";
    return Status::InvalidArgument("the prompt is " + std::to_string(n_prompt) +
                                   " tokens, over this gateway's limit of " +
                                   std::to_string(options_.max_prompt_tokens) +
                                   " prompt tokens (--max-prompt-tokens); send a shorter prompt");
  }
  p->max_tokens = r.max_tokens ? *r.max_tokens : (kind == ApiKind::kChat ? m.n_ctx - n_prompt : 16);
  if (!r.max_tokens && options_.max_tokens_limit > 0)
    p->max_tokens = std::min(p->max_tokens, options_.max_tokens_limit);
  if (n_prompt + p->max_tokens > m.n_ctx)
    return Status::InvalidArgument("the prompt (" + std::to_string(n_prompt) + " tokens) plus max_tokens (" +
                                   std::to_string(p->max_tokens) + ") exceed the model's context of " +
                                   std::to_string(m.n_ctx) + " tokens");
  p->context = NewResponseContext(kind, m.name);
  if (p->max_tokens == 0) return p;
  SS_ASSIGN_OR_RETURN(Route route, router_.Pick(swarm_, m.model_id, m.n_layer));
  router_.Acquire(route);
  p->route = route;
  p->context.shardswarm = {{"route", route.ToJson()}};
  SS_ASSIGN_OR_RETURN(
      p->session, SwarmSession::Open(swarm_, board_, route, SamplingJson(r.sampling), SessionOptions(*p)));
  Track(*p, true);
  p->first = p->session->Next(0, p->prompt);
  if (!p->first->ok()) return p->first->status();
  p->ttft_s = MonotonicSeconds() - p->started;
  metrics_.ObserveTimeToFirstToken(p->ttft_s);
  return p;
}

net::HttpResponse CompletionApi::Handle(const net::HttpRequest& http, ApiKind kind) {
  const char* endpoint = kind == ApiKind::kChat ? "chat" : "completions";
  std::string param, code;
  auto prepared = Prepare(http, kind, param, code);
  if (!prepared.ok()) {
    int status = HttpStatusOf(prepared.status());
    metrics_.CountRequest(endpoint, status);
    if (status >= 500) Log("STATUS", std::string("request failed: ") + prepared.status().message());
    journal_.Add("request",
                 "a " + std::string(endpoint) + " request was refused (" + std::to_string(status) +
                     "): " + prepared.status().message(),
                 {{"state", "failed"}, {"http_status", status}});
    return JsonResponse(status, ErrorBody(prepared.status(), param, code));
  }
  metrics_.CountRequest(endpoint, 200);
  const Prepared& p = **prepared;
  Journal(p, "started",
          "request " + std::to_string(p.id) + " started: " + endpoint + ", " +
              std::to_string(p.prompt.size()) + " prompt tokens, up to " + std::to_string(p.max_tokens) +
              " new",
          {{"prompt_tokens", p.prompt.size()}, {"ttft_ms", 1000 * p.ttft_s}});
  return Respond(std::shared_ptr<Prepared>(std::move(prepared.value())));
}

net::HttpResponse CompletionApi::Respond(std::shared_ptr<Prepared> p) {
  // The generation loop, over the session; `emit` gets each text delta and
  // says whether to go on (false: the client is gone).
  auto run = [this, p](const std::function<bool(const std::string&)>& emit) {
    model::Completion completion(*p->meta->tokenizer,
                                 {p->max_tokens, p->request.stop, p->request.ignore_eos});
    std::vector<int32_t> generated;
    double last = MonotonicSeconds();
    auto next = [&](int pos, std::span<const int32_t> tokens) -> Result<int32_t> {
      if (stopping_)
        return Status::Unavailable("the gateway is shutting down; the generation was stopped after " +
                                   std::to_string(generated.size()) + " tokens");
      Result<int32_t> t = p->first ? std::move(*p->first) : p->session->Next(pos, tokens);
      p->first.reset();
      if (t.ok()) {
        generated.push_back(*t);
        metrics_.CountTokens(0, 1);
        double now = MonotonicSeconds();
        if (generated.size() > 1) metrics_.ObserveInterToken(now - last);
        last = now;
      }
      return t;
    };
    auto on_step = [&](const model::Step& step) { return step.text.empty() || emit(step.text); };
    auto result = p->max_tokens == 0 ? Result<model::GenerationResult>(model::GenerationResult{})
                                     : model::Generate(p->prompt, next, completion, p->meta->n_ctx, on_step);
    std::string tail = completion.Finish();
    if (!tail.empty()) emit(tail);
    p->context.shardswarm["completion_tokens"] = generated;
    metrics_.CountTokens(static_cast<int>(p->prompt.size()), 0);
    const double seconds = MonotonicSeconds() - p->started - p->ttft_s;
    nlohmann::json fields = {
        {"completion_tokens", generated.size()},
        {"ttft_ms", 1000 * p->ttft_s},
        {"tokens_per_s",
         generated.size() > 1 && seconds > 0 ? static_cast<double>(generated.size() - 1) / seconds : 0.0}};
    const std::string which = "request " + std::to_string(p->id);
    if (!result.ok()) {
      Journal(*p, "failed",
              which + " failed after " + std::to_string(generated.size()) +
                  " tokens: " + result.status().message(),
              fields);
      return Result<std::pair<std::string, int>>(result.status());
    }
    std::string reason = p->max_tokens == 0 ? "length" : std::string(model::FinishReasonName(result->reason));
    fields["finish_reason"] = reason;
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.1f", fields["tokens_per_s"].get<double>());
    Journal(*p, "finished",
            which + " finished (" + reason + "): " + std::to_string(generated.size()) +
                " tokens, first after " + std::to_string(static_cast<int>(1000 * p->ttft_s)) + " ms, " +
                rate + " tokens/s",
            fields);
    return Result<std::pair<std::string, int>>(std::make_pair(reason, static_cast<int>(generated.size())));
  };
  const bool chat = p->request.kind == ApiKind::kChat;
  net::HttpResponse response;
  if (p->route) response.headers.push_back({"x-shardswarm-route", p->route->Header()});
  if (!p->request.stream) {
    std::string text;
    auto done = run([&](const std::string& delta) {
      text += delta;
      return true;
    });
    if (!done.ok()) {
      response.status = HttpStatusOf(done.status());
      response.body = ErrorBody(done.status()).dump() + "\n";
      return response;
    }
    nlohmann::json body = CompletionBody(p->context, text, done->first,
                                         Usage(static_cast<int>(p->prompt.size()), done->second));
    response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    return response;
  }
  response.content_type = "text/event-stream";
  response.headers.push_back({"cache-control", "no-cache"});
  response.stream = [p, run, chat](net::HttpStreamWriter& w) {
    bool first = true;
    auto emit = [&](const std::string& delta) {
      bool ok = w.Write(SseEvent(StreamChunk(p->context, delta, first && chat, std::nullopt)));
      first = false;
      return ok;
    };
    if (chat && !emit("")) return;
    auto done = run(emit);
    if (w.ClientGone()) return;
    if (!done.ok()) {
      w.Write(SseEvent(ErrorBody(done.status())));
      return;
    }
    w.Write(SseEvent(StreamChunk(p->context, "", false, done->first)));
    if (p->request.include_usage)
      w.Write(SseEvent(UsageChunk(p->context, Usage(static_cast<int>(p->prompt.size()), done->second))));
    w.Write(kSseDone);
  };
  return response;
}

void CompletionApi::Shutdown(std::chrono::milliseconds grace) {
  stopping_ = true;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (running_ > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

void CompletionApi::Track(const Prepared& p, bool running) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!running) {
    sessions_.erase(p.id);
    return;
  }
  sessions_[p.id] = {{"request_id", p.id},
                     {"session", std::to_string(p.session->id())},
                     {"kind", p.request.kind == ApiKind::kChat ? "chat" : "completion"},
                     {"prompt_tokens", p.prompt.size()},
                     {"max_tokens", p.max_tokens},
                     {"route", p.route ? p.route->ToJson() : nlohmann::json::array()}};
}

// The session's options: this gateway's, with failover onto another route
// that swaps the request's route (load counts, what the response reports).
SwarmSessionOptions CompletionApi::SessionOptions(Prepared& p) {
  SwarmSessionOptions o = options_.session;
  Prepared* request = &p;
  o.reroute = [this, request](const std::set<std::string>& avoid) -> Result<Route> {
    SS_ASSIGN_OR_RETURN(Route next,
                        router_.Pick(swarm_, request->meta->model_id, request->meta->n_layer, avoid));
    router_.Release(*request->route);
    router_.Acquire(next);
    request->route = next;
    return next;
  };
  o.on_failover = [this, request](const Route& from, const Route& to, int replayed, const std::string& why,
                                  double pause_s) {
    nlohmann::json record = {{"from", from.ToJson()},
                             {"to", to.ToJson()},
                             {"replayed_positions", replayed},
                             {"pause_ms", 1000 * pause_s},
                             {"why", why}};
    request->context.shardswarm["route"] = to.ToJson();
    request->context.shardswarm["failovers"].push_back(record);
    Track(*request, true);
    metrics_.CountFailover();
    char pause[32];
    std::snprintf(pause, sizeof pause, "%.0f", 1000 * pause_s);
    const std::string words = "request " + std::to_string(request->id) + " moved to another route after " +
                              why + ": replayed " + std::to_string(replayed) + " positions, paused " + pause +
                              " ms";
    Log("STATUS", words);
    Journal(*request, "failover", words, record);
  };
  return o;
}

void CompletionApi::Journal(const Prepared& p, const std::string& state, const std::string& words,
                            nlohmann::json fields) {
  nlohmann::json route = nlohmann::json::array();
  if (p.route)
    for (const auto& h : p.route->hops) route.push_back(h.peer_id);
  fields["request_id"] = p.id;
  fields["state"] = state;
  fields["route"] = route;
  journal_.Add("request", words, std::move(fields));
}

nlohmann::json CompletionApi::Sessions() const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json j = nlohmann::json::array();
  for (const auto& [id, s] : sessions_) j.push_back(s);
  return j;
}

}  // namespace ss::gateway
