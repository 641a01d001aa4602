#pragma once
// Checks a directory of shards before a swarm is started: every expected
// shard parses, all belong to one model, their layer ranges run contiguously
// from 0 to the layer count, every tensor a layer needs is present, and each
// file's size and SHA-256 match manifest.json. Each problem is a sentence a
// user can act on.

#include <string>
#include <vector>

#include "util/status.h"

namespace ss::shard {

struct ValidationReport {
  std::vector<std::string> problems;  // any problem fails the validation
  std::vector<std::string> notes;     // informational (extra files, summary)
  bool ok() const { return problems.empty(); }
};

ValidationReport ValidateShards(const std::string& dir, int expected_shards);

// One shard file against the manifest.json beside it (its entry, size and
// SHA-256), for a node about to load it; Ok when the directory has no
// manifest. `hash_cache` is a file that remembers the last hash by path,
// size and mtime, so a restart does not re-hash an unchanged file.
Status CheckShardFile(const std::string& dir, int shard_id, const std::string& hash_cache);

// Every shard manifest.json lists, against its size and SHA-256, for a reader
// about to load the whole directory (`generate -m DIR`). Ok when the
// directory has no manifest (nothing to check against); a manifest that
// cannot be read is an error.
Status CheckShardDirectory(const std::string& dir);

}  // namespace ss::shard
