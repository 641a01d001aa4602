// The tokenizers (SentencePiece and byte-level BPE, the two testdata
// vocabularies) on arbitrary bytes, with add_special and parse_special either
// way. Invalid UTF-8 must be refused, naming the first bad sequence's offset;
// valid text must tokenize to ids inside the vocabulary and come back through
// the pieces and Detokenize: exactly for plain tokenization (BPE pieces are
// the bytes; SPM Detokenize undoes the space prefix), without crashing for
// every other combination.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/reader.h"
#include "model/tokenizer.h"

namespace {

struct Loaded {
  std::unique_ptr<ss::gguf::File> file;
  ss::model::Tokenizer tokenizer;
};

[[noreturn]] void Die(const char* what, const std::string& detail) {
  std::fprintf(stderr, "tokenizer_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

std::vector<Loaded>& Vocabularies() {
  static std::vector<Loaded>* all = [] {
    auto* v = new std::vector<Loaded>;
    for (const char* name : {"ggml-vocab-llama-spm.gguf", "ggml-vocab-llama-bpe.gguf"}) {
      const std::string path = std::string(SHARDSWARM_TESTDATA) + "/tokenizer/" + name;
      auto file = ss::gguf::File::Open(path);
      if (!file.ok()) Die("cannot open", file.status().message());
      auto tok = ss::model::Tokenizer::Load(**file);
      if (!tok.ok()) Die("cannot load", tok.status().message());
      v->push_back({std::move(file.value()), std::move(tok.value())});
    }
    return v;
  }();
  return *all;
}

// Offset of the first ill-formed sequence (RFC 3629: no overlongs, surrogates,
// or code points above U+10FFFF; a cut-off sequence counts), or npos. Written
// independently of the tokenizer's own check.
size_t FirstInvalidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
    const uint8_t c = b(i);
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c == 0xE0) {
      len = 3, lo = 0xA0;
    } else if (c == 0xED) {
      len = 3, hi = 0x9F;
    } else if (c >= 0xE1 && c <= 0xEF) {
      len = 3;
    } else if (c == 0xF0) {
      len = 4, lo = 0x90;
    } else if (c == 0xF4) {
      len = 4, hi = 0x8F;
    } else if (c >= 0xF1 && c <= 0xF3) {
      len = 4;
    } else {
      return i;
    }
    if (i + len > s.size()) return i;
    if (b(i + 1) < lo || b(i + 1) > hi) return i;
    for (size_t k = 2; k < len; ++k)
      if ((b(i + k) & 0xC0) != 0x80) return i;
    i += len;
  }
  return std::string_view::npos;
}

}  // namespace

// The first byte picks the vocabulary (bit 0), add_special (bit 1) and
// parse_special (bit 2); the rest is the text. One tokenization per input
// (not all eight) keeps executions cheap enough for long runs.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const Loaded& v = Vocabularies()[mode & 1];
  const bool add_special = mode & 2, parse_special = mode & 4;
  const ss::model::Tokenizer& tok = v.tokenizer;
  const bool bpe = tok.vocab().type() == ss::model::VocabType::kBpe;
  const size_t bad = FirstInvalidUtf8(text);
  auto ids = tok.Tokenize(text, add_special, parse_special);
  if (bad != std::string_view::npos) {
    if (ids.ok()) Die("accepted invalid UTF-8 at byte", std::to_string(bad));
    if (ids.status().message() != "invalid UTF-8 at byte " + std::to_string(bad))
      Die("wrong message", ids.status().message() + " (expected byte " + std::to_string(bad) + ")");
    return 0;
  }
  if (!ids.ok()) Die("refused valid UTF-8", ids.status().message());
  std::string pieces;
  for (int32_t id : *ids) {
    if (!tok.vocab().Contains(id)) Die("token outside the vocabulary", std::to_string(id));
    pieces += tok.TokenToPiece(id);
  }
  const std::string plain = tok.Detokenize(*ids);
  (void)tok.Detokenize(*ids, /*remove_special=*/true, /*render_special=*/true);
  if (add_special || parse_special) return 0;
  if (bpe) {
    if (pieces != text) Die("BPE pieces differ from the text", pieces);
    if (plain.size() > text.size()) Die("BPE clean-up added bytes", plain);
  } else if (plain != text) {
    Die("SPM Detokenize differs from the text", plain);
  }
  return 0;
}
