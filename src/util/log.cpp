#include "util/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>

namespace ss {
namespace {
std::mutex g_mu;
LogFormat g_format = LogFormat::kText;

std::string Timestamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  int ms = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}
}  // namespace

void SetLogFormat(LogFormat format) {
  std::lock_guard<std::mutex> lock(g_mu);
  g_format = format;
}

void Log(const char* tag, const std::string& message) {
  std::string ts = Timestamp();
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_format == LogFormat::kJson) {
    nlohmann::json j = {{"ts", ts}, {"tag", tag}, {"msg", message}};
    std::fprintf(stderr, "%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::fprintf(stderr, "%s [%s] %s\n", ts.c_str(), tag, message.c_str());
  }
  std::fflush(stderr);
}

}  // namespace ss
