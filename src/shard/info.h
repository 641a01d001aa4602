#pragma once
// What `shard info` shows about one GGUF file: its header, its shard keys,
// every metadata key, and its tensors by layer and by type. The file may come
// from anywhere (a download, a peer), so nothing here trusts it: shard keys
// that are partly present, mistyped or inconsistent are an error naming the
// key, never a crash.

#include <string>

#include "gguf/reader.h"
#include "util/status.h"

namespace ss::shard {

// The report, lines ending in '\n', starting with
//   "file: PATH (SIZE), GGUF vN, alignment A, tensor data at offset O"
//   "shard: ID of COUNT, layers [START, END), model id MODEL"  (shard files only)
Result<std::string> DescribeFile(const gguf::File& file);

}  // namespace ss::shard
