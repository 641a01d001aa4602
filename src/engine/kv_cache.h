#pragma once
// Keys and values of every session a stage serves, per layer of the stage.
// Each session's cache grows in steps as its context grows, up to the context
// length; the total over all sessions is capped, and a session that would
// exceed the cap gets a clear error instead (close sessions or raise the cap).
// F16 entries round like llama.cpp's default cache; F32 on request.
//
// A layer's keys (and values) are stored head by head: all positions of KV
// head 0, then of head 1, ... (Offset), so attention over one head reads one
// contiguous block. The cache is cold by the time a layer comes round again
// (a token streams the whole model through the caches), and rows of all heads
// side by side made each head's read a strided one, half as fast (measured).

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "util/status.h"

namespace ss::engine {

enum class KvType { kF16, kF32 };

class KvCache {
 public:
  struct Session {
    int length = 0;                          // positions [0, length) hold valid entries
    int capacity = 0;                        // positions allocated
    std::vector<std::vector<uint8_t>> k, v;  // per layer, per head: capacity rows of head_dim elements
  };

  KvCache(int n_layers, int n_heads, int head_dim, int n_ctx, KvType type, uint64_t max_bytes);

  // Makes room for positions [pos, pos + n) of `session` (creating it), after
  // dropping whatever it held at or beyond pos. pos may not exceed its length.
  // On error the session is left as it was (and a new one is not created).
  Result<Session*> Prepare(uint64_t session, int pos, int n);
  Session* Find(uint64_t session);
  void Close(uint64_t session);

  KvType type() const { return type_; }
  size_t elem_size() const { return type_ == KvType::kF16 ? 2 : 4; }
  int kv_dim() const { return n_heads_ * head_dim_; }
  // Byte offset of head `head` at position `pos` in one of s's layers; the
  // head's next position follows head_dim elements later.
  size_t Offset(const Session& s, int head, int pos) const {
    return (static_cast<size_t>(head) * static_cast<size_t>(s.capacity) + static_cast<size_t>(pos)) *
           static_cast<size_t>(head_dim_) * elem_size();
  }
  // Writes one position's keys and values (kv_dim() floats each, heads side by
  // side, as the k and v projections give them) into s's `layer`, each head's
  // row into its head's block; rounded to F16 for an F16 cache. pos must be
  // below s.capacity (Prepare made room for it).
  void Store(Session& s, int layer, int pos, const float* k, const float* v) const;
  uint64_t bytes_used() const { return bytes_; }
  uint64_t max_bytes() const { return max_bytes_; }
  size_t sessions() const { return sessions_.size(); }

 private:
  uint64_t SessionBytes(int capacity) const;
  Status Grow(uint64_t id, Session& s, int needed);

  int n_layers_, n_heads_, head_dim_, n_ctx_;
  KvType type_;
  uint64_t max_bytes_;
  uint64_t bytes_ = 0;
  std::unordered_map<uint64_t, std::unique_ptr<Session>> sessions_;
};

}  // namespace ss::engine
