#include <cctype>
#include <cstdio>
#include <cstdlib>

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
  auto known = [&](const std::string& name) {
    for (const CLI::App* sub : app.get_subcommands({}))
      if (sub->check_name(name)) return true;
    return false;
  };
  if (argc > 1 && argv[1][0] != '-' && !known(argv[1])) {
    std::fprintf(stderr, "error: unknown command '%s'; `shardswarm --help` lists the commands\n", argv[1]);
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
