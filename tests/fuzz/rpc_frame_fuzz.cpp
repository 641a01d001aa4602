// The parsers of untrusted RPC bytes (DESIGN.md §10). The first byte picks
// the parser: even -> ParseControlMessage on the rest as text, 1 (mod 4) ->
// DecodeActivationFrame, 3 (mod 4) -> DecodeForward (a JSON header and a
// frame). Whatever they accept must be safe to use and, for frames,
// re-encode to exactly the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "net/activation_frame.h"
#include "net/forward_message.h"
#include "net/message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t* rest = data + 1;
  size_t n = size - 1;
  if ((data[0] & 1) == 0) {
    std::string_view text(reinterpret_cast<const char*>(rest), n);
    auto message = ss::net::ParseControlMessage(text, 1 << 16);
    nlohmann::json envelope = ss::net::ReplyEnvelopeOf(text);
    std::string reply = ss::net::SerializeMessage(ss::net::ErrorReply(envelope, std::string(text)));
    if (!message.ok()) return 0;
    reply = ss::net::SerializeMessage(ss::net::OkReply(*message));
    if (!ss::net::ValidateControlMessage(ss::net::OkReply(*message)).ok()) abort();
    return 0;
  }
  if ((data[0] & 3) == 3) {
    auto m = ss::net::DecodeForward(rest, n, 4096, 8192);
    if (!m.ok()) return 0;
    if (m->header.stage < 0 || m->header.stage >= static_cast<int>(m->header.route.size())) abort();
    if (m->frame.session != m->header.session || m->frame.request_id != m->header.step) abort();
    if (!ss::net::EncodeForward(m->header, m->frame).ok()) abort();
    return 0;
  }
  auto frame = ss::net::DecodeActivationFrame(rest, n, 4096, 8192);
  if (!frame.ok()) return 0;
  auto again = ss::net::EncodeActivationFrame(*frame);
  if (!again.ok() || again->size() != n || std::memcmp(again->data(), rest, n) != 0) abort();
  return 0;
}
