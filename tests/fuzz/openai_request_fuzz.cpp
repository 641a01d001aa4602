// Request bodies of /v1/completions and /v1/chat/completions, as any client
// may send them: parsing never crashes, and what it accepts is consistent.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "gateway/openai_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  for (auto kind : {ss::gateway::ApiKind::kCompletion, ss::gateway::ApiKind::kChat}) {
    auto r = ss::gateway::ParseCompletionRequest(body, kind);
    if (!r.ok()) {
      if (r.status().code() != ss::StatusCode::kInvalidArgument || r.status().message().empty())
        __builtin_trap();
      continue;
    }
    if (r->stop.size() > ss::gateway::kMaxStopStrings) __builtin_trap();
    if (r->max_tokens && *r->max_tokens < 0) __builtin_trap();
    if (kind == ss::gateway::ApiKind::kChat && r->messages.empty()) __builtin_trap();
    if (!(r->sampling.temperature >= 0) || !(r->sampling.top_p > 0)) __builtin_trap();
  }
  return 0;
}
