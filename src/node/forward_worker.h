#pragma once
// The node's forward path (DESIGN.md §8, net/forward_message.h): FORWARD
// messages are decoded and checked on the RPC handler threads (Submit, quick),
// queued, and run by one compute thread with continuous batching: each batch
// takes every queued FORWARD (at most one per session, up to a row budget but
// always at least one), runs them through Stage::Forward at once, then a
// middle stage sends each one's hidden states on to the route's next hop and
// the last stage samples and pushes FORWARD_RESULT to the origin. A batch that
// fails is run again one FORWARD at a time, so only the guilty one gets an
// error. The thread sleeps while the queue is empty.
//
// Locking: mu_ guards the queue, the session map and each session's length
// and last_active; stage_mu_ is held by the compute thread while it runs a
// batch and by whoever closes sessions, and guards the Stage and each
// session's sampler and history. Order: stage_mu_ before mu_.
// PeerLinks must outlive the worker;
// push must stay callable until the worker is destroyed.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "engine/stage.h"
#include "model/sampler.h"
#include "net/forward_message.h"
#include "net/rpc_metrics.h"
#include "net/rpc_server.h"
#include "node/forward_session.h"
#include "node/peer_links.h"

namespace ss::node {

// Limits against peers that are authorised but hostile or broken: beyond
// them a FORWARD is refused with an error naming the limit, so the node's
// memory stays bounded. A session's KV cache holds at most the stage's context
// (n_ctx positions), so the session caps bound the KV memory per origin and in
// total; the queue caps bound the FORWARDs decoded but not yet run.
struct ForwardLimits {
  size_t max_sessions = 512;                        // open sessions on this node, every origin together
  size_t max_sessions_per_origin = 256;             // open sessions of one origin (a gateway)
  size_t max_queued = 512;                          // FORWARDs waiting for the compute thread
  size_t max_queued_per_sender = 256;               // of those, sent by one peer
  uint64_t max_queued_bytes = uint64_t{512} << 20;  // their activation values
};

struct ForwardWorkerOptions {
  std::string self_peer_id;
  int shard_id = 0;
  size_t max_batch_rows = 512;
  size_t max_frame_rows = 4096;
  ForwardLimits limits;
  // Whether a peer id is a node of the swarm (has a node record). Only nodes
  // relay a FORWARD of another origin (as the route's previous stage); a
  // client may send only its own. Null: every peer counts as a node.
  std::function<bool(const std::string& peer_id)> is_node;
};

class ForwardWorker {
 public:
  // Sends a message to a peer's connections to this node (RpcServer::SendToPeer).
  using PushFn = std::function<void(const std::string& peer_id, const nlohmann::json& message)>;

  ForwardWorker(ForwardWorkerOptions options, PeerLinks* links, PushFn push);
  ~ForwardWorker();  // Stop()
  ForwardWorker(const ForwardWorker&) = delete;
  ForwardWorker& operator=(const ForwardWorker&) = delete;

  // The loaded shard (null: none; FORWARDs get an error). Replacing a stage
  // waits for the running batch, closes every session (their KV caches were
  // the old stage's) and fails the FORWARDs still queued for it.
  // `shard_id`: the shard the stage serves (routes name it as their stage).
  void SetStage(std::shared_ptr<engine::Stage> stage, int shard_id);
  // The RPC binary handler: null when queued (the answer comes later, pushed)
  // or refused for a reason the origin must hear (pushed to it); an error
  // reply to the sender when the message is not even a FORWARD header, or
  // when the sender may not send it for that origin or session (kRefused).
  nlohmann::json Submit(const net::PeerInfo& sender, std::span<const uint8_t> message);
  // Closes a session (KV freed, sampler dropped); false when there was none.
  bool Close(const std::string& origin, uint64_t session);
  // Closes sessions idle longer than `timeout`, logging each; returns how many.
  size_t CloseIdle(std::chrono::steady_clock::duration timeout);
  // [{"origin": short id, "session", "positions"}]
  nlohmann::json SessionsJson();
  size_t sessions_open();
  // {"batches", "rows", "max_batch_rows", "max_batch_sessions", "multi_session_batches", "latency_ms"}
  nlohmann::json MetricsJson();
  void Stop();  // idempotent; queued FORWARDs are dropped

 private:
  struct Item {
    net::ForwardMessage msg;
    std::string sender;                    // the peer it came from: the origin or the previous stage
    model::SamplingParams sampling;        // parsed from the header (used by the last stage)
    ForwardSession* session = nullptr;     // set by Begin, valid while stage_mu_ is held
    std::shared_ptr<engine::Stage> stage;  // the one it was checked against
    std::chrono::steady_clock::time_point received;
  };
  struct Outgoing {  // a middle stage's hidden states for the next hop
    Item* item;
    std::vector<uint8_t> bytes;
  };

  std::string Where(int stage) const;
  Status Validate(const net::PeerInfo& sender, const net::ForwardMessage& m, engine::Stage* stage,
                  model::SamplingParams* sampling);
  void Loop();
  std::vector<Item> TakeBatch();
  void RunBatch(std::vector<Item>& batch);
  Status Begin(Item& item, engine::Stage& stage);
  // Under mu_: whether `sender` may send rows starting at `first` for the
  // session (open or not), within the session caps.
  Status CheckSessionLocked(const net::ForwardHeader& h, const std::string& sender, int first) const;
  Status CheckQueueLocked(const std::string& sender, uint64_t bytes) const;
  void EraseSessionLocked(std::map<SessionKey, std::unique_ptr<ForwardSession>>::iterator it);
  Status Compute(std::vector<Item*>& items, engine::Stage& stage, std::vector<Outgoing>* out);
  void Fail(const Item& item, const std::string& error);
  void SendOn(Outgoing& o);

  ForwardWorkerOptions options_;
  std::atomic<int> shard_id_;
  PeerLinks* links_;
  PushFn push_;
  std::shared_ptr<engine::Stage> CurrentStage();

  std::mutex stage_ptr_mu_;  // guards stage_ only (Submit reads it without stage_mu_)
  std::shared_ptr<engine::Stage> stage_;

  std::mutex stage_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::deque<Item> queue_;
  std::map<SessionKey, std::unique_ptr<ForwardSession>> sessions_;
  std::map<std::string, size_t> sessions_per_origin_;
  std::map<std::string, size_t> queued_per_sender_;
  uint64_t queued_bytes_ = 0;
  uint64_t next_kv_id_ = 1;

  // Metrics (under mu_); forward latency in a recorder's ring.
  uint64_t batches_ = 0, rows_ = 0, max_batch_rows_ = 0, max_batch_sessions_ = 0, multi_session_batches_ = 0;
  net::RpcMetricsRecorder latency_;

  std::thread thread_;
};

}  // namespace ss::node
