#include "model/utf8.h"

namespace ss::model {
namespace {

// Decodes one sequence at `pos`; returns its length, or 0 if it is malformed
// or cut short. `truncated` is set when the bytes seen so far are a valid
// prefix that simply ends early.
size_t DecodeOne(std::string_view text, size_t pos, bool* truncated) {
  *truncated = false;
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(pos);
  if (lead < 0x80) return 1;
  size_t len;
  uint32_t cp;
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2, cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3, cp = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4, cp = lead & 0x07;
  } else {
    return 0;  // continuation byte, overlong 2-byte lead, or beyond U+10FFFF
  }
  for (size_t i = 1; i < len; ++i) {
    if (pos + i >= text.size()) {
      *truncated = true;
      return 0;
    }
    const uint8_t c = byte(pos + i);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
    // Reject overlongs, surrogates and > U+10FFFF as soon as the second byte
    // decides them, so a truncated prefix is only reported when it could finish.
    if (i == 1) {
      if (len == 3 && (cp < 0x20 || (cp >= 0x360 && cp <= 0x37F))) return 0;
      if (len == 4 && (cp < 0x10 || cp > 0x10F)) return 0;
    }
  }
  return len;
}

}  // namespace

size_t Utf8SequenceLength(uint8_t lead) {
  static const size_t kLengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLengths[lead >> 4];
}

Status ValidateUtf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    bool truncated = false;
    const size_t len = DecodeOne(text, pos, &truncated);
    if (len == 0) return Status::Error("invalid UTF-8 at byte " + std::to_string(pos));
    pos += len;
  }
  return Status::Ok();
}

size_t IncompleteUtf8Suffix(std::string_view text) {
  // An unfinished sequence has at most 3 bytes, so its lead is among the last 3.
  for (size_t back = 1; back <= 3 && back <= text.size(); ++back) {
    const size_t pos = text.size() - back;
    if ((static_cast<uint8_t>(text[pos]) & 0xC0) == 0x80) continue;  // continuation byte
    bool truncated = false;
    DecodeOne(text, pos, &truncated);
    return truncated ? back : 0;
  }
  return 0;
}

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace ss::model
