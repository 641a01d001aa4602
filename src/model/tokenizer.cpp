#include "model/tokenizer.h"

#include <cstdio>

#include "model/bpe_encoder.h"
#include "model/byte_encoding.h"
#include "model/spm_encoder.h"
#include "model/utf8.h"

namespace ss::model {
namespace {

const char kEscapedSpace[] = "\xE2\x96\x81";  // U+2581, SentencePiece's space

std::string ReplaceAll(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (size_t hit; (hit = text.find(from, pos)) != std::string_view::npos; pos = hit + from.size())
    out.append(text.substr(pos, hit - pos)).append(to);
  out.append(text.substr(pos));
  return out;
}

// Undoes the GPT-2 byte encoding; characters outside it are kept as
// llama.cpp's "[UNK_BYTE_0x..]" marker so nothing vanishes silently.
std::string DecodeByteLevel(std::string_view text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t len = std::min(Utf8SequenceLength(static_cast<uint8_t>(text[pos])), text.size() - pos);
    uint8_t byte;
    if (UnicodeToByte(text.substr(pos, len), &byte)) {
      out += static_cast<char>(byte);
    } else {
      out += "[UNK_BYTE_0x";
      for (size_t i = 0; i < len; ++i) {
        char hex[3];
        std::snprintf(hex, sizeof(hex), "%02x", static_cast<uint8_t>(text[pos + i]));
        out += hex;
      }
      out.append(text).append("]");
    }
    pos += len;
  }
  return out;
}

// llama.cpp's clean_up_tokenization_spaces for BPE output: " ?" " !" " ." " ,"
// lose the space, " ' " becomes "'", and " 's" " 'm" " 're" " 've" lose it.
std::string CleanSpaces(std::string text) {
  auto pass = [&](auto&& keep_space_before) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
      if (i > 0 && text[i - 1] == ' ' && !keep_space_before(i)) out.pop_back();
      out += text[i];
    }
    text = std::move(out);
  };
  pass([&](size_t i) { return !(text[i] == '?' || text[i] == '!' || text[i] == '.' || text[i] == ','); });
  // " ' " -> "'": drop the space before and skip the one after; the skipped
  // space no longer counts as one for the next character (llama.cpp nulls it).
  {
    std::string src = text, out;
    for (size_t i = 0; i < src.size(); ++i) {
      if (i > 0 && src[i] == '\'' && i + 1 < src.size() && src[i - 1] == ' ' && src[i + 1] == ' ') {
        out.pop_back();
        src[i + 1] = '\0';
        out += src[i++];
        continue;
      }
      out += src[i];
    }
    text = std::move(out);
  }
  pass([&](size_t i) {
    if (text[i] != '\'' || i + 1 >= text.size()) return true;
    const char x1 = text[i + 1];
    if (x1 == 's' || x1 == 'm') return false;
    if (i + 2 >= text.size()) return true;
    const char x2 = text[i + 2];
    return !((x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e'));
  });
  return text;
}

}  // namespace

Result<Tokenizer> Tokenizer::Create(Vocab vocab) {
  Tokenizer t(std::move(vocab));
  if (t.vocab_.type() == VocabType::kBpe) {
    auto splitter = WordSplitter::Create(t.vocab_.pre_tokenizer());
    if (!splitter.ok()) return splitter.status();
    t.splitter_.emplace(std::move(*splitter));
  }
  t.pieces_.reserve(t.vocab_.size());
  for (int32_t id = 0; id < t.vocab_.size(); ++id) t.pieces_.push_back(t.ComputePiece(id));
  return t;
}

Result<Tokenizer> Tokenizer::Load(const gguf::File& file) {
  auto vocab = Vocab::Load(file);
  if (!vocab.ok()) return vocab.status();
  return Create(std::move(*vocab));
}

Result<std::vector<int32_t>> Tokenizer::Tokenize(std::string_view text, bool add_special,
                                                 bool parse_special) const {
  SS_RETURN_IF_ERROR(ValidateUtf8(text));
  const std::vector<Fragment> fragments = PartitionSpecial(text, parse_special);
  std::vector<int32_t> out;
  if (add_special && vocab_.add_bos()) out.push_back(vocab_.bos());
  if (vocab_.type() == VocabType::kSpm) {
    SS_RETURN_IF_ERROR(EncodeSpm(fragments, out));
  } else {
    EncodeBpe(fragments, out);
  }
  if (add_special && vocab_.add_eos()) out.push_back(vocab_.eos());
  return out;
}

// Cuts the texts of special tokens out of `text`, longest token first, as
// llama.cpp's tokenizer_st_partition does. Control and unknown tokens are
// only recognised with parse_special; user-defined ones always.
std::vector<Tokenizer::Fragment> Tokenizer::PartitionSpecial(std::string_view text,
                                                             bool parse_special) const {
  std::vector<Fragment> fragments;
  if (text.empty()) return fragments;
  fragments.push_back({kNoToken, text});
  for (int32_t id : vocab_.special_tokens()) {
    if (!parse_special && vocab_.IsControlOrUnknown(id)) continue;
    const std::string& special = vocab_.Text(id);
    std::vector<Fragment> next;
    for (const Fragment& f : fragments) {
      if (f.token != kNoToken) {
        next.push_back(f);
        continue;
      }
      size_t pos = 0;
      for (size_t hit; (hit = f.text.find(special, pos)) != std::string_view::npos;
           pos = hit + special.size()) {
        if (hit > pos) next.push_back({kNoToken, f.text.substr(pos, hit - pos)});
        next.push_back({id, {}});
      }
      if (pos < f.text.size()) next.push_back({kNoToken, f.text.substr(pos)});
    }
    fragments = std::move(next);
  }
  return fragments;
}

// SentencePiece adds a space in front of the text and after every special
// token (add_space_prefix), then spells spaces as U+2581.
Status Tokenizer::EncodeSpm(const std::vector<Fragment>& fragments, std::vector<int32_t>& out) const {
  bool after_special = true;
  for (const Fragment& f : fragments) {
    if (f.token != kNoToken) {
      out.push_back(f.token);
      after_special = true;
      continue;
    }
    std::string text = vocab_.add_space_prefix() && after_special ? " " : "";
    text.append(f.text);
    SS_RETURN_IF_ERROR(SpmEncode(vocab_, ReplaceAll(text, " ", kEscapedSpace), out));
    after_special = false;
  }
  return Status::Ok();
}

void Tokenizer::EncodeBpe(const std::vector<Fragment>& fragments, std::vector<int32_t>& out) const {
  for (const Fragment& f : fragments) {
    if (f.token != kNoToken) {
      out.push_back(f.token);
      continue;
    }
    for (std::string_view word : splitter_->Split(f.text)) BpeEncodeWord(vocab_, word, out);
  }
}

std::string Tokenizer::ComputePiece(int32_t id) const {
  const std::string& text = vocab_.Text(id);
  switch (vocab_.Type(id)) {
    case TokenType::kControl:
    case TokenType::kUnknown:
    case TokenType::kUserDefined:
      return text;
    case TokenType::kNormal:
      return vocab_.type() == VocabType::kSpm ? ReplaceAll(text, kEscapedSpace, " ") : DecodeByteLevel(text);
    case TokenType::kByte:
      // "<0xXX>"; byte-level BPE has no byte tokens and prints nothing, like llama.cpp.
      if (vocab_.type() == VocabType::kSpm && text.size() == 6)
        return std::string(1, static_cast<char>(std::stoi(text.substr(3, 2), nullptr, 16)));
      return "";
    case TokenType::kUndefined:
    case TokenType::kUnused:
      return "";
  }
  return "";
}

const std::string& Tokenizer::TokenToPiece(int32_t id, bool render_special) const {
  static const std::string kEmpty;
  if (!vocab_.Contains(id)) return kEmpty;
  if (!render_special && vocab_.IsControlOrUnknown(id)) return kEmpty;
  return pieces_[id];
}

std::string Tokenizer::Detokenize(const std::vector<int32_t>& tokens, bool remove_special,
                                  bool render_special) const {
  size_t begin = 0, end = tokens.size();
  bool strip_space = vocab_.add_space_prefix();
  if (remove_special && vocab_.add_bos() && end > 0 && tokens[0] == vocab_.bos()) {
    strip_space = false;
    begin = 1;
  }
  if (remove_special && vocab_.add_eos() && end > begin && tokens[end - 1] == vocab_.eos()) --end;
  std::string text;
  for (size_t i = begin; i < end; ++i) {
    std::string_view piece = TokenToPiece(tokens[i], render_special);
    if (strip_space && !piece.empty() && piece[0] == ' ') piece.remove_prefix(1);
    strip_space = false;
    text.append(piece);
  }
  return vocab_.clean_spaces() ? CleanSpaces(std::move(text)) : text;
}

}  // namespace ss::model
