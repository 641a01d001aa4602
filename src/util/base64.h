#pragma once
// Standard base64 (RFC 4648, with padding, no line breaks), e.g. for binary
// blobs inside JSON replies. Decoding refuses anything that is not exactly
// that: other characters, whitespace, a length not a multiple of 4, padding
// in the middle.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace ss {

std::string Base64Encode(const uint8_t* data, size_t size);
std::string Base64Encode(std::string_view bytes);
Result<std::vector<uint8_t>> Base64Decode(std::string_view text);

}  // namespace ss
