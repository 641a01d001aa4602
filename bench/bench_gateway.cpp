// Distributed inference speed (issue: distributed inference): the
// TinyLlama-1.1B shape (random weights) in Q4_0 split 4 ways, one node process
// per shard (all on this machine, started by `shardswarm up`), driven over
// the gateway's OpenAI API. Prints, next to the issue's targets:
//   - single-stream greedy decode tokens/s through the gateway vs `generate`
//     on the unsplit file with the same thread count (target >= 0.85x), and
//     per decoded token where the time goes: the stages computing and queued
//     (the gateway's /metrics) and the rest, hops and the gateway itself;
//   - time to first token for a 128-token prompt;
//   - aggregate decode tokens/s for 1, 4 and 8 concurrent streams sampled at
//     temperature 0.7 (target: 8 streams >= 1.5x one stream; llama.cpp's
//     batched decode of this file reaches 1.7x at 8 sequences on an
//     AVX2-only 2-core machine).
// Each figure for 1 compute thread per node (the default of `up`: four nodes
// on two cores) and for 2 (eight threads on two cores, the pools contend).
// Usage: bench_gateway [threads per node, a list, default 1,2] [rounds, default 5]
// Every figure is the median of `rounds` runs, with min and max.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "engine/vec_dot.h"
#include "gateway_client.h"
#include "net/http_client.h"
#include "util/child_process.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Median, min and max of a few runs: this kind of machine shares its memory
// bandwidth with neighbours, so one run can be off by 2x either way.
struct Spread {
  double median = 0, min = 0, max = 0;
};

Spread Of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

std::string Show(const Spread& s, const char* unit, int digits = 1) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "%.*f%s (min %.*f, max %.*f)", digits, s.median, unit, digits, s.min, digits,
                s.max);
  return buf;
}

// Decode tokens/s of `generate` on the unsplit file, or a negative value.
double GenerateTps(const std::string& bin, const std::string& model, const std::string& prompt, int threads) {
  ChildRun g = RunChild({bin, "generate", "-m", model, "-p", prompt, "-n", "64", "--temp", "0",
                         "--ignore-eos", "--threads", std::to_string(threads)});
  std::smatch m;
  std::regex re(R"(generation: \d+ tokens, ([0-9.]+) tok/s)");
  if (g.status != 0 || !std::regex_search(g.output, m, re)) {
    std::fprintf(stderr, "generate failed: %s\n", g.output.c_str());
    return -1;
  }
  return std::atof(m[1].str().c_str());
}

// Seconds all stages spent computing and queued so far, from the gateway's
// /metrics (each step's stage timings ride back with its result).
struct StageSeconds {
  double compute = 0, wait = 0;
};

StageSeconds StageTotals(uint16_t port) {
  ss::net::HttpClientRequest r;
  r.port = port;
  r.target = "/metrics";
  auto res = ss::net::HttpFetch(r);
  StageSeconds t;
  if (!res.ok() || res->status != 200) return t;
  std::istringstream in(res->body);
  for (std::string line; std::getline(in, line);) {
    double* sum = line.rfind("shardswarm_stage_compute_seconds_sum{", 0) == 0 ? &t.compute
                  : line.rfind("shardswarm_stage_wait_seconds_sum{", 0) == 0  ? &t.wait
                                                                              : nullptr;
    if (sum != nullptr) *sum += std::atof(line.substr(line.rfind(' ') + 1).c_str());
  }
  return t;
}

// n streams at once: {aggregate decode tok/s (first token of the earliest to
// the last token of the latest), aggregate tok/s from the requests' start}.
std::pair<double, double> Concurrent(uint16_t port, int n, int round) {
  std::vector<StreamResult> results(n);
  std::vector<std::thread> pool;
  for (int i = 0; i < n; ++i)
    pool.emplace_back([&, i] {
      results[i] = Stream(port, "Stream " + std::to_string(i) + " begins", 64, 100 * round + i, 0.7);
    });
  for (auto& t : pool) t.join();
  double start = 1e300, first = 1e300, last = 0;
  int tokens = 0, decoded = 0;
  for (const auto& r : results) {
    if (!r.ok) {
      std::fprintf(stderr, "a stream failed: %s\n", r.error.c_str());
      return {-1, -1};
    }
    start = std::min(start, r.start);
    first = std::min(first, r.first);
    last = std::max(last, r.last);
    tokens += r.tokens;
    decoded += r.tokens - 1;
  }
  return {decoded / std::max(1e-9, last - first), tokens / std::max(1e-9, last - start)};
}

// Starts `up` with `threads` per node and prints every figure for it.
bool RunSwarm(const std::string& bin, const std::string& model, const std::string& prompt,
              const fs::path& dir, int threads, int rounds) {
  std::printf("-- %d compute thread%s per node (and for generate)\n", threads, threads == 1 ? "" : "s");
  std::unique_ptr<ss::ChildProcess> up;
  const uint16_t port =
      StartUp(bin, {"--model", model, "--nodes", "4", "--threads", std::to_string(threads)}, dir, &up);
  if (port == 0) return false;
  Stream(port, prompt, 8, 1, 0);                                   // warm-up: pages the shards in
  if (GenerateTps(bin, model, prompt, threads) < 0) return false;  // and the unsplit file

  // Single stream vs generate, alternating so both see the same neighbours.
  // Per decoded token, from the first token on: the stages' compute and queue
  // wait (the gateway's metrics), the rest is hops and the gateway itself.
  std::vector<double> swarm_tps, generate_tps, ratio, ttft, step_ms, compute_ms, wait_ms, hop_ms, generate_ms;
  for (int r = 0; r < rounds; ++r) {
    const double g = GenerateTps(bin, model, prompt, threads);
    StageSeconds at_first;
    StreamResult single = Stream(port, prompt, 64, 2 + r, 0, [&](int n) {
      if (n == 1) at_first = StageTotals(port);
    });
    const StageSeconds at_end = StageTotals(port);
    if (g < 0 || !single.ok) {
      std::fprintf(stderr, "stream failed: %s\n", single.error.c_str());
      return false;
    }
    generate_tps.push_back(g);
    swarm_tps.push_back((single.tokens - 1) / std::max(1e-9, single.last - single.first));
    ratio.push_back(swarm_tps.back() / g);
    ttft.push_back(1000 * (single.first - single.start));
    const int steps = std::max(1, single.tokens - 1);
    step_ms.push_back(1000 / swarm_tps.back());
    compute_ms.push_back(1000 * (at_end.compute - at_first.compute) / steps);
    wait_ms.push_back(1000 * (at_end.wait - at_first.wait) / steps);
    hop_ms.push_back(step_ms.back() - compute_ms.back() - wait_ms.back());
    generate_ms.push_back(1000 / g);
  }
  std::printf("single stream decode through the gateway: %s\n", Show(Of(swarm_tps), " tok/s").c_str());
  std::printf("generate on the unsplit file:             %s\n", Show(Of(generate_tps), " tok/s").c_str());
  std::printf("ratio, run by run: %s (target >= 0.85x)\n", Show(Of(ratio), "x", 2).c_str());
  std::printf("time to first token, 128-token prompt: %s\n", Show(Of(ttft), " ms", 0).c_str());
  std::printf(
      "per decoded token, medians: %.2f ms through the gateway: stages computing %.2f, queued %.2f, hops and "
      "gateway %.2f; generate %.2f\n",
      Of(step_ms).median, Of(compute_ms).median, Of(wait_ms).median, Of(hop_ms).median,
      Of(generate_ms).median);

  // Concurrency levels in turn, each `rounds` times.
  std::map<int, std::vector<double>> decode, whole;
  for (int r = 0; r < rounds; ++r)
    for (int n : {1, 4, 8}) {
      auto [d, w] = Concurrent(port, n, r);
      if (d < 0) return false;
      decode[n].push_back(d);
      whole[n].push_back(w);
    }
  const double one = Of(decode[1]).median;
  for (int n : {1, 4, 8})
    std::printf(
        "%d concurrent streams of 64 tokens: decode %s aggregate = %.2fx one stream%s; with prefill %s\n", n,
        Show(Of(decode[n]), " tok/s").c_str(), Of(decode[n]).median / one, n == 8 ? " (target >= 1.5x)" : "",
        Show(Of(whole[n]), " tok/s").c_str());
  std::fflush(stdout);
  up->Stop(std::chrono::seconds(10));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> thread_counts;
  for (std::stringstream list(argc > 1 ? argv[1] : "1,2"); list.good();) {
    std::string item;
    std::getline(list, item, ',');
    if (std::atoi(item.c_str()) > 0) thread_counts.push_back(std::atoi(item.c_str()));
  }
  const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  const std::string bin = SHARDSWARM_BINARY;
  fs::path dir = fs::temp_directory_path() / ("shardswarm-bench-gw-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::printf(
      "bench_gateway: %s, ISA %s, 1.1B shape Q4_0 in 4 shards, 4 node processes on %u cores, %d rounds\n",
      CpuModel().c_str(), ss::engine::IsaName(ss::engine::ActiveIsa()), std::thread::hardware_concurrency(),
      rounds);
  const std::string model = (dir / "q4_0.gguf").string();
  if (RunChild({bin, "dev", "make-model", "--out", model, "--type", "q4_0"}).status != 0) return 1;
  // 126 printable characters + the SentencePiece space + BOS = 128 prompt tokens.
  std::string prompt;
  for (int i = 0; i < 126; ++i) prompt.push_back(static_cast<char>('a' + (i * 7) % 26));
  for (int threads : thread_counts)
    if (!RunSwarm(bin, model, prompt, dir, threads, rounds)) return 1;
  fs::remove_all(dir);
  return 0;
}
