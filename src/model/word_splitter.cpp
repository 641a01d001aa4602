#include "model/word_splitter.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <string>

namespace ss::model {
namespace {

// llama.cpp's whitespace set (Unicode White_Space). PCRE2's \s differs from it
// in a few code points (U+180E, and \x0B before 10.43), so the patterns spell
// the set out instead of using \s and \S.
const std::string kWs =
    "\\t-\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}";
const std::string kSpace = "[" + kWs + "]";
const std::string kNotSpace = "[^" + kWs + "]";

// Llama 3's pattern with the case-insensitive group expanded, as llama.cpp
// rewrote it ("(?i:'s|'t|'re|'ve|'m|'ll|'d)|...").
std::string Llama3Pattern() {
  return "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
         "| "
         "?[^" +
         kWs + "\\p{L}\\p{N}]+[\\r\\n]*|" + kSpace + "*[\\r\\n]+|" + kSpace + "+(?!" + kNotSpace + ")|" +
         kSpace + "+";
}

// GPT-2's pattern; the final \s+ mirrors the fallback in llama.cpp's
// hand-written matcher for it.
std::string Gpt2Pattern() {
  return "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^" + kWs + "\\p{L}\\p{N}]+|" + kSpace + "+(?!" +
         kNotSpace + ")|" + kSpace + "+";
}

std::vector<std::string> PatternsFor(PreTokenizer kind) {
  switch (kind) {
    case PreTokenizer::kLlama3:
      return {Llama3Pattern()};
    case PreTokenizer::kGpt2:
      return {Gpt2Pattern()};
    case PreTokenizer::kDefault:
      break;
  }
  return {"[\\p{P}\\$\\+<=>\\^~\\|]+", Gpt2Pattern(), "\\p{N}+", "[0-9][0-9][0-9]"};
}

}  // namespace

struct WordSplitter::Regex {
  pcre2_code* code = nullptr;
  ~Regex() { pcre2_code_free(code); }
};

WordSplitter::WordSplitter(WordSplitter&&) noexcept = default;
WordSplitter& WordSplitter::operator=(WordSplitter&&) noexcept = default;
WordSplitter::~WordSplitter() = default;

Result<WordSplitter> WordSplitter::Create(PreTokenizer kind) {
  WordSplitter splitter;
  for (const std::string& pattern : PatternsFor(kind)) {
    int error = 0;
    PCRE2_SIZE offset = 0;
    auto regex = std::make_unique<Regex>();
    regex->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.c_str()), pattern.size(),
                                PCRE2_UTF | PCRE2_UCP, &error, &offset, nullptr);
    if (!regex->code) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(error, message, sizeof(message));
      return Status::Error("pre-tokenizer regex does not compile at " + std::to_string(offset) + ": " +
                           reinterpret_cast<const char*>(message));
    }
    pcre2_jit_compile(regex->code, PCRE2_JIT_COMPLETE);  // optional: falls back to the interpreter
    splitter.regexes_.push_back(std::move(regex));
  }
  return splitter;
}

namespace {

// Appends the pieces of `text` under one regex: matches and the gaps between them.
void SplitPiece(pcre2_code* code, pcre2_match_data* match, std::string_view text,
                std::vector<std::string_view>& out) {
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t pos = 0, gap_start = 0;
  while (pos < text.size()) {
    const int rc = pcre2_match(code, subject, text.size(), pos, PCRE2_NO_UTF_CHECK, match, nullptr);
    if (rc < 0) break;
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(match);
    if (ov[1] == ov[0]) {  // an empty match: step over one character
      pos = ov[0] + 1;
      while (pos < text.size() && (static_cast<uint8_t>(text[pos]) & 0xC0) == 0x80) ++pos;
      continue;
    }
    if (ov[0] > gap_start) out.push_back(text.substr(gap_start, ov[0] - gap_start));
    out.push_back(text.substr(ov[0], ov[1] - ov[0]));
    pos = gap_start = ov[1];
  }
  if (gap_start < text.size()) out.push_back(text.substr(gap_start));
}

}  // namespace

std::vector<std::string_view> WordSplitter::Split(std::string_view text) const {
  std::vector<std::string_view> pieces;
  if (!text.empty()) pieces.push_back(text);
  for (const auto& regex : regexes_) {
    pcre2_match_data* match = pcre2_match_data_create_from_pattern(regex->code, nullptr);
    std::vector<std::string_view> next;
    next.reserve(pieces.size() * 2);
    for (std::string_view piece : pieces) SplitPiece(regex->code, match, piece, next);
    pcre2_match_data_free(match);
    pieces = std::move(next);
  }
  return pieces;
}

}  // namespace ss::model
