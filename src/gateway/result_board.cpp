#include "gateway/result_board.h"

#include <algorithm>

#include "net/message.h"
#include "swarm/swarm_view.h"
#include "util/hex.h"
#include "util/json_parse.h"
#include "util/log.h"

namespace ss::gateway {

void ResultBoard::Register(uint64_t session, std::vector<std::string> route_peers) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_[session] = Waiting{std::move(route_peers), {}, std::nullopt};
}

void ResultBoard::Unregister(uint64_t session) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(session);
}

Result<nlohmann::json> ResultBoard::Wait(uint64_t session, uint64_t step, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto it = sessions_.find(session);
    if (it == sessions_.end())
      return Status::Error("session " + std::to_string(session) + " is not registered");
    Waiting& w = it->second;
    if (w.failure) return Status::Unavailable(*w.failure);
    for (auto r = w.results.begin(); r != w.results.end();) {
      uint64_t got = (*r)["step"].get<uint64_t>();
      if (got < step) {
        r = w.results.erase(r);
        continue;
      }
      if (got == step) {
        nlohmann::json result = std::move(*r);
        w.results.erase(r);
        if (net::StringOr(result, "status", "") != "ok")
          return Status::Unavailable(net::StringOr(result, "error", "a node reported an unnamed error"));
        return result;
      }
      ++r;
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout)
      return Status::Unavailable("no result from the route within " + std::to_string(timeout.count() / 1000) +
                                 " s (step " + std::to_string(step) + ")");
  }
}

void ResultBoard::OnMessage(const std::string& peer_id, const net::IncomingMessage& message) {
  if (message.binary) return;
  auto j = ParseUntrustedJsonOrDiscarded(message.data);
  if (!j.is_object()) return;
  if (net::StringOr(j, "type", "") != "FORWARD_RESULT" || !j.contains("session") ||
      !j["session"].is_number_unsigned() || !j.contains("step") || !j["step"].is_number_unsigned()) {
    if (net::StringOr(j, "status", "") == "error")
      Log("CONNECT", "node " + ShortId(peer_id) + " says: " + net::StringOr(j, "error", "?"));
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(j["session"].get<uint64_t>());
  if (it == sessions_.end()) return;
  auto& peers = it->second.peers;
  if (std::find(peers.begin(), peers.end(), peer_id) == peers.end()) return;  // not on its route
  it->second.results.push_back(std::move(j));
  cv_.notify_all();
}

void ResultBoard::OnLinkClosed(const std::string& peer_id, const std::string& why) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [session, w] : sessions_)
    if (std::find(w.peers.begin(), w.peers.end(), peer_id) != w.peers.end() && !w.failure)
      w.failure = "the connection to node " + ShortId(peer_id) + " on this request's route closed: " + why;
  cv_.notify_all();
}

}  // namespace ss::gateway
