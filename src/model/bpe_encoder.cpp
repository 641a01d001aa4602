#include "model/bpe_encoder.h"

#include <queue>
#include <string>

#include "model/byte_encoding.h"
#include "model/symbols.h"
#include "model/utf8.h"

namespace ss::model {
namespace {

struct Bigram {
  int left;
  int right;
  int rank;
  std::string text;  // the merged text, to recognise stale entries
};

// Lowest rank first; on equal ranks the leftmost pair, as in llama.cpp.
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

class Session {
 public:
  Session(const Vocab& vocab, std::string encoded) : vocab_(vocab), text_(std::move(encoded)) {}

  void Encode(std::vector<int32_t>& out) {
    // Llama 3 style vocabularies take a whole word that is a token as is,
    // even where the merges would spell it differently.
    const int32_t whole = vocab_.ignore_merges() ? vocab_.Find(text_) : kNoToken;
    if (whole != kNoToken) {
      out.push_back(whole);
      return;
    }
    symbols_ = SplitCharacters(text_);
    for (int i = 1; i < static_cast<int>(symbols_.size()); ++i) TryAddBigram(i - 1, i);
    MergeAll();
    for (const Symbol& s : symbols_)
      if (s.size > 0) Emit(View(s), out);
  }

 private:
  std::string_view View(const Symbol& s) const { return std::string_view(text_).substr(s.start, s.size); }

  void TryAddBigram(int left, int right) {
    if (left == -1 || right == -1) return;
    const std::string_view l = View(symbols_[left]), r = View(symbols_[right]);
    const int rank = vocab_.MergeRank(l, r);
    if (rank < 0) return;
    std::string text(l);
    text.append(r);
    queue_.push({left, right, rank, std::move(text)});
  }

  void MergeAll() {
    while (!queue_.empty()) {
      const Bigram b = queue_.top();
      queue_.pop();
      Symbol& left = symbols_[b.left];
      Symbol& right = symbols_[b.right];
      if (left.size == 0 || right.size == 0 || left.size + right.size != b.text.size()) continue;  // stale
      left.size += right.size;
      right.size = 0;
      left.next = right.next;
      if (right.next >= 0) symbols_[right.next].prev = b.left;
      TryAddBigram(left.prev, b.left);
      TryAddBigram(b.left, left.next);
    }
  }

  // A symbol that is not a token falls back to its single-byte characters
  // that are, as llama.cpp does (in practice every symbol is a token).
  void Emit(std::string_view symbol, std::vector<int32_t>& out) const {
    const int32_t id = vocab_.Find(symbol);
    if (id != kNoToken) {
      out.push_back(id);
      return;
    }
    for (char c : symbol) {
      const int32_t byte = vocab_.Find(std::string_view(&c, 1));
      if (byte != kNoToken) out.push_back(byte);
    }
  }

  const Vocab& vocab_;
  std::string text_;
  std::vector<Symbol> symbols_;
  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue_;
};

}  // namespace

void BpeEncodeWord(const Vocab& vocab, std::string_view word, std::vector<int32_t>& out) {
  Session(vocab, ByteEncode(word)).Encode(out);
}

}  // namespace ss::model
