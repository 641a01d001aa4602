#pragma once
// The gateway's recent events for the console's log: nodes joining, leaving,
// going offline, loading and fetching shards, requests starting and ending,
// readiness changing. Keeps the last `capacity` events, each with an id one
// above the last, so a page that reloads replays them and a live stream
// resumes after the last id it saw. Thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ss::gateway {

class EventJournal {
 public:
  explicit EventJournal(size_t capacity = 500) : capacity_(capacity) {}

  // Records an event {id, time_ms, kind, message, ...fields}; `fields` is an
  // object of kind-specific members (peer_id, node, shard, state, …).
  void Add(const std::string& kind, const std::string& message,
           nlohmann::json fields = nlohmann::json::object());

  // The kept events with an id above `after`, oldest first.
  std::vector<nlohmann::json> Since(uint64_t after) const;
  // As Since, but waits up to `timeout` for one to arrive; empty on timeout
  // or once Close() was called.
  std::vector<nlohmann::json> WaitSince(uint64_t after, std::chrono::milliseconds timeout);
  // Wakes every waiter for good (the gateway is stopping).
  void Close();
  bool closed() const;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::deque<nlohmann::json> events_;
  uint64_t last_id_ = 0;
  bool closed_ = false;
};

}  // namespace ss::gateway
