#include "gateway/client_limits.h"

namespace ss::gateway {

std::unique_ptr<ClientLimits::Slot> ClientLimits::Acquire(const std::string& client) {
  std::lock_guard lock(mu_);
  size_t& n = in_progress_[client];
  if (n >= per_client_) {
    if (n == 0) in_progress_.erase(client);
    return nullptr;
  }
  ++n;
  return std::make_unique<Slot>(this, client);
}

void ClientLimits::Release(const std::string& client) {
  std::lock_guard lock(mu_);
  auto it = in_progress_.find(client);
  if (it == in_progress_.end()) return;
  if (--it->second == 0) in_progress_.erase(it);
}

size_t ClientLimits::InProgress(const std::string& client) const {
  std::lock_guard lock(mu_);
  auto it = in_progress_.find(client);
  return it == in_progress_.end() ? 0 : it->second;
}

size_t ClientLimits::clients() const {
  std::lock_guard lock(mu_);
  return in_progress_.size();
}

std::string AddressOf(const std::string& remote) {
  const size_t colon = remote.rfind(':');
  return colon == std::string::npos ? remote : remote.substr(0, colon);
}

}  // namespace ss::gateway
