#pragma once
// Turns successive swarm views (SwarmClient::ViewJson) into the events a
// person watching the swarm wants in the console's log: a node joined, left,
// went offline or came back, is fetching its shard (a progress event every
// 10 %), loaded it or cannot; the swarm became ready, or stopped being ready
// and why, in the words of `shardswarm status`. Not thread-safe: one watcher
// calls Observe.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gateway/event_journal.h"

namespace ss::gateway {

class SwarmEvents {
 public:
  explicit SwarmEvents(EventJournal& journal) : journal_(journal) {}
  void Observe(const nlohmann::json& view);

 private:
  struct Seen {
    int shard = 0;
    std::string state;  // "loaded", "downloading", "loading", "offline", "problem"
    int decile = -1;    // download progress seen last, in tens of percent
  };
  void ObserveNode(int shard, const nlohmann::json& node);
  void ObserveReadiness(const nlohmann::json& view);

  EventJournal& journal_;
  std::map<std::string, Seen> nodes_;  // by peer id
  std::optional<bool> ready_;
  nlohmann::json blockers_;
};

}  // namespace ss::gateway
