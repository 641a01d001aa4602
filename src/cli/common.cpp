#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>

#include "cli/commands.h"
#include "util/clock.h"
#include "util/log.h"

namespace ss::cli {
namespace {
std::atomic<bool> g_stop{false};
void (*g_on_stop)() = nullptr;

void OnSignal(int) {
  g_stop = true;
  if (g_on_stop) g_on_stop();
}
}  // namespace

void InstallStopSignals(void (*on_stop)()) {
  g_on_stop = on_stop;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
}

bool StopRequested() { return g_stop; }

void AddLogFormat(CLI::App* app, std::shared_ptr<std::string> format) {
  app->add_option("--log-format", *format, "text or json")
      ->envname("SHARDSWARM_LOG_FORMAT")
      ->capture_default_str();
}

void ApplyLogFormat(const std::string& f) {
  if (f == "json")
    SetLogFormat(LogFormat::kJson);
  else if (f != "text")
    Fail("--log-format must be text or json, not '" + f + "'");
}

void AddSwarmKey(CLI::App* app, SwarmKey* key) {
  app->add_option_function<std::string>(
         "--swarm-key",
         [key](const std::string& path) {
           auto k = SwarmKey::Load(path);
           if (!k.ok()) throw CLI::ValidationError("--swarm-key", k.status().message());
           *key = std::move(k.value());
         },
         "File with the private swarm's key (`shardswarm keygen`): only processes holding it can join, "
         "read or call anything in the swarm")
      ->envname("SHARDSWARM_SWARM_KEY");
}

void Fail(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  throw CLI::RuntimeError(1);
}

ProgressBar::ProgressBar(std::string label)
    : label_(std::move(label)), tty_(isatty(2)), start_(MonotonicSeconds()) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fprintf(stderr, "\n");
}

void ProgressBar::Update(const char* phase, uint64_t done, uint64_t total) {
  if (!tty_) return;
  double now = MonotonicSeconds();
  if (done < total && now - last_draw_ < 0.1) return;
  last_draw_ = now;
  drawn_ = true;
  int pct = total ? static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total)) : 100;
  constexpr int kWidth = 30;
  std::string bar(static_cast<size_t>(pct * kWidth / 100), '#');
  bar.resize(kWidth, '.');
  double mbs = static_cast<double>(done) / (1 << 20) / std::max(1e-3, now - start_);
  std::fprintf(stderr, "\r%s %-8s [%s] %3d%% %s / %s %.0f MB/s   ", label_.c_str(), phase, bar.c_str(), pct,
               HumanBytes(done).c_str(), HumanBytes(total).c_str(), mbs);
  if (done >= total) start_ = now;  // next phase measures its own rate
}

}  // namespace ss::cli
