#include "gateway/swarm_session.h"

#include <random>

#include "net/forward_message.h"

namespace ss::gateway {
namespace {

uint64_t NewSessionId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t id = 0;
  while (id == 0) id = rng();
  return id;
}

}  // namespace

Result<std::unique_ptr<SwarmSession>> SwarmSession::Open(swarm::SwarmClient& swarm, ResultBoard& board,
                                                         Route route, nlohmann::json sampling,
                                                         const SwarmSessionOptions& options) {
  std::unique_ptr<SwarmSession> s(new SwarmSession());
  s->swarm_ = &swarm;
  s->board_ = &board;
  s->route_ = std::move(route);
  s->sampling_ = std::move(sampling);
  s->options_ = options;
  s->id_ = NewSessionId();
  std::vector<std::string> peers;
  for (const dht::NodeRecord& hop : s->route_.hops) {
    SS_ASSIGN_OR_RETURN(auto link, swarm.Link(hop, options.connect_timeout));
    s->links_.push_back(std::move(link));
    peers.push_back(hop.peer_id);
  }
  board.Register(s->id_, std::move(peers));
  return s;
}

SwarmSession::~SwarmSession() { Close(); }

Result<int32_t> SwarmSession::Next(int pos, std::span<const int32_t> tokens) {
  if (tokens.empty()) return Status::InvalidArgument("nothing to feed");
  const size_t chunk = static_cast<size_t>(options_.chunk_rows);
  for (size_t begin = 0; begin < tokens.size(); begin += chunk) {
    size_t n = std::min(chunk, tokens.size() - begin);
    bool last = begin + n == tokens.size();
    SS_ASSIGN_OR_RETURN(nlohmann::json result,
                        Step(pos + static_cast<int>(begin), tokens.subspan(begin, n), last));
    if (last) {
      if (!result.contains("token") || !result["token"].is_number_integer())
        return Status::Unavailable("the last stage answered without a token");
      return result["token"].get<int32_t>();
    }
  }
  return Status::Error("unreachable");
}

Result<nlohmann::json> SwarmSession::Step(int pos, std::span<const int32_t> rows, bool sample) {
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
                               route_.hops.front().peer_id.substr(0, 12) + "…): " + s.message());
  SS_ASSIGN_OR_RETURN(nlohmann::json result, board_->Wait(id_, h.step, options_.step_timeout));
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
