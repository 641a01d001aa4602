#pragma once
// Small hand-made vocabularies written as GGUF files, for tokenizer unit tests.

#include <memory>
#include <string>
#include <vector>

#include "gguf/reader.h"
#include "gguf/value.h"
#include "testing.h"

namespace ss::model::testing {

// Writes the metadata (no tensors) to a file in `dir` and opens it.
std::unique_ptr<gguf::File> WriteVocabFile(const ss::testing::TempDir& dir,
                                           const std::vector<gguf::KeyValue>& kvs);

// A SentencePiece vocabulary: <unk> <s> </s>, the 256 byte tokens, then
// `pieces` (type normal) with descending scores in the given order.
std::vector<gguf::KeyValue> SpmVocab(const std::vector<std::string>& pieces);

// Replaces or appends one key.
void SetKey(std::vector<gguf::KeyValue>& kvs, const std::string& key, gguf::Value value);

}  // namespace ss::model::testing
