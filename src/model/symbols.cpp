#include "model/symbols.h"

#include <algorithm>
#include <cstdint>

#include "model/utf8.h"

namespace ss::model {

std::vector<Symbol> SplitCharacters(std::string_view text) {
  std::vector<Symbol> symbols;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t len = std::min(Utf8SequenceLength(static_cast<uint8_t>(text[pos])), text.size() - pos);
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({index - 1, pos + len == text.size() ? -1 : index + 1, pos, len});
    pos += len;
  }
  return symbols;
}

}  // namespace ss::model
