#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"shardswarm: one large language model on a swarm of ordinary machines"};
  app.set_version_flag("--version", std::string("shardswarm ") + SHARDSWARM_VERSION);
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
