#pragma once
// Integer fields of JSON that came from elsewhere (DHT values, manifests): a
// value that is not an integer within T's range is refused. nlohmann's
// get<int>() converts any number, and a float beyond the type's range (a
// record saying "shard_id": 4.9e40) is undefined behaviour: a fuzz finding.

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>

namespace ss {

// Throws std::out_of_range naming `key` unless `v` is an integer T can hold.
template <typename T>
T AsInt(const nlohmann::json& v, const char* key) {
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (std::in_range<T>(u)) return static_cast<T>(u);
  } else if (v.is_number_integer()) {
    const int64_t i = v.get<int64_t>();
    if (std::in_range<T>(i)) return static_cast<T>(i);
  }
  throw std::out_of_range(std::string("field '") + key + "' is not an integer in range");
}

// The field `key` of object `j`: required, or `fallback` when absent.
template <typename T>
T IntField(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) throw std::out_of_range(std::string("field '") + key + "' is missing");
  return AsInt<T>(*it, key);
}
template <typename T>
T IntFieldOr(const nlohmann::json& j, const char* key, T fallback) {
  auto it = j.find(key);
  return it == j.end() ? fallback : AsInt<T>(*it, key);
}

}  // namespace ss
