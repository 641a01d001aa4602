// shardswarm shard split / info / validate
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "dist/publish.h"
#include "gguf/reader.h"
#include "shard/info.h"
#include "shard/manifest.h"
#include "shard/plan.h"
#include "shard/split.h"
#include "shard/validate.h"

namespace ss::cli {
namespace {

void RunSplit(const shard::SplitOptions& base) {
  shard::SplitOptions opt = base;
  if (opt.shards == 0 && opt.layers.empty()) Fail("give --shards N or --layers 0-7,8-15,…");
  ProgressBar bar("[SHARD]");
  opt.progress = [&](const char* phase, uint64_t done, uint64_t total) { bar.Update(phase, done, total); };
  auto m = shard::Split(opt);
  if (!m.ok()) Fail(m.status().message());
  std::printf("[SHARD] split %s (%d layers, model id %s) into %zu shards in %s:\n", m->source_file.c_str(),
              m->layer_count, m->model_id.c_str(), m->shards.size(), opt.out_dir.c_str());
  for (const shard::ShardEntry& s : m->shards)
    std::printf("  %s  layers %-7s %10s  sha256 %s\n", s.file.c_str(), shard::FormatRange(s.layers).c_str(),
                HumanBytes(s.size).c_str(), s.sha256.c_str());
}

void RunInfo(const std::string& path) {
  auto f = gguf::File::Open(path);
  if (!f.ok()) Fail(f.status().message());
  auto report = shard::DescribeFile(**f);
  if (!report.ok()) Fail(report.status().message());
  std::fputs(report->c_str(), stdout);
}

void RunValidate(const std::string& dir, int expected) {
  shard::ValidationReport r = shard::ValidateShards(dir, expected);
  for (const std::string& n : r.notes) std::printf("note: %s\n", n.c_str());
  for (const std::string& p : r.problems) std::printf("problem: %s\n", p.c_str());
  if (!r.ok()) {
    std::printf("%s: %zu problem%s found; the swarm cannot start from these shards\n", dir.c_str(),
                r.problems.size(), r.problems.size() == 1 ? "" : "s");
    throw CLI::RuntimeError(1);
  }
  std::printf("%s: OK\n", dir.c_str());
}

// One line per shard: the .torrent written and its magnet link.
void RunPublish(const std::string& dir, const std::string& format_name) {
  auto format = dist::ParseTorrentFormat(format_name);
  if (!format.ok()) Fail(format.status().message());
  auto published = dist::PublishShards(dir, *format);
  if (!published.ok()) Fail(published.status().message());
  for (const dist::PublishedShard& p : *published)
    std::printf("%s  %s\n", p.torrent_path.c_str(), p.meta.magnet.c_str());
}

}  // namespace

void AddShardCommands(CLI::App& app) {
  CLI::App* shard = app.add_subcommand("shard", "Cut a GGUF model into layer-range shards; inspect; check");
  shard->require_subcommand(1);

  auto split_opt = std::make_shared<shard::SplitOptions>();
  split_opt->out_dir = "models_cache/shards";
  CLI::App* split = shard->add_subcommand("split", "Write shard-{i}.gguf and manifest.json for MODEL");
  split->add_option("model", split_opt->model_path, "Source GGUF model")
      ->required()
      ->check(CLI::ExistingFile);
  split->add_option("--shards,-n", split_opt->shards, "Number of shards (even layer split)")
      ->envname("SHARDSWARM_TOTAL_SHARDS");
  split->add_option("--out,-o", split_opt->out_dir, "Output directory")
      ->envname("SHARDSWARM_SHARDS_DIR")
      ->capture_default_str();
  split->add_option("--layers", split_opt->layers, "Explicit plan, inclusive ranges: 0-7,8-15,…");
  split->add_flag("--force", split_opt->force,
                  "Replace a split already in the output directory (its shards, their .torrent files and "
                  "manifest.json)");
  split->callback([split_opt] { RunSplit(*split_opt); });

  auto info_path = std::make_shared<std::string>();
  CLI::App* info =
      shard->add_subcommand("info", "Show a GGUF file's metadata, tensors by layer and shard keys");
  info->add_option("file", *info_path, "GGUF file")->required();
  info->callback([info_path] { RunInfo(*info_path); });

  auto vdir = std::make_shared<std::string>("models_cache/shards");
  auto vcount = std::make_shared<int>(0);
  CLI::App* validate =
      shard->add_subcommand("validate", "Check a directory of shards before starting a swarm");
  validate->add_option("dir", *vdir, "Shards directory")
      ->envname("SHARDSWARM_SHARDS_DIR")
      ->capture_default_str();
  validate->add_option("--expected-shards,-n", *vcount, "How many shards the swarm uses")
      ->required()
      ->envname("SHARDSWARM_TOTAL_SHARDS")
      ->check(CLI::Range(1, 100000));
  validate->callback([vdir, vcount] { RunValidate(*vdir, *vcount); });

  auto pdir = std::make_shared<std::string>("models_cache/shards");
  auto pformat = std::make_shared<std::string>("hybrid");
  CLI::App* publish = shard->add_subcommand(
      "publish", "Write shard-K.gguf.torrent beside each shard in manifest.json; print their magnet links");
  publish->add_option("dir", *pdir, "Shards directory")
      ->envname("SHARDSWARM_SHARDS_DIR")
      ->capture_default_str();
  publish
      ->add_option("--torrent-format", *pformat,
                   "v1 (for Transmission 3, aria2 1.36), v2, or hybrid (v1+v2, for libtorrent 2 clients)")
      ->check(CLI::IsMember({"v1", "v2", "hybrid"}))
      ->capture_default_str();
  publish->callback([pdir, pformat] { RunPublish(*pdir, *pformat); });
}

}  // namespace ss::cli
