#pragma once
// UTF-8 helpers shared by the tokenizer and the detokenizer.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace ss::model {

// Length of the sequence a lead byte announces (1 for ASCII and for bytes that
// cannot start a sequence, so a scan always advances), as llama.cpp counts it.
size_t Utf8SequenceLength(uint8_t lead);

// Ok when `text` is well-formed UTF-8 (no overlongs, surrogates or code points
// above U+10FFFF); otherwise "invalid UTF-8 at byte N".
Status ValidateUtf8(std::string_view text);

// Bytes at the end of `text` that begin a well-formed but unfinished sequence
// (0..3): what a streaming decoder must hold back until more bytes arrive.
size_t IncompleteUtf8Suffix(std::string_view text);

// Appends the UTF-8 encoding of a code point (assumed valid).
void AppendUtf8(uint32_t codepoint, std::string& out);

}  // namespace ss::model
