#include "gateway/openai_response.h"

#include <random>

#include "net/message.h"
#include "util/clock.h"

namespace ss::gateway {

ResponseContext NewResponseContext(ApiKind kind, const std::string& model) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string id = kind == ApiKind::kChat ? "chatcmpl-" : "cmpl-";
  for (int i = 0; i < 24; ++i) id += kDigits[rng() % 36];
  ResponseContext c;
  c.kind = kind;
  c.id = id;
  c.created = UnixMillis() / 1000;
  c.model = model;
  return c;
}

nlohmann::json Usage(int prompt_tokens, int completion_tokens) {
  return {{"prompt_tokens", prompt_tokens},
          {"completion_tokens", completion_tokens},
          {"total_tokens", prompt_tokens + completion_tokens}};
}

namespace {

nlohmann::json Envelope(const ResponseContext& c, bool chunk) {
  const char* object =
      c.kind == ApiKind::kChat ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion";
  return {{"id", c.id}, {"object", object}, {"created", c.created}, {"model", c.model}};
}

nlohmann::json FinishReason(const std::optional<std::string>& r) {
  return r ? nlohmann::json(*r) : nlohmann::json();
}

}  // namespace

nlohmann::json CompletionBody(const ResponseContext& c, const std::string& text,
                              const std::string& finish_reason, const nlohmann::json& usage) {
  nlohmann::json j = Envelope(c, false);
  nlohmann::json choice = {{"index", 0}, {"finish_reason", finish_reason}, {"logprobs", nullptr}};
  if (c.kind == ApiKind::kChat)
    choice["message"] = {{"role", "assistant"}, {"content", text}};
  else
    choice["text"] = text;
  j["choices"] = nlohmann::json::array({choice});
  j["usage"] = usage;
  j["shardswarm"] = c.shardswarm;
  return j;
}

nlohmann::json StreamChunk(const ResponseContext& c, const std::string& text, bool first,
                           const std::optional<std::string>& finish_reason) {
  nlohmann::json j = Envelope(c, true);
  nlohmann::json choice = {
      {"index", 0}, {"finish_reason", FinishReason(finish_reason)}, {"logprobs", nullptr}};
  if (c.kind == ApiKind::kChat) {
    nlohmann::json delta = nlohmann::json::object();
    if (first) delta["role"] = "assistant";
    if (!text.empty() || (first && !finish_reason)) delta["content"] = text;
    choice["delta"] = delta;
  } else {
    choice["text"] = text;
  }
  j["choices"] = nlohmann::json::array({choice});
  if (finish_reason) j["shardswarm"] = c.shardswarm;
  return j;
}

nlohmann::json UsageChunk(const ResponseContext& c, const nlohmann::json& usage) {
  nlohmann::json j = Envelope(c, true);
  j["choices"] = nlohmann::json::array();
  j["usage"] = usage;
  return j;
}

std::string SseEvent(const nlohmann::json& data) { return "data: " + net::SerializeMessage(data) + "\n\n"; }

int HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kRefused:
      return 403;
    case StatusCode::kBusy:
      return 429;
    case StatusCode::kNotReady:
      return 503;
    case StatusCode::kUnavailable:
      return 502;
    case StatusCode::kError:
      break;
  }
  return 500;
}

nlohmann::json ErrorBody(const Status& s, const std::string& param, const std::string& code) {
  const int http = HttpStatusOf(s);
  const char* type = http == 400   ? "invalid_request_error"
                     : http == 429 ? "rate_limit_error"
                     : http == 403 ? "permission_error"
                     : http == 503 ? "service_unavailable"
                                   : "server_error";
  nlohmann::json body = ApiErrorBody(s.message(), type, param, code);
  if (code.empty()) body["error"]["code"] = http;
  return body;
}

nlohmann::json ApiErrorBody(const std::string& message, const std::string& type, const std::string& param,
                            const std::string& code) {
  return {{"error",
           {{"message", message},
            {"type", type},
            {"param", param.empty() ? nlohmann::json() : nlohmann::json(param)},
            {"code", code.empty() ? nlohmann::json() : nlohmann::json(code)}}}};
}

}  // namespace ss::gateway
