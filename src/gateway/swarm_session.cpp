#include "gateway/swarm_session.h"

#include <algorithm>
#include <random>
#include <thread>

#include "net/forward_message.h"
#include "util/hex.h"

namespace ss::gateway {
namespace {

uint64_t NewSessionId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t id = 0;
  while (id == 0) id = rng();
  return id;
}

}  // namespace

// A node is avoided at the endpoint that failed: restarted, it listens on
// another and may serve the session again.
std::string AvoidKey(const dht::NodeRecord& node) { return node.peer_id + "@" + node.rpc_endpoint; }

Result<std::unique_ptr<SwarmSession>> SwarmSession::Open(swarm::SwarmClient& swarm, ResultBoard& board,
                                                         Route route, nlohmann::json sampling,
                                                         const SwarmSessionOptions& options) {
  std::unique_ptr<SwarmSession> s(new SwarmSession());
  s->swarm_ = &swarm;
  s->board_ = &board;
  s->sampling_ = std::move(sampling);
  s->options_ = options;
  Status c = s->Connect(std::move(route), options.connect_timeout);
  if (!c.ok() && !(c.code() == StatusCode::kUnavailable && options.reroute)) return c;
  return s;
}

SwarmSession::~SwarmSession() { Close(); }

// Links to every node of `route` under a new session id, within `timeout` in
// all. On failure links_ holds the hops reached, so links_.size() is the index
// of the one that was not.
Status SwarmSession::Connect(Route route, std::chrono::milliseconds timeout) {
  route_ = std::move(route);
  links_.clear();
  id_ = NewSessionId();
  step_ = 0;
  std::vector<std::string> peers;
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (const dht::NodeRecord& hop : route_.hops) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    auto link = swarm_->Link(hop, std::max(left, std::chrono::milliseconds(1)));
    if (!link.ok()) return unreached_ = link.status();
    links_.push_back(std::move(link.value()));
    peers.push_back(hop.peer_id);
  }
  board_->Register(id_, std::move(peers));
  closed_ = false;
  return Status::Ok();
}

Result<int32_t> SwarmSession::Next(int pos, std::span<const int32_t> tokens) {
  if (tokens.empty()) return Status::InvalidArgument("nothing to feed");
  if (pos < 0 || static_cast<size_t>(pos) > fed_.size())
    return Status::InvalidArgument("position " + std::to_string(pos) + " skips positions never fed");
  Result<int32_t> token = NextOnRoute(pos, tokens, options_.step_timeout);
  if (!token.ok() && token.status().code() == StatusCode::kUnavailable && options_.reroute)
    token = Failover(pos, tokens, token.status());
  if (token.ok()) {
    fed_.resize(static_cast<size_t>(pos));
    fed_.insert(fed_.end(), tokens.begin(), tokens.end());
    ++drawn_;
  }
  return token;
}

Result<int32_t> SwarmSession::NextOnRoute(int pos, std::span<const int32_t> tokens,
                                          std::chrono::milliseconds timeout) {
  if (links_.size() < route_.hops.size()) return unreached_;
  const size_t chunk = static_cast<size_t>(options_.chunk_rows);
  for (size_t begin = 0; begin < tokens.size(); begin += chunk) {
    size_t n = std::min(chunk, tokens.size() - begin);
    bool last = begin + n == tokens.size();
    SS_ASSIGN_OR_RETURN(nlohmann::json result,
                        Step(pos + static_cast<int>(begin), tokens.subspan(begin, n), last, timeout));
    if (last) {
      if (!result.contains("token") || !result["token"].is_number_integer())
        return Status::Unavailable("the last stage answered without a token");
      return result["token"].get<int32_t>();
    }
  }
  return Status::Error("unreachable");
}

// Moves the session to another route: avoids the nodes whose links went down
// (or, when every link is up, the whole route: one of them did not answer),
// replays positions [0, pos) and `tokens` there, and keeps trying until the
// deadline while no route is found or the new one fails too. Nodes avoided
// only as part of a route that did not answer are tried again when no route
// is left without them: one of them may just have started (a node refuses a
// peer whose record has not reached it yet). Unreachable nodes stay avoided:
// connecting to a machine that is gone can take the whole deadline.
Result<int32_t> SwarmSession::Failover(int pos, std::span<const int32_t> tokens, const Status& failure) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now(), deadline = start + options_.failover_deadline;
  const Route from = route_;
  std::vector<int32_t> replay(fed_.begin(), fed_.begin() + pos);
  replay.insert(replay.end(), tokens.begin(), tokens.end());
  std::set<std::string> down, suspects;
  Status last_route = failure, last = failure;
  auto all_up = [&] {
    if (links_.size() < route_.hops.size()) return false;
    for (const auto& link : links_)
      if (!link->connected()) return false;
    return true;
  };
  // This route's nodes whose links went down (or the one Connect could not
  // reach), or all of them as suspects when every link is up.
  auto blame = [&] {
    const bool whole_route = all_up();
    for (size_t i = 0; i < route_.hops.size(); ++i) {
      if (whole_route) {
        suspects.insert(AvoidKey(route_.hops[i]));
      } else if (i == links_.size() || (i < links_.size() && !links_[i]->connected())) {
        down.insert(AvoidKey(route_.hops[i]));
      }
    }
  };
  // A dead node's link closes a moment after its neighbour reports it gone.
  if (all_up()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  blame();
  while (Clock::now() < deadline) {
    Close();
    std::set<std::string> avoid = down;
    avoid.insert(suspects.begin(), suspects.end());
    Result<Route> next = options_.reroute(avoid);
    if (!next.ok()) {
      last = next.status();
      suspects.clear();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    auto left = [&](std::chrono::milliseconds cap) {
      return std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
                        std::chrono::milliseconds(1), cap);
    };
    if (Status c = Connect(std::move(next.value()), left(options_.connect_timeout)); !c.ok()) {
      last = last_route = c;
      blame();
      continue;
    }
    sampling_["skip_draws"] = drawn_;
    Result<int32_t> token = NextOnRoute(0, replay, left(options_.step_timeout));
    if (token.ok() || token.status().code() != StatusCode::kUnavailable) {
      if (token.ok()) {
        ++failovers_;
        if (options_.on_failover)
          options_.on_failover(from, route_, static_cast<int>(replay.size()), failure.message(),
                               std::chrono::duration<double>(Clock::now() - start).count());
      }
      return token;
    }
    last = last_route = token.status();
    blame();
  }
  std::string why = last.message();
  if (last_route.message() != failure.message() && last_route.message() != why)
    why = "the last route tried: " + last_route.message() + "; then: " + why;
  return Status::Unavailable(failure.message() + "; no other route took over within " +
                             std::to_string(options_.failover_deadline.count() / 1000) + " s (" + why + ")");
}

Result<nlohmann::json> SwarmSession::Step(int pos, std::span<const int32_t> rows, bool sample,
                                          std::chrono::milliseconds timeout) {
  net::ForwardHeader h;
  h.session = id_;
  h.step = ++step_;
  h.origin = swarm_->identity().peer_id;
  h.stage = 0;
  for (const dht::NodeRecord& hop : route_.hops) h.route.push_back({hop.peer_id, hop.rpc_endpoint});
  h.sample = sample;
  h.sampling = sampling_;
  net::ActivationFrame f;
  f.kind = net::ActivationKind::kTokens;
  f.request_id = h.step;
  f.session = id_;
  for (size_t i = 0; i < rows.size(); ++i) f.rows.push_back({pos + static_cast<int32_t>(i), rows[i]});
  SS_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, net::EncodeForward(h, f));
  if (Status s = links_.front()->SendBinary(std::move(bytes)); !s.ok())
    return Status::Unavailable("cannot send to the first stage (node " +
                               ShortId(route_.hops.front().peer_id) + "): " + s.message());
  SS_ASSIGN_OR_RETURN(nlohmann::json result, board_->Wait(id_, h.step, timeout));
  if (options_.on_timings) options_.on_timings(route_, net::ResultTimings(result));
  return result;
}

void SwarmSession::Close() {
  if (closed_) return;
  closed_ = true;
  board_->Unregister(id_);
  // Best effort: a node that is gone frees the session by its idle timeout.
  nlohmann::json close = {{"type", "SESSION_CLOSE"}, {"session", id_}};
  for (auto& link : links_)
    if (link->connected()) (void)link->Call(close, std::chrono::seconds(2));
}

}  // namespace ss::gateway
