#include "gguf/tensor_names.h"

#include <charconv>

namespace ss::gguf {

int TensorLayer(std::string_view name) {
  if (!name.starts_with("blk.")) return -1;
  int n = -1;
  auto [p, ec] = std::from_chars(name.data() + 4, name.data() + name.size(), n);
  if (ec != std::errc() || p == name.data() + name.size() || *p != '.') return -1;
  return n;
}

std::string_view LayerTensorSuffix(std::string_view name) {
  if (TensorLayer(name) < 0) return {};
  const size_t begin = name.find('.', 4) + 1, end = name.rfind('.');
  return end > begin ? name.substr(begin, end - begin) : std::string_view{};
}

}  // namespace ss::gguf
