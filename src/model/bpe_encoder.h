#pragma once
// Byte-level BPE encoding of one pre-tokenized word, as llama.cpp's
// llm_tokenizer_bpe does it: byte-encode the word, start from its characters
// and repeatedly merge the adjacent pair with the lowest merge rank.

#include <cstdint>
#include <string_view>
#include <vector>

#include "model/vocab.h"

namespace ss::model {

// `word` is raw UTF-8 text (one piece from the WordSplitter).
void BpeEncodeWord(const Vocab& vocab, std::string_view word, std::vector<int32_t>& out);

}  // namespace ss::model
