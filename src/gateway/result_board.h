#pragma once
// Where FORWARD_RESULTs pushed by nodes meet the sessions waiting for them.
// Node links hand every message to OnMessage and their end to OnLinkClosed;
// a session registers the peers of its route and waits for the result of its
// current step. A link that closes fails every session routed through that
// peer at once, so a dead node is an error in milliseconds, not a timeout.
// Thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "net/rpc_client.h"
#include "util/status.h"

namespace ss::gateway {

class ResultBoard {
 public:
  void Register(uint64_t session, std::vector<std::string> route_peers);
  void Unregister(uint64_t session);
  // The FORWARD_RESULT of `step` (stale results of earlier steps are
  // dropped); kUnavailable when a route peer's link closed or the node
  // reported an error, or when nothing came within `timeout`.
  Result<nlohmann::json> Wait(uint64_t session, uint64_t step, std::chrono::milliseconds timeout);

  void OnMessage(const std::string& peer_id, const net::IncomingMessage& message);
  void OnLinkClosed(const std::string& peer_id, const std::string& why);

 private:
  struct Waiting {
    std::vector<std::string> peers;
    std::vector<nlohmann::json> results;
    std::optional<std::string> failure;
  };
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Waiting> sessions_;
};

}  // namespace ss::gateway
