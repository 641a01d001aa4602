// JSON text messages of the RPC protocol as any peer may send them
// (net/message.h): the control-message check, the replies a server writes
// back (echoing what it can), the arguments of a node's commands
// (node/command_args.h), and a FORWARD_RESULT's timings as the gateway reads
// them. Nothing throws or crashes; accepted values are in range.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "net/forward_message.h"
#include "net/message.h"
#include "node/command_args.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto message = ss::net::ParseControlMessage(text, 1 << 16);
  if (!message.ok()) {
    nlohmann::json envelope = ss::net::ReplyEnvelopeOf(text);
    std::string reply = ss::net::SerializeMessage(ss::net::ErrorReply(envelope, message.status().message()));
    if (reply.empty() || message.status().message().empty()) __builtin_trap();
    return 0;
  }
  nlohmann::json ok = ss::net::OkReply(*message);
  if (!ss::net::ValidateControlMessage(ok).ok() || ss::net::IsErrorReply(ok)) __builtin_trap();
  (void)ss::net::SerializeMessage(ss::net::ErrorReply(*message, std::string(text)));
  const std::string type = ss::net::StringOr(*message, "type", "");
  if (type.empty()) __builtin_trap();
  if (auto s = ss::node::SessionCloseArgs(*message); s.ok() && (*message)["session"] != *s) __builtin_trap();
  for (int total : {1, 4, 100000})
    if (auto k = ss::node::LoadShardArgs(*message, total); k.ok() && (*k < 0 || *k >= total))
      __builtin_trap();
  for (const ss::net::StageTiming& t : ss::net::ResultTimings(*message)) (void)(t.wait_ms + t.compute_ms);
  return 0;
}
