// FORWARD messages (net/forward_message.h) as any peer may send them: a JSON
// header and an activation frame. What decodes is consistent (its stage is in
// its route, header and frame name the same session and step), encodes again
// (unless re-encoding made the header too long), and decodes from that
// encoding to the same message. The node's reading of
// the header's "sampling" object (node/forward_session.h) never crashes and
// accepts only parameters the sampler takes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "model/sampler.h"
#include "net/forward_message.h"
#include "node/forward_session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = ss::net::DecodeForward(data, size, 4096, 8192);
  if (!m.ok()) {
    if (m.status().message().empty()) __builtin_trap();
    return 0;
  }
  const ss::net::ForwardHeader& h = m->header;
  if (h.stage < 0 || h.stage >= static_cast<int>(h.route.size()) || h.origin.empty()) __builtin_trap();
  if (m->frame.session != h.session || m->frame.request_id != h.step) __builtin_trap();
  auto bytes = ss::net::EncodeForward(h, m->frame);
  // Re-encoding may lengthen a header (1e9 is written 1000000000.0) past the
  // limit; that, and only that, may fail, as an error the node reports.
  if (!bytes.ok()) {
    if (bytes.status().message().find("bytes is too long") == std::string::npos) __builtin_trap();
    return 0;
  }
  auto again = ss::net::DecodeForward(bytes->data(), bytes->size(), 4096, 8192);
  if (!again.ok() || again->header.route.size() != h.route.size() || again->header.stage != h.stage ||
      again->header.sample != h.sample || again->header.timings.size() != h.timings.size() ||
      again->frame.rows != m->frame.rows || again->frame.values.size() != m->frame.values.size())
    __builtin_trap();
  auto sampling = ss::node::ParseSamplingParams(h.sampling);
  if (sampling.ok() && !ss::model::ValidateSamplingParams(*sampling).ok()) __builtin_trap();
  return 0;
}
