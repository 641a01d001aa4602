// Splits a ~1.2 GB generated model (the TinyLlama-1.1B shape, Q8_0) into 4
// shards with the real binary and prints throughput and the splitter's peak
// RSS next to the targets (issue: >= 300 MB/s, peak RSS < 100 MB).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "child_process.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  std::string bin = SHARDSWARM_BINARY;
  fs::path dir = fs::temp_directory_path() / ("shardswarm-bench-split-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::string model = (dir / "model.gguf").string();
  std::printf("generating the 1.1B benchmark shape (Q8_0) ...\n");
  ChildRun gen = RunChild({bin, "dev", "make-model", "--out", model, "--type", "q8_0"});
  if (gen.status != 0) {
    std::fprintf(stderr, "make-model failed\n");
    return 1;
  }
  double mb = static_cast<double>(fs::file_size(model)) / 1e6;
  std::printf("model: %.0f MB, generated in %.1f s\n", mb, gen.seconds);

  int rc = 0;
  // Three runs each: the virtual disk's write-back speed varies from run to run
  // (every shard is fsynced before it is renamed), so the spread is shown.
  for (int shards : {4, 22}) {
    for (int run = 0; run < 3 && rc == 0; ++run) {
      fs::path out = dir / ("shards-" + std::to_string(shards));
      ChildRun split =
          RunChild({bin, "shard", "split", model, "--shards", std::to_string(shards), "--out", out.string()});
      if (split.status != 0) {
        std::fprintf(stderr, "split failed\n");
        rc = 1;
      }
      std::printf(
          "split into %2d shards, run %d: %.2f s  %6.0f MB/s (target >= 300)  peak RSS %5.1f MB "
          "(target < 100)\n",
          shards, run + 1, split.seconds, mb / split.seconds, split.peak_rss_mb);
      fs::remove_all(out);
    }
  }
  fs::remove_all(dir);
  return rc;
}
