#include "model/byte_encoding.h"

#include <array>
#include <unordered_map>

#include "model/utf8.h"

namespace ss::model {
namespace {

struct Tables {
  std::array<std::string, 256> to_unicode;
  std::unordered_map<std::string, uint8_t> to_byte;

  Tables() {
    const auto printable = [](int b) {
      return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const uint32_t cp = printable(b) ? static_cast<uint32_t>(b) : next++;
      AppendUtf8(cp, to_unicode[b]);
      to_byte[to_unicode[b]] = static_cast<uint8_t>(b);
    }
  }
};

const Tables& GetTables() {
  static const Tables tables;
  return tables;
}

}  // namespace

const std::string& ByteToUnicode(uint8_t byte) { return GetTables().to_unicode[byte]; }

std::string ByteEncode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += ByteToUnicode(static_cast<uint8_t>(c));
  return out;
}

bool UnicodeToByte(std::string_view utf8_char, uint8_t* byte) {
  const auto& map = GetTables().to_byte;
  auto it = map.find(std::string(utf8_char));
  if (it == map.end()) return false;
  *byte = it->second;
  return true;
}

}  // namespace ss::model
