#pragma once
// The body of an OpenAI-compatible /v1/completions or /v1/chat/completions
// request, parsed and checked before anything is sent. Every byte comes from
// a client: parsing never throws, and every refusal (code kInvalidArgument)
// names the parameter and says what would be accepted. Parameters nobody
// knows are ignored (as llama-server does, so clients that send extras keep
// working); known OpenAI parameters we do not support are refused when given
// a value other than their default, naming them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/chat_template.h"
#include "model/sampler.h"
#include "util/status.h"

namespace ss::gateway {

enum class ApiKind { kCompletion, kChat };

struct CompletionRequest {
  ApiKind kind = ApiKind::kCompletion;
  std::string model;                         // echoed back; any name is accepted
  std::string prompt;                        // kCompletion, as text ...
  std::vector<int32_t> prompt_tokens;        // ... or as token ids
  std::vector<model::ChatMessage> messages;  // kChat
  std::optional<int> max_tokens;             // absent: 16 for completions, the context's rest for chat
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  model::SamplingParams sampling;
  bool seed_given = false;
  std::vector<std::string> stop;
  bool ignore_eos = false;
};

// Limits that do not depend on the model.
inline constexpr size_t kMaxStopStrings = 4;  // as OpenAI
inline constexpr size_t kMaxMessages = 1024;

Result<CompletionRequest> ParseCompletionRequest(std::string_view body, ApiKind kind);

}  // namespace ss::gateway
