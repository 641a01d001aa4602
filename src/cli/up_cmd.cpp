// shardswarm up: a whole local swarm (bootstrap, a node per shard, gateway)
// on loopback, on a model of the user's or the built-in demo model.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "cli/commands.h"
#include "model/test_model.h"
#include "shard/split.h"
#include "swarm/local_swarm.h"

namespace ss::cli {
namespace {

namespace fs = std::filesystem;

struct UpFlags {
  std::string model;
  int nodes = 4;
  int shards = 0;  // 0: one per node
  uint16_t http_port = 8080;
  std::string work_dir = "models_cache/up";
  int threads = 1;
  int ready_timeout_s = 120;
};

// The demo model: small enough to start in a second (the testdata shape),
// with random weights, so its text is a salad of made-up words.
std::string DemoModel(const std::string& work_dir) {
  std::string path = work_dir + "/shardswarm-demo.gguf";
  if (fs::exists(path)) return path;
  model::TestModelSpec spec;
  spec.name = "shardswarm-demo";
  spec.n_embd = 256;
  spec.n_layer = 8;
  spec.n_head = 8;
  spec.n_head_kv = 4;
  spec.n_ff = 768;
  spec.n_ctx = 2048;
  std::fprintf(stderr,
               "[up] writing the built-in demo model (random weights: its text is word salad) to %s\n",
               path.c_str());
  if (Status s = model::WriteTestModel(spec, path); !s.ok()) Fail(s.message());
  return path;
}

// A split of `model` into n shards under the work dir, reused while it matches.
std::string Shards(const std::string& model, int n, const std::string& work_dir) {
  std::string dir = work_dir + "/shards-" + fs::path(model).stem().string() + "-" + std::to_string(n);
  auto m = shard::Manifest::Load(dir + "/" + shard::kManifestName);
  std::error_code ec;
  bool fresh = m.ok() && static_cast<int>(m->shards.size()) == n &&
               fs::last_write_time(model, ec) <= fs::last_write_time(dir + "/" + shard::kManifestName, ec);
  for (int k = 0; fresh && k < n; ++k) fresh = fs::exists(dir + "/" + shard::ShardFileName(k));
  if (fresh) return dir;
  fs::remove_all(dir, ec);
  std::fprintf(stderr, "[up] splitting %s into %d shards in %s\n", model.c_str(), n, dir.c_str());
  shard::SplitOptions so;
  so.model_path = model;
  so.out_dir = dir;
  so.shards = n;
  auto split = shard::Split(so);
  if (!split.ok()) Fail(split.status().message());
  return dir;
}

void RunUp(const UpFlags& f) {
  if (f.nodes < 1 || f.nodes > 64) Fail("--nodes must be 1 to 64");
  const int shards = f.shards == 0 ? f.nodes : f.shards;
  if (shards < 1 || shards > f.nodes)
    Fail("--shards must be 1 to --nodes (" + std::to_string(f.nodes) + "): every shard needs a node");
  std::error_code ec;
  fs::create_directories(f.work_dir, ec);
  if (ec) Fail("cannot create " + f.work_dir + ": " + ec.message());
  std::string model = f.model.empty() ? DemoModel(f.work_dir) : f.model;
  if (!fs::exists(model)) Fail("the model " + model + " does not exist");
  swarm::LocalSwarmOptions o;
  o.binary = fs::read_symlink("/proc/self/exe", ec).string();
  if (ec) Fail("cannot find this program's own path: " + ec.message());
  o.shards_dir = Shards(model, shards, f.work_dir);
  o.shards = shards;
  o.nodes = f.nodes;
  o.work_dir = fs::absolute(f.work_dir).string() + "/run";
  o.http_port = f.http_port;
  o.threads_per_node = f.threads;
  // A private swarm: its key is made once and kept beside the shards.
  o.swarm_key_file = fs::absolute(f.work_dir).string() + "/swarm.key";
  if (!fs::exists(o.swarm_key_file))
    if (Status made = SwarmKey::Create(o.swarm_key_file); !made.ok()) Fail(made.message());
  InstallStopSignals([] {});
  auto local = swarm::LocalSwarm::Start(o);
  if (!local.ok()) Fail(local.status().message());
  swarm::LocalSwarm& s = **local;
  std::fprintf(stderr, "[up] started a bootstrap on %s, %d nodes and a gateway (logs in %s)\n",
               s.bootstrap().c_str(), f.nodes, o.work_dir.c_str());
  if (Status ready = s.WaitReady(std::chrono::seconds(f.ready_timeout_s)); !ready.ok()) {
    s.Stop();
    Fail(ready.message());
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(s.http_port());
  // The gateway inherits SHARDSWARM_API_KEY from this process (its --api-key).
  const char* env_key = std::getenv("SHARDSWARM_API_KEY");
  const bool keyed = env_key && *env_key;
  const std::string key_line =
      keyed
          ? "  API key:   required (SHARDSWARM_API_KEY): send 'Authorization: Bearer KEY'; the console asks "
            "for it\n"
          : "  API key:   none, the API is open to this machine; to require one: "
            "SHARDSWARM_API_KEY=KEY shardswarm up\n";
  std::printf(
      "shardswarm is up: %d nodes serve %s in %d shards\n"
      "  console:   %s/\n"
      "  API:    %s/v1   (OpenAI-compatible)\n"
      "  status: %s/api/status   metrics: %s/metrics\n"
      "%s"
      "  bootstrap: %s\n"
      "  cluster:   %s\n"
      "  shards:    %s\n"
      "  swarm key: %s   (private swarm: every process needs --swarm-key with it)\n"
      "  try:    curl -s %s/v1/completions -H 'Content-Type: application/json'%s \\\n"
      "            -d '{\"prompt\": \"Once upon a time\", \"max_tokens\": 32}'\n"
      "  more nodes: shardswarm node --bootstrap %s --cluster %s --total-shards %d --swarm-key %s "
      "--data-dir DIR\n"
      "Ctrl-C stops the swarm.\n",
      f.nodes, fs::path(model).filename().c_str(), shards, url.c_str(), url.c_str(), url.c_str(), url.c_str(),
      key_line.c_str(), s.bootstrap().c_str(), o.cluster.c_str(), fs::absolute(o.shards_dir).c_str(),
      o.swarm_key_file.c_str(), url.c_str(), keyed ? " -H \"Authorization: Bearer $SHARDSWARM_API_KEY\"" : "",
      s.bootstrap().c_str(), o.cluster.c_str(), shards, o.swarm_key_file.c_str());
  std::fflush(stdout);
  while (!StopRequested()) {
    for (const std::string& line : s.RestartEndedNodes()) std::fprintf(stderr, "[up] %s\n", line.c_str());
    if (auto dead = s.Dead()) {
      std::fprintf(stderr, "[up] %s[up] stopping the swarm\n", dead->c_str());
      s.Stop();
      throw CLI::RuntimeError(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::fprintf(stderr, "[up] stopping the swarm\n");
  s.Stop();
}

}  // namespace

void AddUpCommand(CLI::App& app) {
  auto f = std::make_shared<UpFlags>();
  CLI::App* up =
      app.add_subcommand("up", "Start a whole local swarm (bootstrap, nodes, gateway) and serve the API");
  up->add_option("-m,--model", f->model, "GGUF model to serve (default: the built-in demo model)")
      ->envname("SHARDSWARM_MODEL");
  up->add_option("--nodes", f->nodes, "Nodes")->capture_default_str();
  up->add_option("--shards", f->shards,
                 "Shards to split the model into (default: one per node; fewer: nodes choose their shard "
                 "and shards get replicas)");
  up->add_option("--http-port", f->http_port, "Port of the API (0: any free port)")
      ->envname("SHARDSWARM_HTTP_PORT")
      ->capture_default_str();
  up->add_option("--work-dir", f->work_dir, "Shards, logs and node data go here")->capture_default_str();
  up->add_option("-t,--threads", f->threads, "Compute threads per node")->capture_default_str();
  up->add_option("--ready-timeout", f->ready_timeout_s, "Seconds to wait for the swarm")
      ->capture_default_str();
  up->callback([f] { RunUp(*f); });
}

}  // namespace ss::cli
