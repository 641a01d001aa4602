#include "gateway/api_auth.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cctype>

#include "util/file_io.h"
#include "util/hex.h"

namespace ss::gateway {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  return true;
}

// The value of cookie `name` in a Cookie header ("a=1; b=2"), or "".
std::string_view CookieOf(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    size_t end = header.find(';');
    std::string_view pair = Trim(header.substr(0, end));
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
  }
  return {};
}

// Which of `candidates` equals `token`; every candidate costs the same (no
// early exit), so the time tells nothing about which one, if any, matched.
std::optional<size_t> FindSecret(std::string_view token, const std::vector<std::string>& candidates) {
  std::optional<size_t> found;
  for (size_t i = 0; i < candidates.size(); ++i)
    if (ConstantTimeEquals(token, candidates[i]) && !found) found = i;
  return found;
}

}  // namespace

Result<std::vector<std::string>> ParseApiKeys(std::string_view text) {
  std::vector<std::string> keys;
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t end = text.find('\n');
    std::string_view line = Trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty() || line.front() == '#') continue;
    for (char c : line)
      if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
        return Status::InvalidArgument("line " + std::to_string(line_no) +
                                       " holds a key with a blank or control character inside; write one "
                                       "key per line (comments start with #)");
    keys.emplace_back(line);
  }
  return keys;
}

Result<std::vector<std::string>> ReadApiKeysFile(const std::string& path) {
  auto text = ReadWholeFile(path);
  if (!text.ok()) return Status::InvalidArgument("cannot read the API keys file: " + text.status().message());
  auto keys = ParseApiKeys(*text);
  if (!keys.ok()) return keys.status().Context(path);
  if (keys->empty())
    return Status::InvalidArgument(path + " holds no API key (one per line; # starts a comment)");
  return keys;
}

ApiKeys::ApiKeys(std::vector<std::string> keys) : keys_(std::move(keys)) {
  unsigned char secret[32];
  RAND_bytes(secret, sizeof secret);
  for (const std::string& k : keys_) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), secret, sizeof secret, reinterpret_cast<const unsigned char*>(k.data()), k.size(), mac,
         &n);
    cookies_.push_back(HexEncode(std::string_view(reinterpret_cast<const char*>(mac), n)));
  }
}

std::optional<size_t> ApiKeys::Match(std::string_view key) const { return FindSecret(key, keys_); }

std::optional<size_t> ApiKeys::Authenticate(const net::HttpRequest& r) const {
  if (!enabled()) return std::nullopt;
  if (std::string a = r.Header("authorization"); StartsWithNoCase(a, "Bearer "))
    if (auto i = Match(Trim(std::string_view(a).substr(7)))) return i;
  if (std::string x = r.Header("x-api-key"); !x.empty())
    if (auto i = Match(Trim(x))) return i;
  for (const auto& [name, value] : r.headers) {
    if (name != "cookie") continue;
    std::string_view token = CookieOf(value, kConsoleCookie);
    if (token.empty()) continue;
    if (auto i = FindSecret(token, cookies_)) return i;
  }
  return std::nullopt;
}

std::string ApiKeys::CookieValue(size_t index) const { return cookies_.at(index); }

}  // namespace ss::gateway
