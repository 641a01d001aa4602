// Distributed inference speed (issue: distributed inference): the
// TinyLlama-1.1B shape (random weights) in Q4_0 split 4 ways, one node process
// per shard (all on this machine, started by `shardswarm up`), driven over
// the gateway's OpenAI API. Prints, next to the issue's targets:
//   - single-stream decode tokens/s through the gateway vs `generate` on the
//     unsplit file with the same thread count (target >= 0.85x);
//   - time to first token for a 128-token prompt;
//   - aggregate decode tokens/s for 1, 4 and 8 concurrent streams (target:
//     8 streams >= 1.5x one stream; llama.cpp's batched decode of this file
//     reaches 1.7x at 8 sequences on an AVX2-only 2-core machine).
// Usage: bench_gateway [threads per process, default 2]
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "engine/vec_dot.h"
#include "net/http_client.h"
#include "util/child_process.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

struct StreamResult {
  bool ok = false;
  int tokens = 0;
  double start = 0, first = 0, last = 0;
  std::string error;
};

// One streamed completion; times the first and the last token event.
StreamResult Stream(uint16_t port, const std::string& prompt, int max_tokens, int seed) {
  StreamResult s;
  json body = {{"prompt", prompt}, {"max_tokens", max_tokens}, {"temperature", 0.7},
               {"seed", seed},     {"ignore_eos", true},       {"stream", true}};
  ss::net::HttpClientRequest r;
  r.method = "POST";
  r.port = port;
  r.target = "/v1/completions";
  r.body = body.dump();
  r.timeout = std::chrono::seconds(600);
  std::string pending;
  s.start = Now();
  r.on_body = [&](std::string_view piece) {
    pending.append(piece);
    for (size_t end; (end = pending.find("\n\n")) != std::string::npos; pending.erase(0, end + 2)) {
      std::string event = pending.substr(0, end);
      if (event.rfind("data: {", 0) != 0) continue;
      auto j = json::parse(event.substr(6), nullptr, false);
      if (j.contains("error")) s.error = j["error"].dump();
      if (!j.contains("choices") || j["choices"].empty() || !j["choices"][0]["finish_reason"].is_null())
        continue;
      double now = Now();
      if (s.tokens == 0) s.first = now;
      s.last = now;
      ++s.tokens;
    }
    return true;
  };
  auto res = ss::net::HttpFetch(r);
  if (!res.ok()) s.error = res.status().message();
  s.ok = res.ok() && res->status == 200 && s.error.empty();
  if (res.ok() && res->status != 200) s.error = res->body;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const std::string bin = SHARDSWARM_BINARY;
  fs::path dir = fs::temp_directory_path() / ("shardswarm-bench-gw-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::printf("bench_gateway: %s, ISA %s, %d threads per process, 1.1B shape Q4_0 in 4 shards\n",
              CpuModel().c_str(), ss::engine::IsaName(ss::engine::ActiveIsa()), threads);
  const std::string model = (dir / "q4_0.gguf").string();
  if (RunChild({bin, "dev", "make-model", "--out", model, "--type", "q4_0"}).status != 0) return 1;
  // 126 printable characters + the SentencePiece space + BOS = 128 prompt tokens.
  std::string prompt;
  for (int i = 0; i < 126; ++i) prompt.push_back(static_cast<char>('a' + (i * 7) % 26));

  // The single-process reference, same thread count (second run: weights paged in).
  double generate_tps = 0;
  for (int run = 0; run < 2; ++run) {
    ChildRun g = RunChild({bin, "generate", "-m", model, "-p", prompt, "-n", "64", "--temp", "0",
                           "--ignore-eos", "--threads", std::to_string(threads)});
    std::smatch m;
    std::regex re(R"(generation: \d+ tokens, ([0-9.]+) tok/s)");
    if (g.status != 0 || !std::regex_search(g.output, m, re)) {
      std::fprintf(stderr, "generate failed: %s\n", g.output.c_str());
      return 1;
    }
    generate_tps = std::atof(m[1].str().c_str());
  }

  auto up =
      ss::ChildProcess::Start({bin, "up", "--model", model, "--nodes", "4", "--http-port", "0", "--threads",
                               std::to_string(threads), "--work-dir", (dir / "up").string()},
                              (dir / "up.log").string());
  if (!up.ok()) return 1;
  uint16_t port = 0;
  for (double deadline = Now() + 300; port == 0 && Now() < deadline;) {
    std::ifstream in((*up)->log_path());
    std::string log((std::istreambuf_iterator<char>(in)), {});
    std::smatch m;
    if (std::regex_search(log, m, std::regex(R"(API: +http://127\.0\.0\.1:(\d+)/v1)")))
      port = static_cast<uint16_t>(std::atoi(m[1].str().c_str()));
    if (auto ended = (*up)->Ended()) {
      std::fprintf(stderr, "up %s:\n%s", ended->c_str(), (*up)->LogTail(20).c_str());
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (port == 0) return 1;
  Stream(port, prompt, 8, 1);  // warm-up: pages the shards in

  StreamResult single = Stream(port, prompt, 64, 2);
  if (!single.ok) {
    std::fprintf(stderr, "stream failed: %s\n", single.error.c_str());
    return 1;
  }
  double swarm_tps = (single.tokens - 1) / std::max(1e-9, single.last - single.first);
  std::printf(
      "single stream decode: %.1f tok/s through the gateway vs %.1f tok/s generate = %.2fx (target >= "
      "0.85x)\n",
      swarm_tps, generate_tps, swarm_tps / generate_tps);
  std::printf("time to first token, 128-token prompt: %.0f ms\n", 1000 * (single.first - single.start));

  double one = 0;
  for (int n : {1, 4, 8}) {
    std::vector<StreamResult> results(n);
    std::vector<std::thread> pool;
    double t0 = Now();
    for (int i = 0; i < n; ++i)
      pool.emplace_back(
          [&, i] { results[i] = Stream(port, "Stream " + std::to_string(i) + " begins", 32, 10 + i); });
    for (auto& t : pool) t.join();
    double wall = Now() - t0;
    int tokens = 0;
    for (const auto& r : results) {
      if (!r.ok) std::fprintf(stderr, "a stream failed: %s\n", r.error.c_str());
      tokens += r.tokens;
    }
    double tps = tokens / wall;
    if (n == 1) one = tps;
    std::printf("%d concurrent streams: %d tokens in %.2f s = %.1f tok/s aggregate (%.2fx one stream%s)\n", n,
                tokens, wall, tps, tps / one, n == 8 ? "; target >= 1.5x" : "");
  }
  (*up)->Stop(std::chrono::seconds(10));
  fs::remove_all(dir);
  return 0;
}
