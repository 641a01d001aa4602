#pragma once
// SentencePiece-style encoding of one text fragment, as llama.cpp's
// llm_tokenizer_spm does it: start from UTF-8 characters, repeatedly merge the
// adjacent pair whose concatenation is the highest-scoring token, and spell
// whatever is left that is not a token as <0xXX> byte tokens.

#include <cstdint>
#include <string_view>
#include <vector>

#include "model/vocab.h"
#include "util/status.h"

namespace ss::model {

// `text` is valid UTF-8 with spaces already escaped to U+2581. Fails only when
// a byte needs a byte token the vocabulary does not have.
Status SpmEncode(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out);

}  // namespace ss::model
