#include "gateway/openai_request.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "model/utf8.h"
#include "util/json_parse.h"

namespace ss::gateway {
namespace {

using nlohmann::json;

Status Bad(const std::string& message) { return Status::InvalidArgument(message); }

// A number parameter within [lo, hi], or the default when absent or null.
Status Number(const json& body, const char* name, double lo, double hi, float* out) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return Status::Ok();
  if (!it->is_number())
    return Bad(std::string("'") + name + "' must be a number, not " + std::string(it->type_name()));
  double v = it->get<double>();
  if (!std::isfinite(v) || v < lo || v > hi)
    return Bad(std::string("'") + name + "' must be between " + json(lo).dump() + " and " + json(hi).dump() +
               ", not " + it->dump());
  *out = static_cast<float>(v);
  return Status::Ok();
}

Result<std::optional<int64_t>> Integer(const json& body, const char* name, int64_t lo, int64_t hi) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer())
    return Bad(std::string("'") + name + "' must be an integer, not " +
               (it->is_number() ? it->dump() : std::string(it->type_name())));
  const bool above = it->is_number_unsigned() && it->get<uint64_t>() > static_cast<uint64_t>(hi);
  const int64_t v = above ? hi : it->get<int64_t>();
  if (above || v < lo || v > hi)
    return Bad(std::string("'") + name + "' must be between " + std::to_string(lo) + " and " +
               std::to_string(hi) + ", not " + it->dump());
  return std::optional<int64_t>(v);
}

Result<bool> Bool(const json& body, const char* name, bool fallback) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) return Bad(std::string("'") + name + "' must be true or false, not " + it->dump());
  return it->get<bool>();
}

Status ValidText(const std::string& text, const std::string& what) {
  Status s = model::ValidateUtf8(text);
  return s.ok() ? s : Bad(what + ": " + s.message());
}

// Known OpenAI parameters this gateway does not implement: refused unless
// they carry their default (absent, null, false, empty, 1).
Status RefuseUnsupported(const json& body) {
  for (const char* name : {"logprobs", "echo", "logit_bias", "tools", "functions", "suffix", "top_logprobs",
                           "tool_choice", "function_call", "audio", "modalities", "prediction"}) {
    auto it = body.find(name);
    if (it == body.end() || it->is_null()) continue;
    bool is_default =
        (it->is_boolean() && !it->get<bool>()) || (it->is_object() && it->empty()) ||
        (it->is_array() && it->empty()) || (it->is_string() && it->get_ref<const std::string&>().empty()) ||
        (std::string(name) == "tool_choice" && it->is_string() && it->get<std::string>() == "none");
    if (!is_default) return Bad(std::string("'") + name + "' is not supported by shardswarm");
  }
  for (const char* name : {"n", "best_of"}) {
    auto it = body.find(name);
    if (it != body.end() && !it->is_null() && !(it->is_number_integer() && it->get<int64_t>() == 1))
      return Bad(std::string("'") + name + "' must be 1: shardswarm generates one choice per request");
  }
  auto rf = body.find("response_format");
  if (rf != body.end() && !rf->is_null() &&
      !(rf->is_object() && rf->value("type", json()).is_string() && rf->value("type", "") == "text"))
    return Bad("'response_format' other than {\"type\": \"text\"} is not supported by shardswarm");
  return Status::Ok();
}

Status ParseStop(const json& body, CompletionRequest* r) {
  auto it = body.find("stop");
  if (it == body.end() || it->is_null()) return Status::Ok();
  std::vector<json> items =
      it->is_array() ? std::vector<json>(it->begin(), it->end()) : std::vector<json>{*it};
  if (items.size() > kMaxStopStrings)
    return Bad("'stop' may hold at most " + std::to_string(kMaxStopStrings) + " strings, not " +
               std::to_string(items.size()));
  for (const json& s : items) {
    if (!s.is_string()) return Bad("'stop' must be a string or a list of strings");
    const std::string& text = s.get_ref<const std::string&>();
    if (text.empty()) return Bad("'stop' strings may not be empty");
    SS_RETURN_IF_ERROR(ValidText(text, "a 'stop' string"));
    r->stop.push_back(text);
  }
  return Status::Ok();
}

Status ParseSampling(const json& body, CompletionRequest* r) {
  model::SamplingParams& p = r->sampling;
  SS_RETURN_IF_ERROR(Number(body, "temperature", 0, 2, &p.temperature));
  SS_RETURN_IF_ERROR(Number(body, "top_p", 0, 1, &p.top_p));
  SS_RETURN_IF_ERROR(Number(body, "min_p", 0, 1, &p.min_p));
  SS_RETURN_IF_ERROR(Number(body, "presence_penalty", -2, 2, &p.presence_penalty));
  SS_RETURN_IF_ERROR(Number(body, "frequency_penalty", -2, 2, &p.frequency_penalty));
  SS_RETURN_IF_ERROR(Number(body, "repeat_penalty", 0, 10, &p.repeat_penalty));
  if (p.top_p == 0) return Bad("'top_p' must be above 0");
  if (p.repeat_penalty == 0) return Bad("'repeat_penalty' must be above 0");
  SS_ASSIGN_OR_RETURN(auto top_k, Integer(body, "top_k", 0, std::numeric_limits<int32_t>::max()));
  if (top_k) p.top_k = static_cast<int32_t>(*top_k);
  SS_ASSIGN_OR_RETURN(auto last_n, Integer(body, "repeat_last_n", 0, 1 << 20));
  if (last_n) p.penalty_last_n = static_cast<int32_t>(*last_n);
  SS_ASSIGN_OR_RETURN(auto seed, Integer(body, "seed", std::numeric_limits<int64_t>::min(),
                                         std::numeric_limits<int64_t>::max()));
  if (seed) {
    // As llama.cpp: the seed is taken modulo 2^32.
    p.seed = static_cast<uint32_t>(static_cast<uint64_t>(*seed));
    r->seed_given = true;
  }
  Status s = model::ValidateSamplingParams(p);
  return s.ok() ? s : Bad(s.message());
}

Status ParsePrompt(const json& body, CompletionRequest* r) {
  auto it = body.find("prompt");
  if (it == body.end() || it->is_null()) return Bad("'prompt' is required");
  if (it->is_string()) {
    r->prompt = it->get<std::string>();
    return ValidText(r->prompt, "'prompt'");
  }
  if (it->is_array() && it->size() == 1 && (*it)[0].is_string()) {
    r->prompt = (*it)[0].get<std::string>();
    return ValidText(r->prompt, "'prompt'");
  }
  if (it->is_array() && !it->empty() && (*it)[0].is_number()) {
    for (const json& t : *it) {
      if (!t.is_number_integer() || t.get<int64_t>() < 0 ||
          t.get<int64_t>() > std::numeric_limits<int32_t>::max())
        return Bad("'prompt' as token ids must hold non-negative integers only");
      r->prompt_tokens.push_back(static_cast<int32_t>(t.get<int64_t>()));
    }
    return Status::Ok();
  }
  if (it->is_array() && it->size() > 1)
    return Bad("'prompt' holds several prompts; shardswarm takes one per request");
  return Bad("'prompt' must be a string, a list of one string, or a list of token ids");
}

// A message's text. Only an assistant's may be absent or null (an empty turn,
// as the API allows there); a system or user message without content is
// refused rather than read as empty.
Result<std::string> MessageContent(const json& m, size_t i, const std::string& role) {
  auto c = m.find("content");
  std::string where = "messages[" + std::to_string(i) + "].content";
  if (c == m.end() || c->is_null()) {
    if (role == "assistant") return std::string();
    return Bad("'" + where + "' is required for a " + role + " message: a string or a list of text parts");
  }
  if (c->is_string()) return c->get<std::string>();
  if (!c->is_array()) return Bad("'" + where + "' must be a string or a list of text parts");
  std::string text;
  for (const json& part : *c) {
    if (!part.is_object() || part.value("type", json()) != "text" || !part.contains("text") ||
        !part["text"].is_string())
      return Bad("'" + where + "' may hold only {\"type\": \"text\", \"text\": ...} parts");
    text += part["text"].get<std::string>();
  }
  return text;
}

Status ParseMessages(const json& body, CompletionRequest* r) {
  auto it = body.find("messages");
  if (it != body.end() && !it->is_null() && !it->is_array())
    return Bad("'messages' must be a list of {\"role\", \"content\"} objects, not " +
               std::string(it->type_name()));
  if (it == body.end() || !it->is_array() || it->empty())
    return Bad("'messages' is required: a non-empty list of {\"role\", \"content\"} objects");
  if (it->size() > kMaxMessages)
    return Bad("'messages' holds more than " + std::to_string(kMaxMessages) + " messages");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& m = (*it)[i];
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      return Bad("'messages[" + std::to_string(i) + "]' must be an object with a string 'role'");
    std::string role = m["role"].get<std::string>();
    if (role == "developer") role = "system";
    if (role != "system" && role != "user" && role != "assistant")
      return Bad("'messages[" + std::to_string(i) +
                 "].role' must be system, developer, user or assistant, not '" + role + "'");
    SS_ASSIGN_OR_RETURN(std::string content, MessageContent(m, i, role));
    SS_RETURN_IF_ERROR(ValidText(content, "'messages[" + std::to_string(i) + "].content'"));
    r->messages.push_back({role, std::move(content)});
  }
  return Status::Ok();
}

}  // namespace

Result<CompletionRequest> ParseCompletionRequest(std::string_view text, ApiKind kind) {
  auto parsed = ParseUntrustedJson(text);
  if (!parsed.ok()) return Bad("the request body is " + parsed.status().message());
  const json body = std::move(parsed.value());
  if (!body.is_object()) return Bad("the request body must be a JSON object");
  CompletionRequest r;
  r.kind = kind;
  auto model = body.find("model");
  if (model != body.end() && !model->is_null()) {
    if (!model->is_string()) return Bad("'model' must be a string");
    r.model = model->get<std::string>();
  }
  SS_RETURN_IF_ERROR(RefuseUnsupported(body));
  SS_RETURN_IF_ERROR(kind == ApiKind::kChat ? ParseMessages(body, &r) : ParsePrompt(body, &r));
  SS_ASSIGN_OR_RETURN(r.stream, Bool(body, "stream", false));
  SS_ASSIGN_OR_RETURN(r.ignore_eos, Bool(body, "ignore_eos", false));
  auto so = body.find("stream_options");
  if (so != body.end() && !so->is_null()) {
    if (!so->is_object()) return Bad("'stream_options' must be an object");
    SS_ASSIGN_OR_RETURN(r.include_usage, Bool(*so, "include_usage", false));
  }
  const char* max_name = body.contains("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
  SS_ASSIGN_OR_RETURN(auto max_tokens, Integer(body, max_name, 0, std::numeric_limits<int32_t>::max()));
  if (max_tokens) r.max_tokens = static_cast<int>(*max_tokens);
  SS_RETURN_IF_ERROR(ParseSampling(body, &r));
  SS_RETURN_IF_ERROR(ParseStop(body, &r));
  return r;
}

}  // namespace ss::gateway
