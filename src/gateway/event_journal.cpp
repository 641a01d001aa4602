#include "gateway/event_journal.h"

#include "util/clock.h"

namespace ss::gateway {

void EventJournal::Add(const std::string& kind, const std::string& message, nlohmann::json fields) {
  if (!fields.is_object()) fields = nlohmann::json::object();
  {
    std::lock_guard<std::mutex> lock(mu_);
    fields["id"] = ++last_id_;
    fields["time_ms"] = UnixMillis();
    fields["kind"] = kind;
    fields["message"] = message;
    events_.push_back(std::move(fields));
    while (events_.size() > capacity_) events_.pop_front();
  }
  changed_.notify_all();
}

std::vector<nlohmann::json> EventJournal::Since(uint64_t after) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<nlohmann::json> out;
  for (const nlohmann::json& e : events_)
    if (e["id"].get<uint64_t>() > after) out.push_back(e);
  return out;
}

std::vector<nlohmann::json> EventJournal::WaitSince(uint64_t after, std::chrono::milliseconds timeout) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait_for(lock, timeout, [&] { return closed_ || last_id_ > after; });
    if (closed_) return {};
  }
  return Since(after);
}

void EventJournal::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  changed_.notify_all();
}

bool EventJournal::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

}  // namespace ss::gateway
