#pragma once
// JSON text that came from elsewhere (HTTP bodies, RPC messages, FORWARD
// headers, DHT values, manifests): parsed with its nesting bounded.
// nlohmann's parser keeps its own stack, but copying, comparing and dump()ing
// a value recurse, so a body of "[[[[…" 100,000 deep would overflow the
// stack of whichever thread touched it next (a fuzz finding).

#include <nlohmann/json.hpp>
#include <string_view>

#include "util/status.h"

namespace ss {

// Far deeper than any message of ours or OpenAI's API (about 5).
inline constexpr int kMaxJsonDepth = 64;

// The value, or an error saying why not: "not valid JSON: <the parser's
// words>" or "nested deeper than 64 levels".
Result<nlohmann::json> ParseUntrustedJson(std::string_view text);

// The same as a value: discarded (is_discarded()) on either error.
nlohmann::json ParseUntrustedJsonOrDiscarded(std::string_view text);

}  // namespace ss
