#pragma once
// Binary activation frames (DESIGN.md §7): how token rows and hidden states
// travel between pipeline stages as WebSocket binary frames.
//
// Layout, all integers little-endian, floats IEEE-754 binary32 little-endian:
//   offset  0  "SSAF"                magic
//           4  u16 version           kActivationFrameVersion
//           6  u16 kind              ActivationKind
//           8  u64 request id
//          16  u64 session
//          24  u32 n_rows            >= 1
//          28  u32 width             0 for kTokens, >= 1 for kHiddenStates
//          32  n_rows x (i32 pos, i32 token)
//              n_rows x width x f32  row-major
// The frame is exactly that long; nothing may follow.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "util/status.h"

namespace ss::net {

inline constexpr uint16_t kActivationFrameVersion = 1;
inline constexpr size_t kActivationHeaderBytes = 32;

enum class ActivationKind : uint16_t {
  kTokens = 1,        // rows carry (pos, token) only: the input of the first stage
  kHiddenStates = 2,  // rows carry (pos, token) and a hidden-state vector of `width` floats
};

struct ActivationRow {
  int32_t pos = 0;
  int32_t token = 0;
  bool operator==(const ActivationRow&) const = default;
};

struct ActivationFrame {
  ActivationKind kind = ActivationKind::kHiddenStates;
  uint64_t request_id = 0;
  uint64_t session = 0;
  uint32_t width = 0;
  std::vector<ActivationRow> rows;
  std::vector<float> values;  // rows.size() * width, row-major
};

// Fails when the frame is inconsistent (values.size() != rows * width, no rows,
// width not matching the kind) rather than writing something Decode refuses.
Result<std::vector<uint8_t>> EncodeActivationFrame(const ActivationFrame& frame);

// Validates everything before allocating or reading: header, magic, version,
// kind, 1 <= n_rows <= max_rows, width <= max_width, exact length (computed
// without overflow), finite values. Errors say what is wrong and by how much.
Result<ActivationFrame> DecodeActivationFrame(const uint8_t* data, size_t size, size_t max_rows,
                                              size_t max_width);

}  // namespace ss::net
