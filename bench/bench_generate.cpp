// End-to-end generation speed on the TinyLlama-1.1B benchmark shape (random
// weights), 2 threads: a 128-token prompt, then 64 tokens decoded, through the
// real `shardswarm generate` (median of --reps runs after a warm-up run that
// pages the weights in). For each model it prints prefill and decode tok/s,
// the kernels' ISA and the CPU, the machine's memory read bandwidth (a probe
// in the same run) and decode as a percentage of the bandwidth ceiling (bytes
// of weights read per token), against the probe's best pass and against its
// sustained rate, measured close up (DecodeShareCloseUp) and beside the
// generate runs; with LLAMA_BENCH=/path/to/llama-bench, llama.cpp's
// figures for the same file in the same run, its runs and ours taking turns,
// and our ratio to them.
//
// Then, per model, two generate runs at once against one alone (SharedCores).
//
// --batched adds aggregate decode of B = 1, 4, 8, 16 sessions at once (one
// Pipeline::Forward of B rows per step, 16-token prompts, 32 steps), next to
// llama-batched-bench -npp 16 -ntg 32 when LLAMA_BATCHED_BENCH is set.
//
// Usage: bench_generate [--reps N] [--batched] [model.gguf ...]
//   (no models: the 1.1B shape in Q8_0 and Q4_0, made by `dev make-model`, and
//   Q4_K_M when LLAMA_QUANTIZE or LLAMA_BENCH points at a llama.cpp build).
// SHARDSWARM_ISA=scalar|avx2|avx512 forces the kernels (of the child too);
// compare SHARDSWARM_ISA=avx2 with a llama.cpp built GGML_NATIVE=OFF,
// GGML_AVX2=ON, GGML_FMA=ON, GGML_F16C=ON, GGML_AVX512=OFF.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "engine/pipeline.h"
#include "engine/vec_dot.h"
#include "gguf/reader.h"
#include "gguf/tensor_names.h"
#include "util/huge_pages.h"

namespace fs = std::filesystem;

namespace {

constexpr int kThreads = 2;
constexpr int kPromptTokens = 128, kGenTokens = 64;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown CPU";
}

// Eight independent streams of V-sized vectors over [p, p + n) (n a multiple
// of 8 vectors), XORed; inlined into each caller, so compiled for its target.
template <typename V>
[[gnu::always_inline]] inline uint64_t XorRead(const uint8_t* p, size_t n) {
  const V* v = reinterpret_cast<const V*>(p);
  const V* end = v + n / sizeof(V);
  V a[8] = {};
  for (; v < end; v += 8) {
    for (int k = 0; k < 8; ++k) a[k] ^= v[k];
  }
  for (int k = 1; k < 8; ++k) a[0] ^= a[k];
  return a[0][0] ^ a[0][1];
}
using Vec16 = uint64_t __attribute__((vector_size(16)));
using Vec32 = uint64_t __attribute__((vector_size(32)));
uint64_t XorRead16(const uint8_t* p, size_t n) { return XorRead<Vec16>(p, n); }
[[gnu::target("avx2")]] uint64_t XorRead32(const uint8_t* p, size_t n) { return XorRead<Vec32>(p, n); }

// Memory read bandwidth: kThreads threads read disjoint halves of a 1 GiB
// buffer (far beyond any cache) in 32-byte vectors (16-byte ones where there
// is no AVX2), eight independent streams each, as a tuned read loop does. A
// weaker loop under-reads and flatters the shares against it: a scalar loop
// keeps fewer misses in flight (~10 % less on a loaded machine), and 16-byte
// loads read 20-25 % less per core, which two cores made up for at ~35 GB/s
// but not at ~63 (measured 44-50 on this VM, while decode read 51),
// from memory on 2 MiB pages as the engine's weights are (util/huge_pages.h).
// Two figures from 8 passes (~0.2 s): the best pass (a burst of ~20 ms), and
// all bytes over all the time (sustained, as a decode run's average over ~1 s
// is). On a shared VM the two differ by 3-15 %: the burst skips the dips that
// a decode run sits through. The buffer is kept, so the probe can run beside
// every measurement.
struct Bandwidth {
  double burst = 0, sustained = 0;  // GB/s
};
class BandwidthProbe {
 public:
  BandwidthProbe() {
    auto buf = ss::HugePageBuffer::Allocate(kBytes);
    if (!buf.ok()) {
      std::fprintf(stderr, "bandwidth probe: %s\n", buf.status().message().c_str());
      std::exit(1);
    }
    buf_ = std::move(*buf);
    auto* words = reinterpret_cast<uint64_t*>(buf_.data());
    for (size_t i = 0; i < kBytes / 8; ++i) words[i] = i % 2 ? ~(i / 2) : i / 2;
  }
  Bandwidth Measure(int passes = kPasses) const {
    const bool avx2 = __builtin_cpu_supports("avx2");
    const size_t n = kBytes / kThreads / 256 * kThreads * 256;  // whole 8-vector steps per thread
    const double pass_bytes = static_cast<double>(n);
    Bandwidth out;
    double seconds = 0;
    for (int pass = 0; pass < passes; ++pass) {
      std::vector<uint64_t> sums(kThreads);
      const double t0 = Now();
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
          const uint8_t* p = buf_.data() + n / kThreads * t;
          sums[t] = avx2 ? XorRead32(p, n / kThreads) : XorRead16(p, n / kThreads);
        });
      }
      for (std::thread& th : threads) th.join();
      const double s = Now() - t0;
      if (sums[0] == 42) std::printf(" ");  // keeps the reads alive
      out.burst = std::max(out.burst, pass_bytes / s / 1e9);
      seconds += s;
    }
    out.sustained = pass_bytes * passes / seconds / 1e9;
    return out;
  }

 private:
  static constexpr size_t kBytes = size_t{1} << 30;
  static constexpr int kPasses = 8;
  ss::HugePageBuffer buf_;
};

// Bytes of weights one decoded token reads: every tensor but the token
// embedding, of which it reads one row (unless the output reuses it).
double WeightBytesPerToken(const std::string& path) {
  auto file = ss::gguf::File::Open(path);
  if (!file.ok()) return 0;
  const bool tied = (*file)->FindTensor(ss::gguf::WeightName(ss::gguf::kOutput)) == nullptr;
  const std::string embd = ss::gguf::WeightName(ss::gguf::kTokenEmbd);
  double bytes = 0;
  for (const ss::gguf::TensorInfo& t : (*file)->tensors()) {
    if (t.name == embd && !tied) {
      bytes += static_cast<double>(t.size) / static_cast<double>(t.rows());
    } else {
      bytes += static_cast<double>(t.size);
    }
  }
  return bytes;
}

struct Speed {
  double prefill = 0, decode = 0;  // tok/s
  bool ok = false;
};

// One run of `shardswarm generate`: prefill and decode tok/s.
Speed RunOurs(const std::string& model) {
  std::string prompt;  // 126 characters + the SentencePiece space + BOS = 128 tokens
  for (int i = 0; i < kPromptTokens - 2; ++i) prompt.push_back(static_cast<char>('a' + (i * 7) % 26));
  const std::regex re(
      R"(prompt: (\d+) tokens in [0-9.]+ s, ([0-9.]+) tok/s; generation: (\d+) tokens, ([0-9.]+) tok/s)");
  ChildRun r =
      RunChild({SHARDSWARM_BINARY, "generate", "-m", model, "-p", prompt, "-n", std::to_string(kGenTokens),
                "--temp", "0", "--ignore-eos", "--threads", std::to_string(kThreads), "--seed", "1"});
  std::smatch m;
  if (r.status != 0 || !std::regex_search(r.output, m, re)) {
    std::fprintf(stderr, "generate failed: %s\n", r.output.c_str());
    return {};
  }
  return {std::atof(m[2].str().c_str()), std::atof(m[4].str().c_str()), true};
}

// One llama-bench run (after its own warm-up) of pp128 and tg64 on the same file.
Speed RunLlamaBench(const std::string& bin, const std::string& model) {
  ChildRun r =
      RunChild({bin, "-m", model, "-t", std::to_string(kThreads), "-p", std::to_string(kPromptTokens), "-n",
                std::to_string(kGenTokens), "-r", "1", "-o", "json"});
  Speed s;
  const size_t start = r.output.find('[');
  if (r.status != 0 || start == std::string::npos) {
    std::fprintf(stderr, "llama-bench failed: %s\n", r.output.c_str());
    return s;
  }
  const auto j =
      nlohmann::json::parse(r.output.substr(start, r.output.rfind(']') - start + 1), nullptr, false);
  if (!j.is_array()) return s;
  for (const auto& e : j) {
    if (e.value("n_prompt", 0) > 0) s.prefill = e.value("avg_ts", 0.0);
    if (e.value("n_gen", 0) > 0) s.decode = e.value("avg_ts", 0.0);
  }
  s.ok = s.prefill > 0 && s.decode > 0;
  return s;
}

// Our runs and llama-bench's take turns, one of each per repetition (after a
// warm-up run of ours that pages the weights in), so a machine whose speed
// drifts, as a shared VM's does, moves both alike; medians of each.
// The bandwidth is probed right before and right after each of our runs: a
// shared machine's drifts by a factor of two within minutes, so each decode
// figure is set against the ceiling of its own moment, the higher of the two
// probes (median of those shares), burst and sustained alike.
Speed RunTurns(const std::string& model, int reps, const char* llama_bench, const BandwidthProbe& probe,
               double bytes_per_token, Speed* ref, Bandwidth* bandwidth, Bandwidth* ceiling_share) {
  *ref = {};
  if (!RunOurs(model).ok) return {};
  std::vector<double> prefill, decode, ref_prefill, ref_decode, burst, sustained, burst_share,
      sustained_share;
  for (int i = 0; i < reps; ++i) {
    const Bandwidth before = probe.Measure();
    const Speed s = RunOurs(model);
    if (!s.ok) return {};
    prefill.push_back(s.prefill);
    decode.push_back(s.decode);
    const Bandwidth after = probe.Measure();
    burst.push_back(std::max(before.burst, after.burst));
    sustained.push_back(std::max(before.sustained, after.sustained));
    burst_share.push_back(s.decode * bytes_per_token / (burst.back() * 1e9));
    sustained_share.push_back(s.decode * bytes_per_token / (sustained.back() * 1e9));
    if (llama_bench == nullptr) continue;
    const Speed r = RunLlamaBench(llama_bench, model);
    if (!r.ok) continue;
    ref_prefill.push_back(r.prefill);
    ref_decode.push_back(r.decode);
  }
  if (!ref_prefill.empty()) *ref = {Median(ref_prefill), Median(ref_decode), true};
  *bandwidth = {Median(burst), Median(sustained)};
  *ceiling_share = {Median(burst_share), Median(sustained_share)};
  return {Median(prefill), Median(decode), true};
}

// The model in this process, kThreads threads, 512 positions; null (and a
// message naming `what`) when it cannot be opened.
std::unique_ptr<ss::engine::Pipeline> OpenInProcess(const std::string& model, const char* what) {
  ss::engine::StageOptions o;
  o.n_threads = kThreads;
  o.n_ctx = 512;
  auto p = ss::engine::Pipeline::Open(model, o);
  if (!p.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, p.status().message().c_str());
    return nullptr;
  }
  return std::move(*p);
}

// Decode against the ceiling, close up: in this process, the prompt, then
// rounds of a short probe, kCloseUpTokens decoded (positions kPromptTokens..,
// as the generate runs' first tokens), a short probe: ~0.4 s a round, where a
// generate run with its probes takes seconds. This VM's bandwidth switches
// between ~33 and ~60 GB/s from one second to the next; a round whose probes
// differ by more than kAgree straddled a switch and its ceiling is unknown, so
// it is left out. Shares: medians over the kept rounds, each against the
// higher of its two probes; and the same over the rounds with the fastest
// memory (a probe within kFastBand of the run's best), where the share is
// lowest: the issue's target (85 %) is about those.
struct CloseUp {
  Bandwidth share, bandwidth;            // medians of the kept rounds
  Bandwidth fast_share, fast_bandwidth;  // medians of the kept rounds with the fastest memory
  int kept = 0, rounds = 0, fast = 0;
};
constexpr double kFastBand = 0.15;
CloseUp DecodeShareCloseUp(const std::string& model, const BandwidthProbe& probe, double bytes_per_token) {
  constexpr int kRounds = 30, kCloseUpTokens = 16, kProbePasses = 3;
  constexpr double kAgree = 0.10;
  CloseUp out;
  auto p = OpenInProcess(model, "close-up");
  if (!p) return out;
  ss::engine::Pipeline& pipe = *p;
  const int n_vocab = pipe.config().n_vocab;
  auto token = [&](int i) { return static_cast<int32_t>((i * 104729) % (n_vocab - 3) + 3); };
  std::vector<ss::engine::BatchRow> rows;
  for (int i = 0; i < kPromptTokens; ++i) rows.push_back({1, i, token(i), i + 1 == kPromptTokens});
  std::vector<float> logits;
  if (!pipe.Forward(rows, &logits).ok()) return out;
  std::vector<double> burst, sustained, burst_share, sustained_share;
  for (int round = 0; round < kRounds; ++round) {
    const Bandwidth before = probe.Measure(kProbePasses);
    const double t0 = Now();
    for (int i = 0; i < kCloseUpTokens; ++i) {  // each round rewrites the same positions
      const int pos = kPromptTokens + i;
      if (!pipe.Forward({{1, pos, token(pos), true}}, &logits).ok()) return out;
    }
    const double tok_s = kCloseUpTokens / (Now() - t0);
    const Bandwidth after = probe.Measure(kProbePasses);
    ++out.rounds;
    const double high = std::max(before.burst, after.burst);
    if (std::abs(before.burst - after.burst) > kAgree * high) continue;
    burst.push_back(high);
    sustained.push_back(std::max(before.sustained, after.sustained));
    burst_share.push_back(tok_s * bytes_per_token / (high * 1e9));
    sustained_share.push_back(tok_s * bytes_per_token / (sustained.back() * 1e9));
  }
  out.kept = static_cast<int>(burst.size());
  out.share = {Median(burst_share), Median(sustained_share)};
  out.bandwidth = {Median(burst), Median(sustained)};
  const double best = burst.empty() ? 0 : *std::max_element(burst.begin(), burst.end());
  std::vector<double> fb, fs, fbs, fss;
  for (size_t i = 0; i < burst.size(); ++i) {
    if (burst[i] < (1 - kFastBand) * best) continue;
    fb.push_back(burst[i]);
    fs.push_back(sustained[i]);
    fbs.push_back(burst_share[i]);
    fss.push_back(sustained_share[i]);
  }
  out.fast = static_cast<int>(fb.size());
  out.fast_share = {Median(fbs), Median(fss)};
  out.fast_bandwidth = {Median(fb), Median(fs)};
  return out;
}

// Two `generate` runs at once on this machine's cores, kThreads threads each
// (the issue: a thread pool that loses nothing when another process shares
// the cores), against one run alone: their decode tok/s added up (both start
// together and do the same work, so their decode phases overlap), lone runs
// and pairs in turns, medians of `reps`. Decode is bound by memory, which two
// processes share, so about 1.0x is the most there is to get.
struct Sharing {
  double alone = 0, together = 0;
};
Sharing SharedCores(const std::string& model, int reps) {
  std::vector<double> alone, together;
  for (int r = 0; r < reps; ++r) {
    const Speed a = RunOurs(model);
    Speed b;
    std::thread other([&] { b = RunOurs(model); });
    const Speed c = RunOurs(model);
    other.join();
    if (!a.ok || !b.ok || !c.ok) return {};
    alone.push_back(a.decode);
    together.push_back(b.decode + c.decode);
  }
  return {Median(alone), Median(together)};
}

// Aggregate decode tok/s of B sessions stepping together, in this process.
std::map<int, double> RunBatched(const std::string& model, const std::vector<int>& batches) {
  std::map<int, double> out;
  auto p = OpenInProcess(model, "batched");
  if (!p) return out;
  ss::engine::Pipeline& pipe = *p;
  const int n_vocab = pipe.config().n_vocab;
  constexpr int kPp = 16, kTg = 32;
  std::vector<float> logits;
  uint64_t next_session = 1;
  for (int b : batches) {
    std::vector<uint64_t> sessions;
    std::vector<ss::engine::BatchRow> rows;
    for (int s = 0; s < b; ++s) {
      const uint64_t id = next_session++;
      sessions.push_back(id);
      for (int i = 0; i < kPp; ++i)
        rows.push_back(
            {id, i, static_cast<int32_t>((id * 7919 + i * 104729) % (n_vocab - 3) + 3), i + 1 == kPp});
    }
    if (!pipe.Forward(rows, &logits).ok()) return out;
    const double t0 = Now();
    for (int step = 0; step < kTg; ++step) {
      rows.clear();
      for (int s = 0; s < b; ++s)
        rows.push_back(
            {sessions[s], kPp + step, static_cast<int32_t>((step * 31 + s * 17) % (n_vocab - 3) + 3), true});
      if (!pipe.Forward(rows, &logits).ok()) return out;
    }
    out[b] = b * kTg / (Now() - t0);
    for (uint64_t id : sessions) pipe.CloseSession(id);
  }
  return out;
}

// llama-batched-bench's S_TG (aggregate generation tok/s) per batch size.
std::map<int, double> RunLlamaBatched(const std::string& bin, const std::string& model) {
  std::map<int, double> out;
  ChildRun r = RunChild({bin, "-m", model, "-npp", "16", "-ntg", "32", "-npl", "1,4,8,16", "-t",
                         std::to_string(kThreads), "-c", "2048"});
  std::istringstream in(r.output);
  std::string line;
  // | PP | TG | B | N_KV | T_PP s | S_PP t/s | T_TG s | S_TG t/s | T s | S t/s |
  while (std::getline(in, line)) {
    std::vector<double> cols;
    std::istringstream ls(line);
    std::string cell;
    while (std::getline(ls, cell, '|')) {
      char* end = nullptr;
      const double v = std::strtod(cell.c_str(), &end);
      if (end != cell.c_str()) cols.push_back(v);
    }
    if (cols.size() >= 8 && cols[0] == 16 && cols[1] == 32) out[static_cast<int>(cols[2])] = cols[7];
  }
  return out;
}

std::string TypeOf(const std::string& path) {
  auto file = ss::gguf::File::Open(path);
  if (!file.ok()) return "?";
  std::map<ss::gguf::TensorType, uint64_t> bytes;  // the type holding most bytes names the model
  for (const ss::gguf::TensorInfo& t : (*file)->tensors()) bytes[t.type] += t.size;
  auto best = std::max_element(bytes.begin(), bytes.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  return best == bytes.end() ? "?" : ss::gguf::TypeName(best->first);
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 3;
  bool batched = false;
  std::vector<std::string> models;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else if (a == "--batched") {
      batched = true;
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: bench_generate [--reps N] [--batched] [model.gguf ...]\n");
      return 0;
    } else {
      models.push_back(a);
    }
  }
  const std::string bin = SHARDSWARM_BINARY;
  fs::path dir = fs::temp_directory_path() / ("shardswarm-bench-gen-" + std::to_string(getpid()));
  const bool made = models.empty();
  const char* llama_bench = std::getenv("LLAMA_BENCH");
  if (made) {
    fs::create_directories(dir);
    for (const char* type : {"q8_0", "q4_0"}) {
      const std::string model = (dir / (std::string(type) + ".gguf")).string();
      ChildRun gen = RunChild({bin, "dev", "make-model", "--out", model, "--type", type});
      if (gen.status != 0) {
        std::fprintf(stderr, "make-model failed: %s\n", gen.output.c_str());
        return 1;
      }
      models.push_back(model);
    }
    // Q4_K_M, the type most downloaded models use, comes from llama-quantize
    // (the real Q4_K/Q6_K mix): LLAMA_QUANTIZE, or the one beside LLAMA_BENCH.
    std::string quantize = std::getenv("LLAMA_QUANTIZE") ? std::getenv("LLAMA_QUANTIZE") : "";
    if (quantize.empty() && llama_bench != nullptr)
      quantize = (fs::path(llama_bench).parent_path() / "llama-quantize").string();
    if (!quantize.empty() && fs::exists(quantize)) {
      const std::string f16 = (dir / "f16.gguf").string(), q4km = (dir / "q4_k_m.gguf").string();
      ChildRun gen = RunChild({bin, "dev", "make-model", "--out", f16, "--type", "f16"});
      ChildRun q = gen.status == 0 ? RunChild({quantize, f16, q4km, "Q4_K_M"}) : gen;
      fs::remove(f16);
      if (q.status == 0) {
        models.push_back(q4km);
      } else {
        std::fprintf(stderr, "making Q4_K_M failed: %s\n", q.output.c_str());
      }
    } else {
      std::printf("(no Q4_K_M: set LLAMA_QUANTIZE or LLAMA_BENCH to a llama.cpp build to add it)\n");
    }
  }
  const char* llama_batched = std::getenv("LLAMA_BATCHED_BENCH");
  const BandwidthProbe probe;
  std::printf(
      "bench_generate: %s, kernels %s (detected %s), %d threads, prompt %d, decode %d, median of %d\n",
      CpuModel().c_str(), ss::engine::IsaName(ss::engine::ActiveIsa()),
      ss::engine::IsaName(ss::engine::DetectedIsa()), kThreads, kPromptTokens, kGenTokens, reps);
  const Bandwidth now = probe.Measure();
  std::printf(
      "memory read bandwidth (probe, %d threads): %.1f GB/s burst, %.1f sustained now; probed again before "
      "and after each run\n",
      kThreads, now.burst, now.sustained);
  std::printf("%-8s %-6s | %9s %9s | %9s %9s | %8s %8s %6s %10s\n", "type", "isa", "prefill", "llama.cpp",
              "decode", "llama.cpp", "MB/token", "ceiling", "decode", "sustained");
  int rc = 0;
  for (const std::string& model : models) {
    const double bytes = WeightBytesPerToken(model);
    Speed ref;
    Bandwidth bw, share;
    const Speed ours = RunTurns(model, reps, llama_bench, probe, bytes, &ref, &bw, &share);
    if (!ours.ok) {
      rc = 1;
      continue;
    }
    const CloseUp close = DecodeShareCloseUp(model, probe, bytes);
    const double ceiling = bytes > 0 ? close.bandwidth.burst * 1e9 / bytes : 0;
    char pp_ref[32] = "-", tg_ref[32] = "-";
    if (ref.ok) {
      std::snprintf(pp_ref, sizeof pp_ref, "%.1f", ref.prefill);
      std::snprintf(tg_ref, sizeof tg_ref, "%.1f", ref.decode);
    }
    std::printf("%-8s %-6s | %9.1f %9s | %9.1f %9s | %8.0f %8.1f %5.0f%% %9.0f%%", TypeOf(model).c_str(),
                ss::engine::IsaName(ss::engine::ActiveIsa()), ours.prefill, pp_ref, ours.decode, tg_ref,
                bytes / 1e6, ceiling, 100 * close.share.burst, 100 * close.share.sustained);
    if (ref.ok)
      std::printf("   ratio prefill %.2fx decode %.2fx", ours.prefill / ref.prefill,
                  ours.decode / ref.decode);
    std::printf(
        "   (%s; close up: %d of %d rounds kept, bandwidth %.1f GB/s burst, %.1f sustained; the generate "
        "runs: "
        "%.0f %%, %.0f %% of %.1f, %.1f GB/s)\n",
        fs::path(model).filename().c_str(), close.kept, close.rounds, close.bandwidth.burst,
        close.bandwidth.sustained, 100 * share.burst, 100 * share.sustained, bw.burst, bw.sustained);
    std::printf("%-15s |   with the fastest memory (%d rounds at %.1f GB/s burst, %.1f sustained):", "",
                close.fast, close.fast_bandwidth.burst, close.fast_bandwidth.sustained);
    std::printf(" decode %.0f %% / %.0f %% (target >= 85 %%)\n", 100 * close.fast_share.burst,
                100 * close.fast_share.sustained);
    const Sharing sharing = SharedCores(model, reps);
    if (sharing.alone > 0)
      std::printf(
          "%-15s |   two processes at once, %d threads each: decode %.1f tok/s together, %.1f alone: %.2fx "
          "(target >= 1.0x)\n",
          "", kThreads, sharing.together, sharing.alone, sharing.together / sharing.alone);
    if (batched) {
      const std::vector<int> batches = {1, 4, 8, 16};
      const std::map<int, double> b = RunBatched(model, batches);
      std::map<int, double> lb;
      if (llama_batched != nullptr) lb = RunLlamaBatched(llama_batched, model);
      std::printf("  batched decode, aggregate tok/s (16-token prompts, 32 steps):");
      for (int n : batches) {
        std::printf("  B=%d %.1f", n, b.count(n) ? b.at(n) : 0.0);
        if (lb.count(n)) std::printf(" (llama.cpp %.1f)", lb.at(n));
      }
      std::printf("\n");
    }
  }
  if (made) fs::remove_all(dir);
  return rc;
}
