// Mid-generation failover (issue: self-organising swarm): the TinyLlama-1.1B
// shape in Q4_0 (random weights) split 4 ways, 8 node processes (2 replicas
// per shard, one compute thread each) and a gateway on this machine. A
// greedy 64-token stream runs undisturbed, then again with the node serving
// one of its stages SIGKILLed after token 20 (stage r in round r, so every
// shard keeps a replica). Prints the pause the client saw
// (the longest gap between two tokens of the disturbed stream, beside the
// undisturbed stream's longest gap), the positions replayed, and the time a
// prefill of that many tokens takes, next to the target: recovery <= 1 s
// plus the replay's prefill. Checks that the tokens are the undisturbed ones.
// Usage: bench_failover [rounds, 1 to 4, default 4]
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "child_process.h"
#include "engine/vec_dot.h"
#include "gateway_client.h"
#include "swarm/local_swarm.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

double LongestGap(const StreamResult& s) {
  double gap = 0;
  for (size_t i = 1; i < s.token_times.size(); ++i)
    gap = std::max(gap, s.token_times[i] - s.token_times[i - 1]);
  return gap;
}

json Status(uint16_t port) {
  ss::net::HttpClientRequest r;
  r.port = port;
  r.target = "/api/status";
  auto res = ss::net::HttpFetch(r);
  return res.ok() ? json::parse(res->body, nullptr, false) : json();
}

// The name of the node child whose log says it is `peer_id`.
std::string NodeNamed(ss::swarm::LocalSwarm& s, const std::string& peer_id) {
  for (int k = 0; k < 8; ++k) {
    ss::ChildProcess* c = s.Process("node-" + std::to_string(k));
    std::ifstream in(c ? c->log_path() : "");
    std::string log((std::istreambuf_iterator<char>(in)), {});
    if (log.find("node peer id " + peer_id) != std::string::npos) return "node-" + std::to_string(k);
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::clamp(std::atoi(argv[1]), 1, 4) : 4;
  const std::string bin = SHARDSWARM_BINARY;
  fs::path dir = fs::temp_directory_path() / ("shardswarm-bench-failover-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::printf(
      "bench_failover: %s, ISA %s, 1.1B shape Q4_0 in 4 shards, 8 node processes (2 per shard) on %u "
      "cores, %d rounds\n",
      CpuModel().c_str(), ss::engine::IsaName(ss::engine::ActiveIsa()), std::thread::hardware_concurrency(),
      rounds);
  const std::string model = (dir / "q4_0.gguf").string();
  if (RunChild({bin, "dev", "make-model", "--out", model, "--type", "q4_0"}).status != 0) return 1;
  if (RunChild({bin, "shard", "split", model, "-n", "4", "-o", (dir / "shards").string()}).status != 0)
    return 1;
  ss::swarm::LocalSwarmOptions o;
  o.binary = bin;
  o.shards_dir = (dir / "shards").string();
  o.shards = 4;
  o.nodes = 8;
  o.work_dir = (dir / "run").string();
  o.http_port = 0;
  auto started = ss::swarm::LocalSwarm::Start(o);
  if (!started.ok()) return 1;
  ss::swarm::LocalSwarm& s = **started;
  if (auto ready = s.WaitReady(std::chrono::seconds(300)); !ready.ok()) {
    std::fprintf(stderr, "%s\n", ready.message().c_str());
    return 1;
  }
  const uint16_t port = s.http_port();
  for (double deadline = Now() + 60; Now() < deadline;) {  // both replicas of every shard serving
    json st = Status(port);
    bool two = st.is_object() && st["shards"].size() == 4;
    for (size_t k = 0; two && k < 4; ++k) two = st["shards"][k].value("replicas_serving", 0) == 2;
    if (two) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const std::string prompt = "Once upon a time there was a swarm";
  for (int i = 0; i < 4; ++i) Stream(port, prompt, 8, 1, 0);  // warm-up: every replica pages its shard in

  for (int r = 0; r < rounds; ++r) {
    StreamResult reference = Stream(port, prompt, 64, 1, 0);
    std::string victim;
    StreamResult disturbed = Stream(port, prompt, 64, 1, 0, [&](int n) {
      if (n != 20) return;
      json st = Status(port);
      if (!st.is_object() || st["sessions"].empty()) return;
      const std::string peer = st["sessions"][0]["route"][r % 4]["peer_id"];
      victim = NodeNamed(s, peer);
      if (ss::ChildProcess* c = s.Process(victim)) kill(c->pid(), SIGKILL);
    });
    if (!reference.ok || !disturbed.ok || victim.empty()) {
      std::fprintf(stderr, "round %d failed: %s %s (victim '%s')\n", r, reference.error.c_str(),
                   disturbed.error.c_str(), victim.c_str());
      return 1;
    }
    const json failovers = disturbed.final_chunk["shardswarm"].value("failovers", json::array());
    const int replayed = failovers.empty() ? 0 : failovers[0].value("replayed_positions", 0);
    // A prefill of as many positions, on a route that is up: a prompt of that length.
    std::string replay_prompt;
    for (int i = 0; i + 2 < replayed; ++i) replay_prompt.push_back(static_cast<char>('a' + (i * 7) % 26));
    StreamResult prefill = Stream(port, replay_prompt, 1, 1, 0);
    const double prefill_s = prefill.first - prefill.start;
    std::printf(
        "round %d: %s (stage %d) killed after token 20; failovers %zu, tokens %s the undisturbed run's; "
        "pause %.0f ms "
        "(undisturbed longest gap %.0f ms), replayed %d positions, whose prefill takes %.0f ms: recovery "
        "%.0f ms (target <= 1000 ms)\n",
        r, victim.c_str(), r % 4, failovers.size(),
        disturbed.text == reference.text ? "equal to" : "DIFFERENT from", 1000 * LongestGap(disturbed),
        1000 * LongestGap(reference), replayed, 1000 * prefill_s, 1000 * (LongestGap(disturbed) - prefill_s));
    std::fflush(stdout);
  }
  s.Stop();
  fs::remove_all(dir);
  return 0;
}
