#pragma once
// API keys of the gateway (--api-key, --api-keys-file). With no key
// configured everything is open, as before; with keys, a request is let in
// when it carries one of them as `Authorization: Bearer KEY` or
// `X-Api-Key: KEY`, or the console's cookie that POST /api/login hands out
// for a key. Every comparison is constant-time over SHA-256 digests (no
// early exit on the first differing byte or on the length), and the keys are
// never logged. The cookie holds an HMAC of the key under a secret drawn at
// start: it is worthless after a restart and does not reveal the key.
// Immutable after construction: safe from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_server.h"
#include "util/status.h"

namespace ss::gateway {

// The keys in a keys file's text: one per line, surrounding blanks trimmed,
// empty lines and lines starting with '#' skipped. A key with a blank or a
// control character inside is refused naming its line (it could not be sent
// in a header as written).
Result<std::vector<std::string>> ParseApiKeys(std::string_view text);
Result<std::vector<std::string>> ReadApiKeysFile(const std::string& path);

inline constexpr const char* kConsoleCookie = "shardswarm_console";

class ApiKeys {
 public:
  explicit ApiKeys(std::vector<std::string> keys);  // empty: the API is open

  bool enabled() const { return !keys_.empty(); }
  size_t size() const { return keys_.size(); }
  // Which configured key `key` is (its index), or nullopt.
  std::optional<size_t> Match(std::string_view key) const;
  // Which key the request presents (header or console cookie), or nullopt;
  // always nullopt when no key is configured.
  std::optional<size_t> Authenticate(const net::HttpRequest& request) const;
  // The console cookie's value for key `index`.
  std::string CookieValue(size_t index) const;

 private:
  std::vector<std::string> keys_;
  std::vector<std::string> cookies_;  // HMAC-SHA256(a random secret, key), hex
};

}  // namespace ss::gateway
