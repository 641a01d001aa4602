#include "model/detokenizer.h"

#include "model/utf8.h"

namespace ss::model {

Detokenizer::Detokenizer(const Tokenizer& tokenizer, DetokenizerOptions options)
    : tokenizer_(tokenizer),
      options_(options),
      strip_space_(options.sequence_start && tokenizer.vocab().add_space_prefix()) {}

std::string Detokenizer::Push(int32_t token) {
  std::string_view piece = tokenizer_.TokenToPiece(token, options_.render_special);
  if (strip_space_ && !piece.empty() && piece[0] == ' ') piece.remove_prefix(1);
  strip_space_ = false;  // only the very first token, whatever it is
  pending_.append(piece);
  const size_t ready = pending_.size() - IncompleteUtf8Suffix(pending_);
  std::string out = pending_.substr(0, ready);
  pending_.erase(0, ready);
  return out;
}

std::string Detokenizer::Flush() {
  std::string out = std::move(pending_);
  pending_.clear();
  strip_space_ = options_.sequence_start && tokenizer_.vocab().add_space_prefix();
  return out;
}

}  // namespace ss::model
