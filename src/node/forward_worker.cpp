#include "node/forward_worker.h"

#include <optional>
#include <set>

#include "net/message.h"
#include "swarm/swarm_view.h"
#include "util/hex.h"
#include "util/json_parse.h"
#include "util/log.h"
#include "util/thread_name.h"

namespace ss::node {
namespace {

using Clock = std::chrono::steady_clock;

// What an undecodable FORWARD still tells: where to send the error.
struct Envelope {
  std::string origin;
  uint64_t session = 0, step = 0;
  int stage = -1;
};

std::optional<Envelope> PeekHeader(std::span<const uint8_t> m) {
  if (m.size() < 4) return std::nullopt;
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(m[i]) << (8 * i);
  if (n == 0 || n > net::kMaxForwardHeaderBytes || n > m.size() - 4) return std::nullopt;
  auto j = ParseUntrustedJsonOrDiscarded(std::string_view(reinterpret_cast<const char*>(m.data()) + 4, n));
  if (!j.is_object()) return std::nullopt;
  auto origin = j.find("origin"), session = j.find("session"), step = j.find("step"), stage = j.find("stage");
  if (origin == j.end() || !origin->is_string() || origin->get_ref<const std::string&>().empty() ||
      session == j.end() || !session->is_number_unsigned() || step == j.end() || !step->is_number_unsigned())
    return std::nullopt;
  Envelope e{origin->get<std::string>(), session->get<uint64_t>(), step->get<uint64_t>()};
  if (stage != j.end() && stage->is_number_integer() && stage->get<int64_t>() >= 0 &&
      stage->get<int64_t>() < int64_t{1} << 20)
    e.stage = stage->get<int>();
  return e;
}

// What a queued FORWARD holds in memory: its rows and activation values.
uint64_t QueuedBytes(const net::ActivationFrame& f) {
  return f.values.size() * sizeof(float) + f.rows.size() * sizeof(net::ActivationRow);
}

std::string Layers(const engine::Stage& s) {
  return "layers " + std::to_string(s.layer_start()) + "-" + std::to_string(s.layer_end() - 1) + " of " +
         std::to_string(s.config().n_layer);
}

}  // namespace

ForwardWorker::ForwardWorker(ForwardWorkerOptions options, PeerLinks* links, PushFn push)
    : options_(std::move(options)), shard_id_(options_.shard_id), links_(links), push_(std::move(push)) {
  thread_ = std::thread([this] {
    NameThisThread("forward");
    Loop();
  });
}

ForwardWorker::~ForwardWorker() { Stop(); }

void ForwardWorker::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<engine::Stage> ForwardWorker::CurrentStage() {
  std::lock_guard lock(stage_ptr_mu_);
  return stage_;
}

void ForwardWorker::SetStage(std::shared_ptr<engine::Stage> stage, int shard_id) {
  shard_id_ = shard_id;
  std::deque<Item> dropped;
  {
    std::lock_guard stage_lock(stage_mu_);  // no batch runs meanwhile
    std::lock_guard lock(mu_);
    {
      std::lock_guard ptr_lock(stage_ptr_mu_);
      if (stage_ == stage) return;
      stage_ = std::move(stage);
    }
    if (!sessions_.empty())
      Log("SHARD", "closed " + std::to_string(sessions_.size()) + " session(s): the shard was replaced");
    sessions_.clear();
    sessions_per_origin_.clear();
    dropped.swap(queue_);
    queued_per_sender_.clear();
    queued_bytes_ = 0;
  }
  for (const Item& item : dropped) Fail(item, "the shard was replaced while this FORWARD waited");
}

std::string ForwardWorker::Where(int stage) const {
  return "stage " + (stage < 0 ? std::string("?") : std::to_string(stage)) + " (shard " +
         std::to_string(shard_id_.load()) + ", node " + ShortId(options_.self_peer_id) + ")";
}

void ForwardWorker::Fail(const Item& item, const std::string& error) {
  const net::ForwardHeader& h = item.msg.header;
  push_(h.origin, net::ForwardError(h.session, h.step, Where(h.stage) + ": " + error));
}

nlohmann::json ForwardWorker::Submit(const net::PeerInfo& sender, std::span<const uint8_t> message) {
  const auto received = Clock::now();
  std::shared_ptr<engine::Stage> stage = CurrentStage();
  Result<net::ForwardMessage> m =
      stage ? net::DecodeForward(message.data(), message.size(), options_.max_frame_rows,
                                 static_cast<size_t>(stage->config().n_embd))
            : Status::NotReady("this node has not loaded its shard yet");
  Item item;
  Status valid = m.ok() ? Validate(sender, *m, stage.get(), &item.sampling) : m.status();
  if (!valid.ok()) {
    auto e = PeekHeader(message);
    if (!e) return net::ErrorReply(nullptr, Where(-1) + ": " + valid.message());
    // A sender refused for the origin it names gets the error itself: the
    // origin did not send this, and must not see its session fail for it.
    if (valid.code() == StatusCode::kRefused)
      return net::ForwardError(e->session, e->step, Where(e->stage) + ": " + valid.message());
    push_(e->origin, net::ForwardError(e->session, e->step, Where(e->stage) + ": " + valid.message()));
    return nullptr;
  }
  item.msg = std::move(m.value());
  item.sender = sender.public_key_id;
  item.received = received;
  item.stage = std::move(stage);
  const uint64_t bytes = QueuedBytes(item.msg.frame);
  Status room;
  {
    std::lock_guard lock(mu_);
    if (stop_) return net::ErrorReply(nullptr, Where(item.msg.header.stage) + ": the node is stopping");
    room = CheckQueueLocked(item.sender, bytes);
    if (room.ok()) {
      auto it = sessions_.find({item.msg.header.origin, item.msg.header.session});
      if (it != sessions_.end()) it->second->last_active = Clock::now();
      queued_per_sender_[item.sender]++;
      queued_bytes_ += bytes;
      queue_.push_back(std::move(item));
    }
  }
  if (!room.ok()) {  // item was not moved from
    Fail(item, room.message());
    return nullptr;
  }
  cv_.notify_one();
  return nullptr;
}

Status ForwardWorker::Validate(const net::PeerInfo& sender, const net::ForwardMessage& m,
                               engine::Stage* stage, model::SamplingParams* sampling) {
  const net::ForwardHeader& h = m.header;
  const net::ActivationFrame& f = m.frame;
  const engine::Config& c = stage->config();
  const int last = static_cast<int>(h.route.size()) - 1;
  if (h.route[h.stage].peer_id != options_.self_peer_id)
    return Status::InvalidArgument("route hop " + std::to_string(h.stage) + " names node " +
                                   ShortId(h.route[h.stage].peer_id) + ", not this node");
  if (sender.public_key_id != h.origin &&
      !(h.stage > 0 && sender.public_key_id == h.route[h.stage - 1].peer_id))
    return Status::Refused("sent by " + ShortId(sender.public_key_id) +
                           ", which is neither the origin nor the route's previous stage");
  if (sender.public_key_id != h.origin && options_.is_node && !options_.is_node(sender.public_key_id))
    return Status::Refused("sent by " + ShortId(sender.public_key_id) + " for origin " + ShortId(h.origin) +
                           ": a client sends only its own sessions; only nodes relay other origins' rows");
  if ((h.stage == 0) != stage->is_first())
    return Status::InvalidArgument(stage->is_first()
                                       ? "this node holds " + Layers(*stage) + ", so it is stage 0 of a route"
                                       : "this node holds " + Layers(*stage) +
                                             " and cannot be a route's first stage (that starts at layer 0)");
  if ((h.stage == last) != stage->is_last())
    return Status::InvalidArgument(stage->is_last()
                                       ? "this node holds " + Layers(*stage) +
                                             ", the model's last layers, but the route has " +
                                             std::to_string(last - h.stage) + " more stage(s) after it"
                                       : "this node holds " + Layers(*stage) +
                                             " and cannot be a route's last stage (that ends at layer " +
                                             std::to_string(c.n_layer) + ")");
  if (h.stage != shard_id_.load())
    return Status::InvalidArgument("the route puts shard " + std::to_string(shard_id_.load()) + " at stage " +
                                   std::to_string(h.stage) +
                                   "; a route has one hop per shard, in layer order");
  if (stage->is_first()) {
    if (f.kind != net::ActivationKind::kTokens)
      return Status::InvalidArgument("the first stage takes token rows, not hidden states");
    for (const net::ActivationRow& r : f.rows)
      if (r.token < 0 || r.token >= c.n_vocab)
        return Status::InvalidArgument("token id " + std::to_string(r.token) + " at position " +
                                       std::to_string(r.pos) + " is outside the vocabulary of " +
                                       std::to_string(c.n_vocab));
  } else if (f.kind != net::ActivationKind::kHiddenStates || f.width != static_cast<uint32_t>(c.n_embd)) {
    return Status::InvalidArgument(f.kind != net::ActivationKind::kHiddenStates
                                       ? std::string("this stage takes hidden states, not token rows")
                                       : "hidden states of width " + std::to_string(f.width) +
                                             ", but this model's n_embd is " + std::to_string(c.n_embd));
  }
  const int first = f.rows.front().pos;
  for (size_t i = 1; i < f.rows.size(); ++i)
    if (f.rows[i].pos != f.rows[i - 1].pos + 1)
      return Status::InvalidArgument("positions must be consecutive: position " +
                                     std::to_string(f.rows[i].pos) + " follows " +
                                     std::to_string(f.rows[i - 1].pos));
  if (first < 0) return Status::InvalidArgument("position " + std::to_string(first) + " is negative");
  const int64_t last_pos = int64_t{first} + static_cast<int64_t>(f.rows.size()) - 1;
  if (last_pos >= stage->n_ctx())
    return Status::InvalidArgument("position " + std::to_string(last_pos) + " is beyond the context of " +
                                   std::to_string(stage->n_ctx()));
  {
    std::lock_guard lock(mu_);
    SS_RETURN_IF_ERROR(CheckSessionLocked(h, sender.public_key_id, first));
  }
  if (stage->is_last()) {
    auto p = ParseSamplingParams(h.sampling);
    if (!p.ok()) return p.status();
    *sampling = *p;
  }
  return Status::Ok();
}

Status ForwardWorker::CheckSessionLocked(const net::ForwardHeader& h, const std::string& sender,
                                         int first) const {
  const ForwardLimits& l = options_.limits;
  auto it = sessions_.find({h.origin, h.session});
  if (it == sessions_.end()) {
    if (first > 0)
      return Status::InvalidArgument("session " + std::to_string(h.session) +
                                     " holds 0 positions here; rows must start at position 0 or earlier, "
                                     "not " +
                                     std::to_string(first));
    auto n = sessions_per_origin_.find(h.origin);
    if (n != sessions_per_origin_.end() && n->second >= l.max_sessions_per_origin)
      return Status::Busy("origin " + ShortId(h.origin) + " has " + std::to_string(n->second) +
                          " sessions open on this node (limit " + std::to_string(l.max_sessions_per_origin) +
                          "): close some (SESSION_CLOSE) before opening session " +
                          std::to_string(h.session));
    if (sessions_.size() >= l.max_sessions)
      return Status::Busy("this node has " + std::to_string(sessions_.size()) + " sessions open (limit " +
                          std::to_string(l.max_sessions) + "): session " + std::to_string(h.session) +
                          " cannot open until some close");
    return Status::Ok();
  }
  const ForwardSession& s = *it->second;
  if (first > s.length)
    return Status::InvalidArgument("session " + std::to_string(h.session) + " holds " +
                                   std::to_string(s.length) +
                                   " positions here; rows must start at position " +
                                   std::to_string(s.length) + " or earlier, not " + std::to_string(first));
  if (first > 0 && !s.feeder.empty() && s.feeder != sender)
    return Status::Refused("session " + std::to_string(h.session) + " of origin " + ShortId(h.origin) +
                           " is fed by " + ShortId(s.feeder) + " here, not by " + ShortId(sender) +
                           "; another peer takes a session over only from position 0");
  return Status::Ok();
}

Status ForwardWorker::CheckQueueLocked(const std::string& sender, uint64_t bytes) const {
  const ForwardLimits& l = options_.limits;
  auto mine = queued_per_sender_.find(sender);
  const size_t from_sender = mine == queued_per_sender_.end() ? 0 : mine->second;
  if (from_sender >= l.max_queued_per_sender)
    return Status::Busy("peer " + ShortId(sender) + " already has " + std::to_string(from_sender) +
                        " FORWARDs waiting on this node (limit " + std::to_string(l.max_queued_per_sender) +
                        "): send the next after a result");
  if (queue_.size() >= l.max_queued || queued_bytes_ + bytes > l.max_queued_bytes)
    return Status::Busy("this node's queue is full (" + std::to_string(queue_.size()) + " FORWARDs, " +
                        std::to_string(queued_bytes_ >> 20) + " MiB waiting; limits " +
                        std::to_string(l.max_queued) + " and " + std::to_string(l.max_queued_bytes >> 20) +
                        " MiB): try again after a result");
  return Status::Ok();
}

void ForwardWorker::EraseSessionLocked(std::map<SessionKey, std::unique_ptr<ForwardSession>>::iterator it) {
  if (auto n = sessions_per_origin_.find(it->first.first);
      n != sessions_per_origin_.end() && --n->second == 0)
    sessions_per_origin_.erase(n);
  sessions_.erase(it);
}

void ForwardWorker::Loop() {
  for (;;) {
    std::vector<Item> batch = TakeBatch();
    if (batch.empty()) return;
    RunBatch(batch);
  }
}

// Every queued FORWARD of a session not in the batch yet, within the row budget.
std::vector<ForwardWorker::Item> ForwardWorker::TakeBatch() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
  std::vector<Item> batch;
  if (stop_) return batch;
  std::set<SessionKey> taken;
  std::deque<Item> later;
  size_t rows = 0;
  for (Item& item : queue_) {
    const size_t n = item.msg.frame.rows.size();
    SessionKey key{item.msg.header.origin, item.msg.header.session};
    if (taken.count(key) || (!batch.empty() && rows + n > options_.max_batch_rows)) {
      later.push_back(std::move(item));
      continue;
    }
    taken.insert(key);
    rows += n;
    if (auto q = queued_per_sender_.find(item.sender); q != queued_per_sender_.end() && --q->second == 0)
      queued_per_sender_.erase(q);
    queued_bytes_ -= QueuedBytes(item.msg.frame);
    batch.push_back(std::move(item));
  }
  queue_.swap(later);
  return batch;
}

void ForwardWorker::RunBatch(std::vector<Item>& batch) {
  std::vector<Outgoing> out;
  {
    std::lock_guard stage_lock(stage_mu_);
    const std::shared_ptr<engine::Stage> current = CurrentStage();
    std::vector<Item*> live;
    for (Item& item : batch) {
      if (item.stage != current) {  // checked against a stage since replaced
        Fail(item, "the shard was replaced while this FORWARD waited");
        continue;
      }
      Status s = Begin(item, *current);
      if (s.ok())
        live.push_back(&item);
      else
        Fail(item, s.message());
    }
    if (live.empty()) return;
    engine::Stage& stage = *current;
    Status s = Compute(live, stage, &out);
    if (!s.ok() && live.size() == 1) Fail(*live[0], s.message());
    if (!s.ok() && live.size() > 1)
      for (Item* item : live) {
        std::vector<Item*> one{item};
        if (Status alone = Compute(one, stage, &out); !alone.ok()) Fail(*item, alone.message());
      }
  }
  // Sending may wait for a connection: not while holding the stage.
  for (Outgoing& o : out) SendOn(o);
}

// Finds or opens the item's session; on the last stage prepares its sampler.
Status ForwardWorker::Begin(Item& item, engine::Stage& stage) {
  const net::ForwardHeader& h = item.msg.header;
  const int first = item.msg.frame.rows.front().pos;
  {
    std::lock_guard lock(mu_);
    // Again: the session may have closed, or others opened, since Submit.
    SS_RETURN_IF_ERROR(CheckSessionLocked(h, item.sender, first));
    auto& slot = sessions_[{h.origin, h.session}];
    if (!slot) {
      slot = std::make_unique<ForwardSession>();
      slot->kv_id = next_kv_id_++;
      sessions_per_origin_[h.origin]++;
    }
    slot->feeder = item.sender;
    slot->last_active = Clock::now();
    item.session = slot.get();
  }
  if (stage.is_last()) return item.session->PrepareSampling(item.sampling, item.msg.frame.rows);
  return Status::Ok();
}

// One Stage::Forward over the items' rows, then each item's result: the next
// hop's message (middle stages) or the sampled token (last stage).
Status ForwardWorker::Compute(std::vector<Item*>& items, engine::Stage& stage, std::vector<Outgoing>* out) {
  const bool last = stage.is_last(), first = stage.is_first();
  const size_t E = static_cast<size_t>(stage.config().n_embd);
  const int n_vocab = stage.config().n_vocab;
  std::vector<engine::BatchRow> rows;
  std::vector<float> hidden;
  for (Item* item : items) {
    const auto& fr = item->msg.frame.rows;
    for (size_t i = 0; i < fr.size(); ++i)
      rows.push_back({item->session->kv_id, fr[i].pos, fr[i].token,
                      last && item->msg.header.sample && i + 1 == fr.size()});
    if (!first) hidden.insert(hidden.end(), item->msg.frame.values.begin(), item->msg.frame.values.end());
  }
  std::vector<float> result;
  const auto t0 = Clock::now();
  SS_RETURN_IF_ERROR(stage.Forward(rows, first ? nullptr : hidden.data(), &result));
  const auto t1 = Clock::now();
  latency_.AddLatency(t1 - t0);
  auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  {
    std::lock_guard lock(mu_);
    batches_++;
    rows_ += rows.size();
    max_batch_rows_ = std::max<uint64_t>(max_batch_rows_, rows.size());
    max_batch_sessions_ = std::max<uint64_t>(max_batch_sessions_, items.size());
    if (items.size() > 1) multi_session_batches_++;
    for (Item* item : items) {
      item->session->length = item->msg.frame.rows.back().pos + 1;
      item->session->last_active = Clock::now();
    }
  }
  size_t row = 0, logits_row = 0;
  for (Item* item : items) {
    const net::ForwardHeader& h = item->msg.header;
    const size_t n = item->msg.frame.rows.size();
    std::vector<net::StageTiming> timings = h.timings;
    timings.push_back({ms(t0 - item->received), ms(t1 - t0)});
    if (last) {
      item->session->AcceptRows(item->msg.frame.rows);
      std::optional<int32_t> token;
      if (h.sample) token = item->session->SampleNext(&result[logits_row++ * n_vocab], n_vocab);
      push_(h.origin, net::ForwardResult(h.session, h.step, token, timings));
    } else {
      net::ForwardHeader next = h;
      next.stage = h.stage + 1;
      next.timings = std::move(timings);
      net::ActivationFrame frame;
      frame.kind = net::ActivationKind::kHiddenStates;
      frame.request_id = h.step;
      frame.session = h.session;
      frame.width = static_cast<uint32_t>(E);
      frame.rows = item->msg.frame.rows;
      frame.values.assign(result.begin() + static_cast<long>(row * E),
                          result.begin() + static_cast<long>((row + n) * E));
      auto bytes = net::EncodeForward(next, frame);
      if (bytes.ok())
        out->push_back({item, std::move(bytes.value())});
      else
        Fail(*item, "cannot encode the FORWARD for the next stage: " + bytes.status().message());
    }
    row += n;
  }
  return Status::Ok();
}

void ForwardWorker::SendOn(Outgoing& o) {
  const net::ForwardHeader& h = o.item->msg.header;
  const net::RouteHop& hop = h.route[h.stage + 1];
  Status s = links_->Send(hop, std::move(o.bytes));
  if (!s.ok())
    Fail(*o.item, "cannot reach the next stage " + std::to_string(h.stage + 1) + " (node " +
                      ShortId(hop.peer_id) + " at " + hop.endpoint + "): " + s.message());
}

bool ForwardWorker::Close(const std::string& origin, uint64_t session) {
  std::lock_guard stage_lock(stage_mu_);
  std::lock_guard lock(mu_);
  auto it = sessions_.find({origin, session});
  if (it == sessions_.end()) return false;
  if (auto stage = CurrentStage()) stage->CloseSession(it->second->kv_id);
  EraseSessionLocked(it);
  return true;
}

size_t ForwardWorker::CloseIdle(Clock::duration timeout) {
  std::vector<std::string> closed;
  {
    std::lock_guard stage_lock(stage_mu_);
    std::lock_guard lock(mu_);
    const auto now = Clock::now();
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (now - it->second->last_active <= timeout) {
        ++it;
        continue;
      }
      if (auto stage = CurrentStage()) stage->CloseSession(it->second->kv_id);
      closed.push_back("session " + std::to_string(it->first.second) + " of " + ShortId(it->first.first) +
                       " (" + std::to_string(it->second->length) + " positions)");
      EraseSessionLocked(it++);
    }
  }
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(timeout).count();
  for (const std::string& c : closed)
    Log("SHARD", "closed " + c + ": idle for more than " + std::to_string(seconds) + " s");
  return closed.size();
}

nlohmann::json ForwardWorker::SessionsJson() {
  std::lock_guard lock(mu_);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [key, s] : sessions_)
    list.push_back({{"origin", ShortId(key.first)}, {"session", key.second}, {"positions", s->length}});
  return list;
}

size_t ForwardWorker::sessions_open() {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

nlohmann::json ForwardWorker::MetricsJson() {
  net::RpcMetrics latency = latency_.Snapshot();
  std::lock_guard lock(mu_);
  return {{"batches", batches_},
          {"rows", rows_},
          {"max_batch_rows", max_batch_rows_},
          {"max_batch_sessions", max_batch_sessions_},
          {"multi_session_batches", multi_session_batches_},
          {"sessions_open", sessions_.size()},
          {"latency_ms", {{"p50", latency.latency_p50_ms}, {"p95", latency.latency_p95_ms}}}};
}

}  // namespace ss::node
