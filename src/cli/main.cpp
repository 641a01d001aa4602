#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace {

// The seed's environment names keep working: each fills the shardswarm name
// unless that is set explicitly.
void MapSeedEnvironment() {
  const char* const kAliases[][2] = {
      {"LLAMA_BOOTSTRAP", "SHARDSWARM_BOOTSTRAP"},       {"LLAMA_CLUSTER", "SHARDSWARM_CLUSTER"},
      {"LLAMA_SHARD_ID", "SHARDSWARM_SHARD_ID"},         {"LLAMA_TOTAL_SHARDS", "SHARDSWARM_TOTAL_SHARDS"},
      {"LLAMA_TOTAL_LAYERS", "SHARDSWARM_TOTAL_LAYERS"}, {"LLAMA_MODEL_NAME", "SHARDSWARM_MODEL_NAME"},
      {"LLAMA_SHARDS_DIR", "SHARDSWARM_SHARDS_DIR"},
  };
  for (const auto& a : kAliases)
    if (const char* v = std::getenv(a[0])) setenv(a[1], v, /*overwrite=*/0);
}

// Every flag has an environment variable (DESIGN.md §1): those not named
// explicitly get SHARDSWARM_<LONG_NAME>, e.g. --kv-type -> SHARDSWARM_KV_TYPE.
void DefaultEnvironmentNames(CLI::App* app) {
  for (CLI::Option* opt : app->get_options()) {
    if (!opt->get_envname().empty() || opt->get_lnames().empty() || opt->get_lnames()[0] == "help" ||
        opt->get_lnames()[0] == "version")
      continue;
    std::string env = "SHARDSWARM_";
    for (char c : opt->get_lnames()[0]) env.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(c)));
    opt->envname(env);
  }
  for (CLI::App* sub : app->get_subcommands({})) DefaultEnvironmentNames(sub);
}

// A word naming no command where one is expected ("shardswarm frob",
// "shardswarm shard frob") or an option the top level does not have, said
// plainly; CLI11 would say only "A subcommand is required".
std::optional<std::string> UnknownCommand(CLI::App& app, int argc, char** argv) {
  if (argc > 1 && argv[1][0] == '-' && app.get_option_no_throw(argv[1]) == nullptr &&
      std::string(argv[1]) != "-h" && std::string(argv[1]) != "--help")
    return "unknown option '" + std::string(argv[1]) + "'; `shardswarm --help` lists the commands";
  CLI::App* group = &app;
  std::string path = "shardswarm";
  for (int i = 1; i < argc && argv[i][0] != '-'; ++i) {
    std::vector<CLI::App*> commands = group->get_subcommands({});
    if (commands.empty()) break;
    CLI::App* next = nullptr;
    for (CLI::App* c : commands)
      if (c->check_name(argv[i])) next = c;
    if (next == nullptr)
      return "unknown command '" + std::string(argv[i]) + "'; `" + path + " --help` lists the commands";
    path += " " + std::string(argv[i]);
    group = next;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  MapSeedEnvironment();
  CLI::App app{"shardswarm: one large language model on a swarm of ordinary machines"};
  app.set_version_flag("--version", std::string("shardswarm ") + SHARDSWARM_VERSION);
  app.require_subcommand(1);
  ss::cli::AddShardCommands(app);
  ss::cli::AddGenerateCommand(app);
  ss::cli::AddSwarmCommands(app);
  ss::cli::AddGatewayCommand(app);
  ss::cli::AddUpCommand(app);
  ss::cli::AddDevCommands(app);
  DefaultEnvironmentNames(&app);
  if (auto unknown = UnknownCommand(app, argc, argv)) {
    std::fprintf(stderr, "error: %s\n", unknown->c_str());
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Error& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    // A library that reports by exception (filesystem, JSON) ends here as an error, not an abort.
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
