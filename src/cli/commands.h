#pragma once
// Each subcommand family registers itself on the root app. A command reports
// failure by throwing CLI::RuntimeError(exit_code) after printing its error;
// exceptions stop at main().

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "util/human_bytes.h"
#include "util/swarm_key.h"

namespace ss::cli {

void AddShardCommands(CLI::App& app);
void AddDevCommands(CLI::App& app);
void AddGenerateCommand(CLI::App& app);
void AddSwarmCommands(CLI::App& app);
void AddGatewayCommand(CLI::App& app);
void AddUpCommand(CLI::App& app);

// SIGINT and SIGTERM set a flag (StopRequested) and call `on_stop` (which
// must be async-signal-safe: e.g. set an atomic).
void InstallStopSignals(void (*on_stop)());
bool StopRequested();

// --log-format text|json, shared by the long-running commands.
void AddLogFormat(CLI::App* app, std::shared_ptr<std::string> format);
void ApplyLogFormat(const std::string& format);

// --swarm-key FILE (or $SHARDSWARM_SWARM_KEY), on every command that joins a
// swarm: loads the key into `key` while the flags are parsed.
void AddSwarmKey(CLI::App* app, SwarmKey* key);

// Prints "error: message" to stderr and exits the command with code 1.
[[noreturn]] void Fail(const std::string& message);

// A one-line progress bar on stderr, drawn only when stderr is a terminal.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label);
  ~ProgressBar();
  void Update(const char* phase, uint64_t done, uint64_t total);

 private:
  std::string label_;
  bool tty_;
  double start_;
  double last_draw_ = -1;
  bool drawn_ = false;
};

}  // namespace ss::cli
