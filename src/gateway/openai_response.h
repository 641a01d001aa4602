#pragma once
// The JSON shapes of OpenAI's completion and chat completion responses, their
// streamed chunks (server-sent events ending in "data: [DONE]"), and errors
// ({"error": {"message", "type", "code"}}) with the HTTP status each Status
// code maps to. Every response also carries a "shardswarm" object: the route
// (which node served each stage) and the generated token ids.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "gateway/openai_request.h"
#include "util/status.h"

namespace ss::gateway {

struct ResponseContext {
  ApiKind kind = ApiKind::kCompletion;
  std::string id;  // "cmpl-…" or "chatcmpl-…"
  int64_t created = 0;
  std::string model;
  nlohmann::json shardswarm = nlohmann::json::object();
};

ResponseContext NewResponseContext(ApiKind kind, const std::string& model);

nlohmann::json Usage(int prompt_tokens, int completion_tokens);
nlohmann::json CompletionBody(const ResponseContext& c, const std::string& text,
                              const std::string& finish_reason, const nlohmann::json& usage);
// A streamed delta; chat's first chunk carries the role (first = true).
nlohmann::json StreamChunk(const ResponseContext& c, const std::string& text, bool first,
                           const std::optional<std::string>& finish_reason);
nlohmann::json UsageChunk(const ResponseContext& c, const nlohmann::json& usage);
std::string SseEvent(const nlohmann::json& data);  // "data: {…}\n\n"
inline constexpr const char* kSseDone = "data: [DONE]\n\n";

int HttpStatusOf(const Status& status);
// The error of `status`; `param` names the parameter at fault (empty: null),
// `code` is OpenAI's machine-readable code (empty: the HTTP status number).
nlohmann::json ErrorBody(const Status& status, const std::string& param = "", const std::string& code = "");
// {"error": {message, type, param, code}}; an empty param or code is null.
nlohmann::json ApiErrorBody(const std::string& message, const std::string& type, const std::string& param,
                            const std::string& code);

}  // namespace ss::gateway
