// End-to-end generation speed on the TinyLlama-1.1B benchmark shape (random
// weights), Q8_0 and Q4_0, 2 threads: a 128-token prompt, then 64 tokens
// decoded, through the real `shardswarm generate`. Prints tokens/s and peak
// RSS next to the issue's targets (llama.cpp on this machine kind: decode
// 20.9 / 34.5 tok/s, prefill 75.6 / 86.4 tok/s; targets 0.8x decode, 0.6x
// prefill; RSS <= weights + KV cache + 150 MB).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>

#include "child_process.h"

namespace fs = std::filesystem;

struct Target {
  const char* type;
  double decode, prefill;
};

int main() {
  std::string bin = SHARDSWARM_BINARY;
  fs::path dir = fs::temp_directory_path() / ("shardswarm-bench-gen-" + std::to_string(getpid()));
  fs::create_directories(dir);
  // 126 printable characters + the SentencePiece space + BOS = 128 prompt tokens.
  std::string prompt;
  for (int i = 0; i < 126; ++i) prompt.push_back(static_cast<char>('a' + (i * 7) % 26));
  int rc = 0;
  for (Target t : {Target{"q8_0", 17, 45}, Target{"q4_0", 28, 52}}) {
    std::string model = (dir / (std::string(t.type) + ".gguf")).string();
    ChildRun gen = RunChild({bin, "dev", "make-model", "--out", model, "--type", t.type});
    if (gen.status != 0) {
      std::fprintf(stderr, "make-model failed: %s\n", gen.output.c_str());
      return 1;
    }
    double weights_mb = static_cast<double>(fs::file_size(model)) / (1 << 20);
    for (int run = 0; run < 2; ++run) {  // the first run also pages the weights in
      ChildRun r = RunChild({bin, "generate", "-m", model, "-p", prompt, "-n", "64", "--temp", "0",
                             "--ignore-eos", "--threads", "2", "--seed", "1"});
      std::smatch m;
      std::regex re(
          R"(prompt: (\d+) tokens in [0-9.]+ s, ([0-9.]+) tok/s; generation: (\d+) tokens, ([0-9.]+) tok/s)");
      if (r.status != 0 || !std::regex_search(r.output, m, re)) {
        std::fprintf(stderr, "generate failed: %s\n", r.output.c_str());
        rc = 1;
        break;
      }
      // KV cache: 22 layers x (K + V) x 256 dims x f16 x 192 positions (rounded up to 256 by growth).
      double kv_mb = 22.0 * 2 * 256 * 2 * 256 / (1 << 20);
      std::printf(
          "%s run %d: prompt %s tokens %7.1f tok/s (target >= %.0f) | decode %s tokens %5.1f tok/s "
          "(target >= %.0f) | peak RSS %.0f MB (target <= %.0f)\n",
          t.type, run + 1, m[1].str().c_str(), std::atof(m[2].str().c_str()), t.prefill, m[3].str().c_str(),
          std::atof(m[4].str().c_str()), t.decode, r.peak_rss_mb, weights_mb + kv_mb + 150);
    }
    fs::remove(model);
  }
  fs::remove_all(dir);
  return rc;
}
