#include "net/activation_frame.h"

#include <cmath>
#include <cstring>
#include <string>

namespace ss::net {
namespace {

constexpr char kMagic[4] = {'S', 'S', 'A', 'F'};

// Explicit byte order so the wire format does not depend on the host.
void Put16(std::vector<uint8_t>& out, uint16_t v) {
  for (int i = 0; i < 2; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void Put32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void Put64(std::vector<uint8_t>& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t Get32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}
uint64_t Get64(const uint8_t* p) { return uint64_t{Get32(p)} | (uint64_t{Get32(p + 4)} << 32); }

Status CheckShape(ActivationKind kind, uint64_t n_rows, uint64_t width) {
  if (n_rows == 0) return Status::Error("frame has no rows");
  if (kind == ActivationKind::kTokens && width != 0)
    return Status::Error("a token frame must have width 0, got " + std::to_string(width));
  if (kind == ActivationKind::kHiddenStates && width == 0)
    return Status::Error("a hidden-state frame must have width >= 1");
  return Status::Ok();
}

}  // namespace

Result<std::vector<uint8_t>> EncodeActivationFrame(const ActivationFrame& frame) {
  if (frame.kind != ActivationKind::kTokens && frame.kind != ActivationKind::kHiddenStates)
    return Status::Error("unknown frame kind " + std::to_string(static_cast<unsigned>(frame.kind)));
  if (frame.rows.size() > UINT32_MAX) return Status::Error("too many rows for one frame");
  SS_RETURN_IF_ERROR(CheckShape(frame.kind, frame.rows.size(), frame.width));
  if (frame.values.size() != frame.rows.size() * size_t{frame.width})
    return Status::Error("frame has " + std::to_string(frame.values.size()) + " values, expected " +
                         std::to_string(frame.rows.size()) + " rows x " + std::to_string(frame.width));
  std::vector<uint8_t> out;
  out.reserve(kActivationHeaderBytes + frame.rows.size() * 8 + frame.values.size() * 4);
  out.insert(out.end(), kMagic, kMagic + 4);
  Put16(out, kActivationFrameVersion);
  Put16(out, static_cast<uint16_t>(frame.kind));
  Put64(out, frame.request_id);
  Put64(out, frame.session);
  Put32(out, static_cast<uint32_t>(frame.rows.size()));
  Put32(out, frame.width);
  for (const ActivationRow& r : frame.rows) {
    Put32(out, static_cast<uint32_t>(r.pos));
    Put32(out, static_cast<uint32_t>(r.token));
  }
  for (float v : frame.values) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    Put32(out, bits);
  }
  return out;
}

Result<ActivationFrame> DecodeActivationFrame(const uint8_t* data, size_t size, size_t max_rows,
                                              size_t max_width) {
  if (data == nullptr || size < kActivationHeaderBytes)
    return Status::Error("frame is " + std::to_string(size) + " bytes, shorter than the " +
                         std::to_string(kActivationHeaderBytes) + "-byte header");
  if (std::memcmp(data, kMagic, 4) != 0) return Status::Error("frame does not start with magic \"SSAF\"");
  uint16_t version = Get16(data + 4);
  if (version != kActivationFrameVersion)
    return Status::Error("frame version " + std::to_string(version) + " is not supported (expected " +
                         std::to_string(kActivationFrameVersion) + ")");
  uint16_t kind = Get16(data + 6);
  if (kind != static_cast<uint16_t>(ActivationKind::kTokens) &&
      kind != static_cast<uint16_t>(ActivationKind::kHiddenStates))
    return Status::Error("unknown frame kind " + std::to_string(kind));
  uint64_t n_rows = Get32(data + 24);
  uint64_t width = Get32(data + 28);
  SS_RETURN_IF_ERROR(CheckShape(static_cast<ActivationKind>(kind), n_rows, width));
  if (n_rows > max_rows)
    return Status::Error("frame has " + std::to_string(n_rows) + " rows, the limit is " +
                         std::to_string(max_rows));
  if (width > max_width)
    return Status::Error("frame width is " + std::to_string(width) + ", the limit is " +
                         std::to_string(max_width));
  // Both factors are < 2^32, so n_values fits; the byte counts are checked.
  uint64_t n_values = n_rows * width;
  uint64_t value_bytes = 0, expected = 0;
  if (__builtin_mul_overflow(n_values, uint64_t{4}, &value_bytes) ||
      __builtin_add_overflow(value_bytes, kActivationHeaderBytes + n_rows * 8, &expected))
    return Status::Error("frame dimensions overflow");
  if (size != expected)
    return Status::Error("frame is " + std::to_string(size) + " bytes, expected " + std::to_string(expected) +
                         " for " + std::to_string(n_rows) + " rows of width " + std::to_string(width));

  ActivationFrame frame;
  frame.kind = static_cast<ActivationKind>(kind);
  frame.request_id = Get64(data + 8);
  frame.session = Get64(data + 16);
  frame.width = static_cast<uint32_t>(width);
  frame.rows.resize(n_rows);
  const uint8_t* p = data + kActivationHeaderBytes;
  for (ActivationRow& r : frame.rows) {
    r.pos = static_cast<int32_t>(Get32(p));
    r.token = static_cast<int32_t>(Get32(p + 4));
    p += 8;
  }
  frame.values.resize(n_values);
  for (uint64_t i = 0; i < n_values; ++i, p += 4) {
    uint32_t bits = Get32(p);
    float v;
    std::memcpy(&v, &bits, 4);
    // A NaN or infinity would silently poison every later stage of the pipeline.
    if (!std::isfinite(v))
      return Status::Error("value " + std::to_string(i % width) + " of row " + std::to_string(i / width) +
                           " is not finite");
    frame.values[i] = v;
  }
  return frame;
}

}  // namespace ss::net
