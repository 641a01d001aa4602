// The shardswarm binary as a user runs it: help, errors, and splits that are
// interrupted or run out of space.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "testing.h"

namespace ss {
namespace {

namespace fs = std::filesystem;
using ss::testing::ModelPath;
using ss::testing::RunShardswarm;
using ss::testing::TempDir;

bool Contains(const std::string& s, const std::string& f) { return s.find(f) != std::string::npos; }

std::vector<std::string> FinalFiles(const std::string& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() != ".part") out.push_back(e.path().filename().string());
  return out;
}

TEST(Cli, VersionAndHelpForEveryCommand) {
  auto v = RunShardswarm("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_TRUE(Contains(v.output, "shardswarm 0.")) << v.output;
  for (const char* cmd :
       {"", "shard", "shard split", "shard info", "shard validate", "dev", "dev make-model"}) {
    auto h = RunShardswarm(std::string(cmd) + " --help");
    EXPECT_EQ(h.exit_code, 0) << cmd;
    EXPECT_TRUE(Contains(h.output, "Usage")) << cmd << ": " << h.output;
  }
}

// Every flag has an environment variable: SHARDSWARM_<LONG_NAME>, or the seed's LLAMA_* names.
TEST(Cli, FlagsComeFromTheEnvironmentToo) {
  auto r = ss::testing::RunCommand("SHARDSWARM_KV_TYPE=bogus " + std::string(SHARDSWARM_BINARY) +
                                   " generate -m " + ModelPath("tiny-spm-q8_0.gguf") + " -p hi -n 1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.output, "--kv-type must be f16 or f32, not 'bogus'")) << r.output;
  TempDir dir;
  r = ss::testing::RunCommand("LLAMA_TOTAL_SHARDS=2 " + std::string(SHARDSWARM_BINARY) + " shard split " +
                              ModelPath("tiny-spm-q8_0.gguf") + " -o " + dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir / "shard-1.gguf"));
  EXPECT_FALSE(fs::exists(dir / "shard-2.gguf"));
}

TEST(Cli, UnknownCommandsAndMissingArgumentsFail) {
  auto r = RunShardswarm("frobnicate");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(Contains(r.output, "frobnicate")) << r.output;
  r = RunShardswarm("shard split");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(Contains(r.output, "model is required")) << r.output;
  // A command group names the word it does not know, as the top level does.
  r = RunShardswarm("shard frob");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.output, "unknown command 'frob'; `shardswarm shard --help` lists the commands"))
      << r.output;
  r = RunShardswarm("--frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(Contains(r.output, "unknown option '--frobnicate'")) << r.output;
  // Only -1 picks a seed; another negative one is a mistake, not "random".
  r = RunShardswarm("generate -m " + ModelPath("tiny-spm-q8_0.gguf") + " -p hi -n 1 --seed -7");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(Contains(r.output, "--seed: Value -7 not in range -1 to 4294967295")) << r.output;
}

TEST(Cli, SplitRefusesBadPlansAndBadFiles) {
  TempDir dir;
  auto r = RunShardswarm("shard split " + ModelPath("tiny-spm-q8_0.gguf") + " --layers 0-2,4-7 --out " +
                         dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.output, "layers 3-3 are in no shard")) << r.output;
  r = RunShardswarm("shard split " + ModelPath("tiny-spm-q8_0.gguf") + " --shards 9 --out " + dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.output, "cannot split 8 layers into 9 shards")) << r.output;

  std::string broken = dir / "broken.gguf";
  ss::testing::CopyFile(ModelPath("tiny-spm-q8_0.gguf"), broken);
  ss::testing::Truncate(broken, 100000);
  r = RunShardswarm("shard split " + broken + " --shards 2 --out " + (dir / "out"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.output, "broken.gguf: offset")) << r.output;
  EXPECT_TRUE(FinalFiles(dir / "out").empty());
  r = RunShardswarm("shard info " + broken);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.output, "error: ")) << r.output;
}

TEST(Cli, InfoAndValidateDescribeAShardDirectory) {
  TempDir dir;
  ASSERT_EQ(
      RunShardswarm("shard split " + ModelPath("tiny-bpe-f16.gguf") + " -n 2 -o " + dir.path()).exit_code, 0);
  auto info = RunShardswarm("shard info " + (dir / "shard-1.gguf"));
  EXPECT_EQ(info.exit_code, 0);
  EXPECT_TRUE(Contains(info.output, "shard: 1 of 2, layers [2, 4)")) << info.output;
  EXPECT_TRUE(Contains(info.output, "token_embd.weight")) << info.output;  // tied output
  EXPECT_TRUE(Contains(info.output, "layer 3")) << info.output;
  EXPECT_TRUE(Contains(info.output, "F16")) << info.output;
  auto ok = RunShardswarm("shard validate " + dir.path() + " --expected-shards 2");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  fs::remove(dir / "shard-0.gguf");
  auto bad = RunShardswarm("shard validate " + dir.path() + " --expected-shards 2");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_TRUE(Contains(bad.output, "problem: shard-0.gguf is missing")) << bad.output;
}

// `generate -m DIR` holds the shards to manifest.json as a node does: a
// flipped byte (same size) or an unreadable manifest is an error, not a run
// on corrupt weights; a shard of another split beside them is named too.
TEST(Cli, GenerateChecksAShardDirectoryAgainstItsManifest) {
  TempDir dir;
  const std::string out = dir / "shards";
  ASSERT_EQ(RunShardswarm("shard split " + ModelPath("tiny-spm-q8_0.gguf") + " -n 2 -o " + out).exit_code, 0);
  const std::string generate = "generate -m " + out + " -p hi -n 2 --temp 0";
  auto ok = RunShardswarm(generate);
  ASSERT_EQ(ok.exit_code, 0) << ok.output;

  const std::string shard1 = out + "/shard-1.gguf";
  {
    std::fstream f(shard1, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-100, std::ios::end);
    const char c = static_cast<char>(f.get() ^ 0x01);
    f.seekp(-100, std::ios::end);
    f.put(c);
  }
  auto flipped = RunShardswarm(generate);
  EXPECT_EQ(flipped.exit_code, 1) << flipped.output;
  EXPECT_TRUE(Contains(flipped.output, "shard-1.gguf does not match manifest.json")) << flipped.output;
  // `shard publish` checks every shard before it writes a .torrent: none is left.
  auto publish = RunShardswarm("shard publish " + out);
  EXPECT_EQ(publish.exit_code, 1) << publish.output;
  EXPECT_TRUE(Contains(publish.output, "shard-1.gguf: its SHA-256 differs from manifest.json"))
      << publish.output;
  EXPECT_FALSE(fs::exists(out + "/shard-0.gguf.torrent"));

  std::ofstream(out + "/manifest.json") << "{\"garbage\":";
  auto garbage = RunShardswarm(generate);
  EXPECT_EQ(garbage.exit_code, 1) << garbage.output;
  EXPECT_TRUE(Contains(garbage.output, "checking the shards against " + out + "/manifest.json"))
      << garbage.output;

  TempDir other;
  ASSERT_EQ(
      RunShardswarm("shard split " + ModelPath("tiny-spm-q8_0.gguf") + " -n 4 -o " + other.path()).exit_code,
      0);
  TempDir mixed;
  ASSERT_EQ(
      RunShardswarm("shard split " + ModelPath("tiny-spm-q8_0.gguf") + " -n 2 -o " + mixed.path()).exit_code,
      0);
  ss::testing::CopyFile(other / "shard-2.gguf", mixed / "shard-2.gguf");
  auto v = RunShardswarm("shard validate " + mixed.path() + " --expected-shards 2");
  EXPECT_EQ(v.exit_code, 1) << v.output;
  EXPECT_TRUE(Contains(v.output, "shard-2.gguf is not one of the expected 2 shards")) << v.output;
}

// Regression (issue 12): a file with shardswarm.shard.id but not the other
// shard keys made `shard info` dereference a missing key.
TEST(Cli, InfoNamesAMissingShardKey) {
  TempDir dir;
  const std::string partial = dir / "partial.gguf";
  ss::testing::RewriteModel(ModelPath("tiny-spm-q8_0.gguf"), partial,
                            {{"shardswarm.shard.id", gguf::Value::U32(1)}});
  auto info = RunShardswarm("shard info " + partial);
  EXPECT_EQ(info.exit_code, 1) << info.output;
  EXPECT_TRUE(
      Contains(info.output, "error: " + partial + ": metadata key 'shardswarm.shard.count' is missing"))
      << info.output;
}

TEST(Cli, MakeModelIsDeterministicAndReadable) {
  TempDir dir;
  std::string shape =
      " --n-vocab 400 --n-embd 64 --n-layer 3 --n-head 4 --n-head-kv 2 --n-ff 128 --type q4_0";
  ASSERT_EQ(RunShardswarm("dev make-model -o " + (dir / "a.gguf") + shape + " --seed 7").exit_code, 0);
  ASSERT_EQ(RunShardswarm("dev make-model -o " + (dir / "b.gguf") + shape + " --seed 7").exit_code, 0);
  ASSERT_EQ(RunShardswarm("dev make-model -o " + (dir / "c.gguf") + shape + " --seed 8").exit_code, 0);
  auto sum = [&](const char* f) { return ss::testing::RunCommand("sha256sum < " + (dir / f)).output; };
  EXPECT_EQ(sum("a.gguf"), sum("b.gguf"));
  EXPECT_NE(sum("a.gguf"), sum("c.gguf"));
  auto info = RunShardswarm("shard info " + (dir / "a.gguf"));
  EXPECT_EQ(info.exit_code, 0);
  EXPECT_TRUE(Contains(info.output, "blk.2.ffn_down.weight")) << info.output;
  EXPECT_TRUE(Contains(info.output, "Q4_0")) << info.output;
  auto r = RunShardswarm("dev make-model -o " + (dir / "d.gguf") + " --type q6_k");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.output, "F32, F16, Q8_0 or Q4_0")) << r.output;
}

// Killed mid-write, a split leaves only .part files; a rerun then succeeds.
TEST(Cli, InterruptedSplitLeavesNoFileUnderAFinalName) {
  TempDir dir;
  std::string model = dir / "big.gguf";
  ASSERT_EQ(RunShardswarm("dev make-model -o " + model +
                          " --n-embd 1024 --n-layer 8 --n-head 8 --n-head-kv 2 --n-ff 2816 --type f16")
                .exit_code,
            0);
  std::string out = dir / "shards";
  pid_t pid = fork();
  if (pid == 0) {
    execl(SHARDSWARM_BINARY, SHARDSWARM_BINARY, "shard", "split", model.c_str(), "-n", "4", "-o", out.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // Kill it as soon as the first shard is being written.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(out + "/shard-0.gguf.part") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the split finished before it could be interrupted";
  EXPECT_TRUE(FinalFiles(out).empty());

  auto r = RunShardswarm("shard split " + model + " -n 4 -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, ".part file(s) an interrupted split left in " + out + ": ")) << r.output;
  EXPECT_EQ(RunShardswarm("shard validate " + out + " -n 4").exit_code, 0);
}

// A second split into a directory holding one is refused (their shards would
// mix); --force replaces it, leaving no shard of the old split behind.
TEST(Cli, SplitIntoAnotherSplitNeedsForce) {
  TempDir dir;
  const std::string model = ModelPath("tiny-spm-q8_0.gguf");
  ASSERT_EQ(RunShardswarm("shard split " + model + " -n 4 -o " + dir.path()).exit_code, 0);
  auto r = RunShardswarm("shard split " + model + " -n 2 -o " + dir.path());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(
      Contains(r.output, "error: " + dir.path() + " already holds a split (manifest.json, shard-0.gguf"))
      << r.output;
  EXPECT_TRUE(Contains(r.output, "pass --force to replace it")) << r.output;
  EXPECT_EQ(RunShardswarm("shard validate " + dir.path() + " -n 4").exit_code, 0);

  r = RunShardswarm("shard split " + model + " -n 2 -o " + dir.path() + " --force");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(Contains(r.output, "--force: replaced the earlier split in " + dir.path())) << r.output;
  EXPECT_FALSE(fs::exists(dir / "shard-2.gguf"));
  EXPECT_FALSE(fs::exists(dir / "shard-3.gguf"));
  auto v = RunShardswarm("shard validate " + dir.path() + " -n 2");
  EXPECT_EQ(v.exit_code, 0) << v.output;
}

// A write that fails (here: the file size limit, as a full disk would) is an
// error naming the file, and nothing is left behind.
TEST(Cli, SplitThatCannotWriteFailsCleanly) {
  TempDir dir;
  std::string out = dir / "shards";
  auto r = ss::testing::RunCommand("bash -c 'trap \"\" XFSZ; ulimit -f 8000; exec " +
                                   std::string(SHARDSWARM_BINARY) + " shard split " +
                                   ModelPath("tiny-spm-q8_0.gguf") + " -n 1 -o " + out + "'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(Contains(r.output, "writing " + out + "/shard-0.gguf.part: File too large")) << r.output;
  EXPECT_TRUE(fs::is_empty(out));
}

// --force with no room for the new split: the error names the file, and the
// earlier split is left whole (the new one is written beside it first).
TEST(Cli, ForcedSplitThatCannotWriteKeepsTheEarlierSplit) {
  TempDir dir;
  std::string out = dir / "shards";
  const std::string model = ModelPath("tiny-spm-q8_0.gguf");
  auto first = RunShardswarm("shard split " + model + " -n 4 -o " + out);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  std::vector<std::string> before;
  for (const auto& e : fs::directory_iterator(out)) before.push_back(e.path().filename().string());
  std::sort(before.begin(), before.end());
  auto r = ss::testing::RunCommand("bash -c 'trap \"\" XFSZ; ulimit -f 8000; exec " +
                                   std::string(SHARDSWARM_BINARY) + " shard split " + model + " -n 1 -o " +
                                   out + " --force'");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(Contains(r.output, "writing " + out + "/shard-0.gguf.part: File too large")) << r.output;
  std::vector<std::string> after;
  for (const auto& e : fs::directory_iterator(out)) after.push_back(e.path().filename().string());
  std::sort(after.begin(), after.end());
  EXPECT_EQ(after, before);
  auto v = RunShardswarm("shard validate " + out + " -n 4");
  EXPECT_EQ(v.exit_code, 0) << v.output;
}

}  // namespace
}  // namespace ss
