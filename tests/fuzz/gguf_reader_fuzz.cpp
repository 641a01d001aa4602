// The GGUF reader on arbitrary bytes: it must refuse or accept without ever
// reading outside the buffer, and whatever it accepts must be safe to use.
#include <cstddef>
#include <cstdint>

#include "gguf/reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = ss::gguf::File::Parse(data, size);
  if (!f.ok()) return 0;
  volatile uint8_t sink = 0;
  for (const ss::gguf::KeyValue& kv : (*f)->metadata())
    sink = sink + static_cast<uint8_t>(kv.value.ToString().size());
  for (const ss::gguf::TensorInfo& t : (*f)->tensors()) {
    sink = sink + t.data[0] + t.data[t.size - 1];
    sink = sink + static_cast<uint8_t>(t.rows() + t.ShapeString().size());
  }
  (void)ss::gguf::LayerCount(**f);
  return 0;
}
