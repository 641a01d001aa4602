#include "util/json_parse.h"

namespace ss {

Result<nlohmann::json> ParseUntrustedJson(std::string_view text) {
  bool too_deep = false;
  // Values deeper than the bound are dropped as they are read (the callback
  // returns false for them), so nothing deep is ever built.
  // `depth` counts the containers around the event: the outermost one starts at 0.
  auto bound = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    const bool starts = event == nlohmann::json::parse_event_t::object_start ||
                        event == nlohmann::json::parse_event_t::array_start;
    if (starts && depth >= kMaxJsonDepth) too_deep = true;
    return depth < kMaxJsonDepth || (depth == kMaxJsonDepth && !starts);
  };
  try {
    nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), bound);
    if (too_deep)
      return Status::InvalidArgument("nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    return j;
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e400
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: …"
    if (auto at = what.find("] "); at != std::string::npos) what = what.substr(at + 2);
    return Status::InvalidArgument("not valid JSON: " + what);
  }
}

nlohmann::json ParseUntrustedJsonOrDiscarded(std::string_view text) {
  auto j = ParseUntrustedJson(text);
  return j.ok() ? std::move(j.value()) : nlohmann::json(nlohmann::json::value_t::discarded);
}

}  // namespace ss
