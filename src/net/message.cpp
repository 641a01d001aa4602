#include "net/message.h"

#include <exception>

#include "util/json_parse.h"

namespace ss::net {
namespace {

bool IsTypeChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

Status CheckType(const nlohmann::json& message) {
  auto it = message.find("type");
  if (it == message.end()) return Status::Error("missing field \"type\"");
  if (!it->is_string()) return Status::Error("field \"type\" must be a string");
  const std::string& type = it->get_ref<const std::string&>();
  if (type.empty() || type.size() > kMaxTypeLength)
    return Status::Error("field \"type\" must be 1-" + std::to_string(kMaxTypeLength) + " characters, got " +
                         std::to_string(type.size()));
  for (char c : type)
    if (!IsTypeChar(c)) return Status::Error("field \"type\" may only contain A-Z, 0-9 and _");
  return Status::Ok();
}

Status CheckId(const nlohmann::json& message) {
  auto it = message.find("id");
  if (it == message.end()) return Status::Ok();
  if (it->is_number_integer()) return Status::Ok();  // signed or unsigned
  if (it->is_string()) {
    if (it->get_ref<const std::string&>().size() <= kMaxIdLength) return Status::Ok();
    return Status::Error("field \"id\" must be at most " + std::to_string(kMaxIdLength) + " characters");
  }
  return Status::Error("field \"id\" must be an integer or a string");
}

// Copies the fields a reply may echo, skipping any that fail validation, so a
// reply never repeats untrusted junk back to the peer.
nlohmann::json Envelope(const nlohmann::json& request) {
  nlohmann::json out = nlohmann::json::object();
  if (!request.is_object()) return out;
  if (CheckType(request).ok()) out["type"] = request["type"];
  if (request.contains("id") && CheckId(request).ok()) out["id"] = request["id"];
  return out;
}

}  // namespace

Status ValidateControlMessage(const nlohmann::json& message) {
  if (!message.is_object()) return Status::Error("message must be a JSON object");
  SS_RETURN_IF_ERROR(CheckType(message));
  return CheckId(message);
}

Result<nlohmann::json> ParseControlMessage(std::string_view text, size_t max_bytes) {
  if (text.size() > max_bytes)
    return Status::Error("message is " + std::to_string(text.size()) + " bytes, the limit is " +
                         std::to_string(max_bytes));
  nlohmann::json message;
  try {
    auto parsed = ParseUntrustedJson(text);
    if (!parsed.ok()) return Status::Error("message is " + parsed.status().message());
    message = std::move(parsed.value());
  } catch (const std::exception& e) {  // allocation failure and the like
    return Status::Error(std::string("message could not be parsed: ") + e.what());
  }
  SS_RETURN_IF_ERROR(ValidateControlMessage(message));
  return message;
}

nlohmann::json OkReply(const nlohmann::json& request) {
  nlohmann::json out = Envelope(request);
  out["status"] = "ok";
  return out;
}

nlohmann::json ErrorReply(const nlohmann::json& request_or_null, std::string error) {
  nlohmann::json out = Envelope(request_or_null);
  out["status"] = "error";
  out["error"] = std::move(error);
  return out;
}

nlohmann::json ReplyEnvelopeOf(std::string_view text) {
  nlohmann::json parsed;
  try {
    parsed = ParseUntrustedJsonOrDiscarded(text);
  } catch (const std::exception&) {
    return nullptr;
  }
  if (!parsed.is_object()) return nullptr;
  nlohmann::json out = Envelope(parsed);
  if (out.empty()) return nullptr;
  return out;
}

std::string SerializeMessage(const nlohmann::json& message) {
  return message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool IsErrorReply(const nlohmann::json& reply) {
  if (!reply.is_object()) return false;
  auto it = reply.find("status");
  return it != reply.end() && it->is_string() && it->get_ref<const std::string&>() == "error";
}

std::string StringOr(const nlohmann::json& j, const char* key, std::string fallback) {
  if (!j.is_object()) return fallback;
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

}  // namespace ss::net
