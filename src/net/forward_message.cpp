#include "net/forward_message.h"

#include <cstring>

#include "net/message.h"
#include "util/json_parse.h"

namespace ss::net {
namespace {

Result<uint64_t> U64(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_unsigned())
    return Status::InvalidArgument(std::string("FORWARD header: \"") + key +
                                   "\" must be an unsigned integer");
  return it->get<uint64_t>();
}

Result<std::string> Str(const nlohmann::json& j, const char* key, size_t max) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().empty() ||
      it->get_ref<const std::string&>().size() > max)
    return Status::InvalidArgument(std::string("FORWARD header: \"") + key + "\" must be a string of 1 to " +
                                   std::to_string(max) + " characters");
  return it->get<std::string>();
}

nlohmann::json TimingsJson(const std::vector<StageTiming>& timings) {
  nlohmann::json j = nlohmann::json::array();
  for (const StageTiming& t : timings) j.push_back({t.wait_ms, t.compute_ms});
  return j;
}

Result<std::vector<StageTiming>> ParseTimings(const nlohmann::json& j, size_t max) {
  const auto bad = Status::InvalidArgument("FORWARD header: \"timings\" must be at most " +
                                           std::to_string(max) + " pairs of non-negative milliseconds");
  if (!j.is_array() || j.size() > max) return bad;
  std::vector<StageTiming> out;
  for (const auto& pair : j) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number() || !pair[1].is_number()) return bad;
    StageTiming t{pair[0].get<double>(), pair[1].get<double>()};
    if (!(t.wait_ms >= 0 && t.compute_ms >= 0 && t.wait_ms < 1e9 && t.compute_ms < 1e9)) return bad;
    out.push_back(t);
  }
  return out;
}

Result<ForwardHeader> ParseHeader(const nlohmann::json& j) {
  if (StringOr(j, "type", "") != "FORWARD")
    return Status::InvalidArgument("FORWARD header: not a JSON object of type FORWARD");
  ForwardHeader h;
  SS_ASSIGN_OR_RETURN(h.session, U64(j, "session"));
  SS_ASSIGN_OR_RETURN(h.step, U64(j, "step"));
  SS_ASSIGN_OR_RETURN(h.origin, Str(j, "origin", 128));
  auto route = j.find("route");
  if (route == j.end() || !route->is_array() || route->empty() || route->size() > kMaxRouteHops)
    return Status::InvalidArgument("FORWARD header: \"route\" must be an array of 1 to " +
                                   std::to_string(kMaxRouteHops) + " hops");
  for (const auto& hop : *route) {
    if (!hop.is_object()) return Status::InvalidArgument("FORWARD header: a route hop is not an object");
    RouteHop r;
    SS_ASSIGN_OR_RETURN(r.peer_id, Str(hop, "peer_id", 128));
    SS_ASSIGN_OR_RETURN(r.endpoint, Str(hop, "endpoint", 300));
    h.route.push_back(std::move(r));
  }
  auto stage = j.find("stage");
  if (stage == j.end() || !stage->is_number_integer() || stage->get<int64_t>() < 0 ||
      stage->get<int64_t>() >= static_cast<int64_t>(h.route.size()))
    return Status::InvalidArgument("FORWARD header: \"stage\" must index the route (0 to " +
                                   std::to_string(h.route.size() - 1) + ")");
  h.stage = stage->get<int>();
  auto sample = j.find("sample");
  if (sample != j.end() && !sample->is_boolean())
    return Status::InvalidArgument("FORWARD header: \"sample\" must be true or false");
  h.sample = sample != j.end() && sample->get<bool>();
  auto sampling = j.find("sampling");
  if (sampling != j.end() && !sampling->is_object())
    return Status::InvalidArgument("FORWARD header: \"sampling\" must be an object");
  if (sampling != j.end()) h.sampling = *sampling;
  if (auto timings = j.find("timings"); timings != j.end()) {
    SS_ASSIGN_OR_RETURN(h.timings, ParseTimings(*timings, static_cast<size_t>(h.stage)));
  }
  return h;
}

}  // namespace

Result<std::vector<uint8_t>> EncodeForward(const ForwardHeader& h, const ActivationFrame& frame) {
  if (h.route.empty() || h.stage < 0 || h.stage >= static_cast<int>(h.route.size()))
    return Status::InvalidArgument("FORWARD: stage " + std::to_string(h.stage) + " is not on a route of " +
                                   std::to_string(h.route.size()) + " hops");
  if (h.origin.empty()) return Status::InvalidArgument("FORWARD: no origin");
  if (frame.session != h.session || frame.request_id != h.step)
    return Status::InvalidArgument("FORWARD: the frame's session or request id differs from the header's");
  nlohmann::json route = nlohmann::json::array();
  for (const RouteHop& r : h.route) route.push_back({{"peer_id", r.peer_id}, {"endpoint", r.endpoint}});
  nlohmann::json j = {{"type", "FORWARD"},  {"session", h.session},  {"step", h.step},
                      {"origin", h.origin}, {"stage", h.stage},      {"route", route},
                      {"sample", h.sample}, {"sampling", h.sampling}};
  if (!h.timings.empty()) j["timings"] = TimingsJson(h.timings);
  std::string text = SerializeMessage(j);
  if (text.size() > kMaxForwardHeaderBytes)
    return Status::InvalidArgument("FORWARD: header of " + std::to_string(text.size()) +
                                   " bytes is too long");
  SS_ASSIGN_OR_RETURN(std::vector<uint8_t> body, EncodeActivationFrame(frame));
  std::vector<uint8_t> out(4 + text.size() + body.size());
  const uint32_t n = static_cast<uint32_t>(text.size());
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(n >> (8 * i));
  std::memcpy(out.data() + 4, text.data(), text.size());
  std::memcpy(out.data() + 4 + text.size(), body.data(), body.size());
  return out;
}

Result<ForwardMessage> DecodeForward(const uint8_t* data, size_t size, size_t max_rows, size_t max_width) {
  if (size < 4) return Status::InvalidArgument("FORWARD: " + std::to_string(size) + " bytes, too short");
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(data[i]) << (8 * i);
  if (n == 0 || n > kMaxForwardHeaderBytes || n > size - 4)
    return Status::InvalidArgument("FORWARD: header length " + std::to_string(n) +
                                   " does not fit a message of " + std::to_string(size) + " bytes (at most " +
                                   std::to_string(kMaxForwardHeaderBytes) + ")");
  auto json = ParseUntrustedJson(std::string_view(reinterpret_cast<const char*>(data) + 4, n));
  if (!json.ok()) return Status::InvalidArgument("FORWARD: the header is " + json.status().message());
  ForwardMessage m;
  SS_ASSIGN_OR_RETURN(m.header, ParseHeader(*json));
  auto frame = DecodeActivationFrame(data + 4 + n, size - 4 - n, max_rows, max_width);
  if (!frame.ok()) return Status::InvalidArgument("FORWARD: " + frame.status().message());
  m.frame = std::move(frame.value());
  if (m.frame.session != m.header.session || m.frame.request_id != m.header.step)
    return Status::InvalidArgument("FORWARD: the frame's session or request id differs from the header's");
  return m;
}

nlohmann::json ForwardResult(uint64_t session, uint64_t step, std::optional<int32_t> token,
                             const std::vector<StageTiming>& timings) {
  nlohmann::json j = {{"type", "FORWARD_RESULT"},
                      {"session", session},
                      {"step", step},
                      {"status", "ok"},
                      {"timings", TimingsJson(timings)}};
  if (token) j["token"] = *token;
  return j;
}

std::vector<StageTiming> ResultTimings(const nlohmann::json& result) {
  auto it = result.find("timings");
  if (it == result.end()) return {};
  auto t = ParseTimings(*it, kMaxRouteHops);
  return t.ok() ? std::move(t.value()) : std::vector<StageTiming>{};
}

nlohmann::json ForwardError(uint64_t session, uint64_t step, const std::string& error) {
  return {{"type", "FORWARD_RESULT"},
          {"session", session},
          {"step", step},
          {"status", "error"},
          {"error", error}};
}

}  // namespace ss::net
