#include "engine/kv_cache.h"

#include <algorithm>
#include <cstring>

#include "engine/vec_dot.h"

namespace ss::engine {

KvCache::KvCache(int n_layers, int n_heads, int head_dim, int n_ctx, KvType type, uint64_t max_bytes)
    : n_layers_(n_layers),
      n_heads_(n_heads),
      head_dim_(head_dim),
      n_ctx_(n_ctx),
      type_(type),
      max_bytes_(max_bytes) {}

void KvCache::Store(Session& s, int layer, int pos, const float* k, const float* v) const {
  for (int head = 0; head < n_heads_; ++head) {
    const float* k_row = k + static_cast<size_t>(head) * head_dim_;
    const float* v_row = v + static_cast<size_t>(head) * head_dim_;
    uint8_t* k_at = s.k[static_cast<size_t>(layer)].data() + Offset(s, head, pos);
    uint8_t* v_at = s.v[static_cast<size_t>(layer)].data() + Offset(s, head, pos);
    if (type_ == KvType::kF16) {
      FloatToHalfRow(k_row, reinterpret_cast<uint16_t*>(k_at), head_dim_);
      FloatToHalfRow(v_row, reinterpret_cast<uint16_t*>(v_at), head_dim_);
    } else {
      std::memcpy(k_at, k_row, sizeof(float) * static_cast<size_t>(head_dim_));
      std::memcpy(v_at, v_row, sizeof(float) * static_cast<size_t>(head_dim_));
    }
  }
}

uint64_t KvCache::SessionBytes(int capacity) const {
  return 2ull * static_cast<uint64_t>(n_layers_) * static_cast<uint64_t>(capacity) *
         static_cast<uint64_t>(kv_dim()) * elem_size();
}

Status KvCache::Grow(uint64_t id, Session& s, int needed) {
  // Doubling keeps re-allocation rare; 64 positions is the smallest step.
  int cap = std::min(n_ctx_, std::max({needed, 64, s.capacity * 2}));
  uint64_t extra = SessionBytes(cap) - SessionBytes(s.capacity);
  if (bytes_ + extra > max_bytes_) {
    cap = needed;  // try the exact size before giving up
    extra = SessionBytes(cap) - SessionBytes(s.capacity);
  }
  if (bytes_ + extra > max_bytes_)
    return Status::Error("KV cache limit reached: session " + std::to_string(id) + " needs " +
                         std::to_string(needed) + " positions but the cache already holds " +
                         std::to_string(bytes_ >> 20) + " MiB of its " + std::to_string(max_bytes_ >> 20) +
                         " MiB cap over " + std::to_string(sessions_.size()) +
                         " sessions; close sessions or raise the KV cache size");
  // Each head's block moves to its place in the larger layer.
  const size_t head_row = static_cast<size_t>(head_dim_) * elem_size();
  const size_t old_block = head_row * static_cast<size_t>(s.capacity),
               block = head_row * static_cast<size_t>(cap);
  auto grow = [&](std::vector<uint8_t>& layer) {
    std::vector<uint8_t> grown(block * static_cast<size_t>(n_heads_));
    for (size_t h = 0; h < static_cast<size_t>(n_heads_) && old_block > 0; ++h)
      std::memcpy(grown.data() + h * block, layer.data() + h * old_block, old_block);
    layer = std::move(grown);
  };
  s.k.resize(static_cast<size_t>(n_layers_));
  s.v.resize(static_cast<size_t>(n_layers_));
  for (int l = 0; l < n_layers_; ++l) {
    grow(s.k[l]);
    grow(s.v[l]);
  }
  bytes_ += extra;
  s.capacity = cap;
  return Status::Ok();
}

Result<KvCache::Session*> KvCache::Prepare(uint64_t id, int pos, int n) {
  if (pos < 0 || n <= 0 || pos + n > n_ctx_)
    return Status::Error("positions " + std::to_string(pos) + ".." + std::to_string(pos + n - 1) +
                         " exceed the context length of " + std::to_string(n_ctx_) + " tokens");
  auto it = sessions_.find(id);
  const int length = it == sessions_.end() ? 0 : it->second->length;
  if (pos > length)
    return Status::Error("session " + std::to_string(id) + ": position " + std::to_string(pos) +
                         " skips ahead of the " + std::to_string(length) + " positions it holds");
  // A session is created only once it has room: a refused one leaves no entry behind.
  std::unique_ptr<Session> fresh;
  Session& s = it != sessions_.end() ? *it->second : *(fresh = std::make_unique<Session>());
  if (pos + n > s.capacity) SS_RETURN_IF_ERROR(Grow(id, s, pos + n));
  s.length = pos;  // anything at or after pos is recomputed
  if (fresh) sessions_.emplace(id, std::move(fresh));
  return &s;
}

KvCache::Session* KvCache::Find(uint64_t id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

void KvCache::Close(uint64_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  bytes_ -= SessionBytes(it->second->capacity);
  sessions_.erase(it);
}

}  // namespace ss::engine
