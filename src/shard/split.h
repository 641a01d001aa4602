#pragma once
// Cuts a GGUF model into layer-range shard files (DESIGN.md §3).
//
// Each shard is a complete GGUF with all the source metadata plus the
// shardswarm.* keys, and the tensors of its layers (embeddings on the first,
// output norm and head on the last). Data are streamed in constant memory and
// hashed as they are written. Everything is written under temporary names and
// renamed only once every shard has been re-read and checked, manifest last,
// so an interrupted split never leaves a half file under a final name.
//
// The output directory holds one split at a time: shards of two splits side by
// side would be read as one model. A directory that already holds a split
// (manifest.json, shard-K.gguf or shard-K.gguf.torrent) is refused unless
// `force`. The .part files an interrupted split leaves there
// (shard-K.gguf.part, manifest.json.part) are removed first, with a [SHARD]
// log line; note that a BitTorrent fetch into the same directory names its
// download shard-K.gguf.part too, so never split into a directory a running
// node is downloading into.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "shard/manifest.h"
#include "shard/plan.h"
#include "util/status.h"

namespace ss::shard {

struct SplitOptions {
  std::string model_path;
  std::string out_dir;
  int shards = 0;      // 0: take the count from `layers`
  std::string layers;  // "0-7,8-15,…"; empty: the even default plan
  // Replace a split already in out_dir: the new one is written beside it
  // (so the disk needs room for both), and only once every new shard is
  // written and checked are the old shard files, their .torrent files and
  // manifest.json replaced or removed. A split that fails (a full disk, say)
  // leaves the earlier one as it was.
  bool force = false;
  // Called now and then with bytes done / total (hashing, then writing).
  std::function<void(const char* phase, uint64_t done, uint64_t total)> progress;
};

Result<Manifest> Split(const SplitOptions& options);

}  // namespace ss::shard
