#include "model/spm_encoder.h"

#include <cstdio>
#include <queue>
#include <string>

#include "model/symbols.h"
#include "model/utf8.h"

namespace ss::model {
namespace {

// A run of the text; merged-away symbols keep size 0. prev/next link the
// surviving symbols.
struct Bigram {
  int left;
  int right;
  float score;
  size_t size;  // bytes of the merged text, to recognise stale entries
};

// Highest score first; on equal scores the leftmost pair, as in llama.cpp.
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

class Session {
 public:
  Session(const Vocab& vocab, std::string_view text) : vocab_(vocab), text_(text) {}

  Status Encode(std::vector<int32_t>& out) {
    symbols_ = SplitCharacters(text_);
    for (int i = 1; i < static_cast<int>(symbols_.size()); ++i) TryAddBigram(i - 1, i);
    MergeAll();
    for (int i = symbols_.empty() ? -1 : 0; i != -1; i = symbols_[i].next)
      SS_RETURN_IF_ERROR(Emit(symbols_[i], out));
    return Status::Ok();
  }

 private:
  void TryAddBigram(int left, int right) {
    if (left == -1 || right == -1) return;
    const size_t size = symbols_[left].size + symbols_[right].size;
    const int32_t id = vocab_.Find(text_.substr(symbols_[left].start, size));
    if (id == kNoToken) return;
    queue_.push({left, right, vocab_.Score(id), size});
  }

  void MergeAll() {
    while (!queue_.empty()) {
      const Bigram b = queue_.top();
      queue_.pop();
      Symbol& left = symbols_[b.left];
      Symbol& right = symbols_[b.right];
      if (left.size == 0 || right.size == 0 || left.size + right.size != b.size) continue;  // stale
      left.size += right.size;
      right.size = 0;
      left.next = right.next;
      if (right.next >= 0) symbols_[right.next].prev = b.left;
      TryAddBigram(left.prev, b.left);
      TryAddBigram(b.left, left.next);
    }
  }

  // Merged symbols are always tokens (a merge needs its text in the
  // vocabulary); a single character that is not becomes byte tokens. This is
  // what llama.cpp's resegment() amounts to.
  Status Emit(const Symbol& s, std::vector<int32_t>& out) const {
    const std::string_view piece = text_.substr(s.start, s.size);
    const int32_t id = vocab_.Find(piece);
    if (id != kNoToken) {
      out.push_back(id);
      return Status::Ok();
    }
    for (char c : piece) {
      const int32_t byte = vocab_.ByteToken(static_cast<uint8_t>(c));
      if (byte == kNoToken) {
        char name[8];
        std::snprintf(name, sizeof(name), "<0x%02X>", static_cast<uint8_t>(c));
        return Status::Error(std::string("vocabulary has no byte token ") + name);
      }
      out.push_back(byte);
    }
    return Status::Ok();
  }

  const Vocab& vocab_;
  std::string_view text_;
  std::vector<Symbol> symbols_;
  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue_;
};

}  // namespace

Status SpmEncode(const Vocab& vocab, std::string_view text, std::vector<int32_t>& out) {
  return Session(vocab, text).Encode(out);
}

}  // namespace ss::model
