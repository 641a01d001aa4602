#pragma once
// The doubly linked list of symbols both merge tokenizers (SPM and BPE) start
// from: one symbol per UTF-8 character of the text, merged pairwise later.

#include <cstddef>
#include <string_view>
#include <vector>

namespace ss::model {

struct Symbol {
  int prev;  // -1 at the start
  int next;  // -1 at the end
  size_t start;
  size_t size;  // bytes; 0 once merged into its left neighbour
};

// One symbol per character (a truncated sequence at the end is one symbol).
std::vector<Symbol> SplitCharacters(std::string_view text);

}  // namespace ss::model
