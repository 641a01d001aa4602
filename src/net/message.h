#pragma once
// Control messages of the RPC protocol (DESIGN.md §7): JSON text frames of the
// shape {"type": "GET_CAPABILITIES", "id": 7, ...}. Every byte here comes from
// a peer, so parsing never throws and every refusal names the offending field.
//
// Contract of a valid control message:
//   - a JSON object;
//   - "type": a string of 1-40 characters from [A-Z0-9_];
//   - "id": absent, an integer, or a string of at most 64 characters.
// Replies echo type and id and carry "status": "ok" | "error" (plus "error",
// a readable message, when status is "error").

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "util/status.h"

namespace ss::net {

inline constexpr size_t kMaxTypeLength = 40;
inline constexpr size_t kMaxIdLength = 64;

// Checks an already parsed value against the contract above.
Status ValidateControlMessage(const nlohmann::json& message);

// Size check (text longer than max_bytes is refused unparsed), JSON parse with
// exceptions disabled, then ValidateControlMessage.
Result<nlohmann::json> ParseControlMessage(std::string_view text, size_t max_bytes);

// {type, id, status: "ok"}; type and id are copied only when they are valid.
nlohmann::json OkReply(const nlohmann::json& request);
// {type, id, status: "error", error}; request may be null (nothing to echo).
nlohmann::json ErrorReply(const nlohmann::json& request_or_null, std::string error);

// What an error reply to unparseable or invalid text can still echo: {type, id}
// when the text is a JSON object with a valid type/id, otherwise null. Parses
// the text again, so use it only on the error path.
nlohmann::json ReplyEnvelopeOf(std::string_view text);

// Compact JSON text. Never throws: strings that are not valid UTF-8 (which a
// handler might produce) are written with U+FFFD replacements.
std::string SerializeMessage(const nlohmann::json& message);

// True for a reply whose "status" is "error".
bool IsErrorReply(const nlohmann::json& reply);

// j[key] when j is an object holding a string there, else `fallback`. For
// JSON from peers: nlohmann's value() throws when the key holds another type.
std::string StringOr(const nlohmann::json& j, const char* key, std::string fallback);

}  // namespace ss::net
