// What other processes put on the DHT, as anyone may put it: node records,
// client records, file records, shard claims and model manifests. Parsing never crashes,
// and a record it accepts round-trips through its own JSON.
#include <cstddef>
#include <cstdint>
#include <string>

#include "dht/record.h"
#include "shard/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (auto r = ss::dht::NodeRecord::FromJson(text); r.ok()) {
    auto again = ss::dht::NodeRecord::FromJson(r->ToJson());
    if (!again.ok() || again->peer_id != r->peer_id || again->download.has_value() != r->download.has_value())
      __builtin_trap();
  }
  if (auto r = ss::dht::FileRecord::FromJson(text); r.ok()) {
    auto again = ss::dht::FileRecord::FromJson(r->ToJson());
    if (!again.ok() || again->info_hash != r->info_hash) __builtin_trap();
  }
  if (auto r = ss::dht::ClientRecord::FromJson(text); r.ok()) {
    if (!ss::dht::ClientRecord::FromJson(r->ToJson()).ok()) __builtin_trap();
  }
  if (auto r = ss::dht::ClaimRecord::FromJson(text); r.ok()) {
    auto again = ss::dht::ClaimRecord::FromJson(r->ToJson());
    if (!again.ok() || again->shard != r->shard || again->peer_id != r->peer_id) __builtin_trap();
  }
  if (auto m = ss::shard::Manifest::FromJson(text); m.ok()) {
    auto again = ss::shard::Manifest::FromJson(m->ToJson());
    if (!again.ok() || again->shards.size() != m->shards.size()) __builtin_trap();
  }
  return 0;
}
