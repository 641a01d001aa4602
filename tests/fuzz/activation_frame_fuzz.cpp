// Activation frames (net/activation_frame.h) as any peer may send them, under
// limits taken from the first two bytes (so small and large limits are both
// explored). Whatever decodes is within the limits, consistent, and encodes
// back to exactly the same bytes.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "net/activation_frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t max_rows = 1 + data[0] * 16u, max_width = 1 + data[1] * 32u;
  const uint8_t* bytes = data + 2;
  const size_t n = size - 2;
  auto frame = ss::net::DecodeActivationFrame(bytes, n, max_rows, max_width);
  if (!frame.ok()) {
    if (frame.status().message().empty()) __builtin_trap();
    return 0;
  }
  if (frame->rows.empty() || frame->rows.size() > max_rows || frame->width > max_width) __builtin_trap();
  if (frame->values.size() != frame->rows.size() * frame->width) __builtin_trap();
  for (float v : frame->values)
    if (!std::isfinite(v)) __builtin_trap();
  auto again = ss::net::EncodeActivationFrame(*frame);
  if (!again.ok() || again->size() != n || std::memcmp(again->data(), bytes, n) != 0) __builtin_trap();
  return 0;
}
