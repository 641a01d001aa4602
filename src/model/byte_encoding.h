#pragma once
// GPT-2's byte-level encoding: every byte maps to one printable code point
// (printable Latin-1 bytes to themselves, the rest to U+0100 onwards), so a
// byte-level BPE vocabulary can spell any byte string as text.

#include <cstdint>
#include <string>
#include <string_view>

namespace ss::model {

// The UTF-8 text of the code point that stands for `byte`.
const std::string& ByteToUnicode(uint8_t byte);

// Encodes every byte of `bytes`.
std::string ByteEncode(std::string_view bytes);

// Reverses ByteEncode on one code point's UTF-8 text; false if it is not the
// image of a byte.
bool UnicodeToByte(std::string_view utf8_char, uint8_t* byte);

}  // namespace ss::model
