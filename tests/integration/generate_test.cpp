// `shardswarm generate` as a user runs it: bad input is refused with exit
// code 1 and a message (never a crash), and on the reference models the
// output agrees with llama.cpp's (../shared/testdata/reference).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "gguf/reader.h"
#include "gguf/shard_keys.h"
#include "gguf/writer.h"
#include "testing.h"
#include "util/file_io.h"

namespace ss {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ss::testing::ModelPath;
using ss::testing::RunCommand;
using ss::testing::RunShardswarm;
using ss::testing::TempDir;
using ss::testing::TestdataDir;

bool Contains(const std::string& s, const std::string& f) { return s.find(f) != std::string::npos; }

std::string Quote(const std::string& s) { return "'" + s + "'"; }  // paths here hold no quotes

std::string PromptFile(const std::string& name) {
  return TestdataDir() + "/reference/prompts/" + name + ".txt";
}
// A -p argument whose value is the exact bytes of a file (no trailing newline in these).
std::string PromptArg(const std::string& file) { return "-p \"$(cat " + Quote(file) + ")\""; }

json Reference(const std::string& model, const std::string& prompt, const std::string& kv = "kvf16") {
  std::ifstream f(TestdataDir() + "/reference/" + model + "/" + prompt + "." + kv + ".json");
  return json::parse(f);
}

std::string Unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

struct GenResult {
  int exit_code;
  std::string out;  // stdout
  std::string err;  // stderr
};

// `shardswarm generate ARGS` with stdout and stderr kept apart.
GenResult Generate(const std::string& args) {
  TempDir dir;
  const std::string out = dir / "stdout";
  auto r =
      RunCommand("{ " + std::string(SHARDSWARM_BINARY) + " generate " + args + " >" + Quote(out) + "; }");
  return {r.exit_code, ss::testing::ReadFile(out), r.output};
}

const std::string kQ8 = "tiny-spm-q8_0";

// ---------------------------------------------------------------- bad input

// Exit code 1 (not a signal, not a usage error) and the message on stderr.
void ExpectRefused(const GenResult& r, const std::string& message) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(Contains(r.err, "error: " + message)) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(GenerateBadInput, UnsupportedTensorTypeNamesTheTensor) {
  TempDir dir;
  for (auto [type, name] :
       {std::pair{gguf::TensorType::Q5_K, "Q5_K"}, {gguf::TensorType::IQ2_XS, "IQ2_XS"}}) {
    const std::string path = dir / (std::string(name) + ".gguf");
    ASSERT_NO_FATAL_FAILURE(
        ss::testing::RewriteModel(ModelPath(kQ8 + ".gguf"), path, {}, "blk.5.attn_k.weight", type));
    ExpectRefused(
        Generate("-m " + Quote(path) + " -p Hello -n 2 -t 1"),
        path + ": tensor 'blk.5.attn_k.weight' has type " + name +
            ", which the engine cannot compute (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K)");
  }
}

TEST(GenerateBadInput, UnsupportedArchitectureNamesTheKey) {
  TempDir dir;
  const std::string path = dir / "gpt2.gguf";
  ASSERT_NO_FATAL_FAILURE(ss::testing::RewriteModel(ModelPath(kQ8 + ".gguf"), path,
                                                    {{"general.architecture", gguf::Value::String("gpt2")}}));
  ExpectRefused(Generate("-m " + Quote(path) + " -p Hello -n 2 -t 1"),
                path + ": 'general.architecture' is 'gpt2'; only 'llama' models are supported");
}

TEST(GenerateBadInput, PromptLongerThanTheContext) {
  const std::string model = Quote(ModelPath(kQ8 + ".gguf"));
  const size_t n_long = Reference(kQ8, "p4-long")["prompt_tokens"].size();  // 204
  ExpectRefused(Generate("-m " + model + " " + PromptArg(PromptFile("p4-long")) + " -c 16 -n 2 -t 1"),
                "the prompt has " + std::to_string(n_long) + " tokens but the context holds 16");

  // Over the model's own 512 positions; -c cannot raise that and says so.
  TempDir dir;
  const std::string text = ss::testing::ReadFile(PromptFile("p4-long"));
  std::ofstream(dir / "long.txt") << text << ' ' << text << ' ' << text;
  GenResult r = Generate("-m " + model + " " + PromptArg(dir / "long.txt") + " -n 2 -t 1");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.err, m,
                                std::regex("error: the prompt has ([0-9]+) tokens but the "
                                           "context holds 512; shorten it \\(512 is the model's maximum\\)")))
      << r.err;
  EXPECT_GT(std::stoi(m[1]), 3 * static_cast<int>(n_long) - 10);
  ExpectRefused(Generate("-m " + model + " " + PromptArg(dir / "long.txt") + " -c 4096 -n 2 -t 1"),
                "a context of 4096 tokens is beyond the model's maximum of 512; use -c 512 or less");
}

TEST(GenerateBadInput, EmptyAndInvalidUtf8Prompts) {
  const std::string model = "-m " + Quote(ModelPath(kQ8 + ".gguf")) + " -n 2 -t 1 ";
  ExpectRefused(Generate(model + "-p ''"), "the prompt is empty");
  // Bytes produced by the shell's printf (octal escapes work in every sh).
  ExpectRefused(Generate(model + "-p \"$(printf '\\377\\376')\""), "the prompt: invalid UTF-8 at byte 0");
  ExpectRefused(Generate(model + "-p \"$(printf 'ab\\377\\376')\""), "the prompt: invalid UTF-8 at byte 2");
  ExpectRefused(Generate(model + "-p \"$(printf 'caf\\303')\""), "the prompt: invalid UTF-8 at byte 3");
  ExpectRefused(Generate(model + "-p \"$(printf 'x\\355\\240\\200y')\""),  // a UTF-16 surrogate
                "the prompt: invalid UTF-8 at byte 1");
  // The same with the BPE vocabulary and through the chat template.
  ExpectRefused(Generate("-m " + Quote(ModelPath("tiny-bpe-f16.gguf")) +
                         " -n 2 -t 1 --chat -p \"$(printf "
                         "'ok \\300\\200')\""),
                "the prompt: invalid UTF-8 at byte");
}

TEST(GenerateBadInput, BadFlagsAndMissingFiles) {
  const std::string model = "-m " + Quote(ModelPath(kQ8 + ".gguf")) + " -p Hello -t 1 ";
  ExpectRefused(Generate(model + "--kv-type q8_0"), "--kv-type must be f16 or f32, not 'q8_0'");
  ExpectRefused(Generate(model + "-n -3"), "-n must be at least 0");
  ExpectRefused(Generate("-m /nonexistent/model.gguf -p Hello -t 1"),
                "/nonexistent/model.gguf: No such file or directory");

  TempDir dir;
  ExpectRefused(Generate("-m " + Quote(dir.path()) + " -p Hello -t 1"),
                dir.path() + " holds no shard-{i}.gguf files");
  const std::string shards = dir / "shards";
  auto split = RunShardswarm("shard split " + Quote(ModelPath(kQ8 + ".gguf")) + " -n 4 -o " + Quote(shards));
  ASSERT_EQ(split.exit_code, 0) << split.output;
  fs::remove(shards + "/shard-1.gguf");
  ExpectRefused(Generate("-m " + Quote(shards) + " -p Hello -n 2 -t 1"),
                shards + ": shard-1.gguf is missing");
  fs::remove(shards + "/shard-3.gguf");
  fs::rename(shards + "/shard-2.gguf", shards + "/shard-1.gguf");
  ExpectRefused(Generate("-m " + Quote(shards) + " -p Hello -n 2 -t 1"),
                shards + "/shard-1.gguf starts at layer 4, expected 2");
}

// Shards of two models (or two splits) in one directory never run together:
// before this check they ran into gibberish or a segmentation fault.
const char kMixed[] = ": the directory mixes shards of two models; re-split into an empty directory";

std::string Split(const TempDir& dir, const std::string& model, int n) {
  const std::string out = dir / (model + "-" + std::to_string(n));
  auto split = RunShardswarm("shard split " + Quote(ModelPath(model + ".gguf")) + " -n " + std::to_string(n) +
                             " -o " + Quote(out));
  EXPECT_EQ(split.exit_code, 0) << split.output;
  return out;
}

std::string ModelIdOf(const std::string& shard) {
  auto f = gguf::File::Open(shard);
  EXPECT_TRUE(f.ok()) << f.status().message();
  auto keys = gguf::ReadShardKeys(**f);
  EXPECT_TRUE(keys.ok() && keys->has_value()) << shard;
  return keys.ok() && keys->has_value() ? (**keys).model_id : "";
}

TEST(GenerateBadInput, ShardOfAnotherQuantizationIsRefused) {
  TempDir dir;
  const std::string q8 = Split(dir, kQ8, 4), q4 = Split(dir, "tiny-spm-q4_0", 4);
  ss::testing::CopyFile(q4 + "/shard-2.gguf", q8 + "/shard-2.gguf");
  ExpectRefused(Generate("-m " + Quote(q8) + " -p Hello -n 2 -t 1"),
                q8 + "/shard-2.gguf belongs to model " + ModelIdOf(q4 + "/shard-0.gguf").substr(0, 12) +
                    "…, not " + ModelIdOf(q8 + "/shard-0.gguf").substr(0, 12) + "… like shard-0.gguf" +
                    kMixed);
}

TEST(GenerateBadInput, ShardOfAnotherModelIsRefused) {
  TempDir dir;
  // The BPE model's first half ends at layer 2, where the SPM shard-1 starts:
  // the layer ranges alone look consecutive.
  const std::string spm = Split(dir, kQ8, 4), bpe = Split(dir, "tiny-bpe-f16", 2);
  ss::testing::CopyFile(bpe + "/shard-0.gguf", spm + "/shard-0.gguf");
  ExpectRefused(Generate("-m " + Quote(spm) + " -p Hello -n 2 -t 1"),
                spm + "/shard-1.gguf belongs to model " + ModelIdOf(spm + "/shard-1.gguf").substr(0, 12) +
                    "…, not " + ModelIdOf(bpe + "/shard-0.gguf").substr(0, 12) + "… like shard-0.gguf" +
                    kMixed);

  // Without the model ids to tell them apart, the hyper-parameters do.
  ss::testing::RewriteModel(spm + "/shard-1.gguf", dir / "forged.gguf",
                            {{gguf::kKeyModelId, gguf::Value::String(ModelIdOf(bpe + "/shard-0.gguf"))}});
  fs::rename(dir / "forged.gguf", spm + "/shard-1.gguf");
  GenResult r = Generate("-m " + Quote(spm) + " -p Hello -n 2 -t 1");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(std::regex_search(r.err, std::regex("error: " + spm +
                                                  "/shard-1.gguf has n_embd [0-9]+, not [0-9]+ like "
                                                  "shard-0.gguf: the directory mixes shards")))
      << r.err;
}

TEST(GenerateBadInput, ShardsOfTwoSplitsAreRefused) {
  TempDir dir;
  // Layers 0-3 from a split in two, 4-5 and 6-7 from a split in four: the
  // ranges join up, the shard ids and counts do not.
  const std::string two = Split(dir, kQ8, 2), four = Split(dir, kQ8, 4);
  ss::testing::CopyFile(four + "/shard-2.gguf", two + "/shard-1.gguf");
  ss::testing::CopyFile(four + "/shard-3.gguf", two + "/shard-2.gguf");
  ExpectRefused(Generate("-m " + Quote(two) + " -p Hello -n 2 -t 1"),
                two + "/shard-1.gguf says it is shard 2; was it renamed?");
  fs::remove(four + "/shard-3.gguf");
  ExpectRefused(Generate("-m " + Quote(four) + " -p Hello -n 2 -t 1"),
                four + "/shard-0.gguf is one of 4 shards but the directory holds 3; shard-3.gguf is missing");
}

// ------------------------------------------------------- reference outputs

// Greedy token ids agree with llama.cpp's for steps whose recorded margin
// (top-1 minus top-2 logit) is at least 1, with either KV cache type.
TEST(GenerateReference, JsonPromptAndGreedyTokens) {
  struct Case {
    std::string model, prompt, kv;
  };
  for (const Case& c : {Case{kQ8, "p1-hello", "kvf16"}, Case{"tiny-spm-q4_0", "p3-once", "kvf16"},
                        Case{"tiny-spm-q4_0", "p2-capital", "kvf32"}}) {
    SCOPED_TRACE(c.model + " " + c.prompt + " " + c.kv);
    const json ref = Reference(c.model, c.prompt, c.kv);
    const int n = 8;
    for (int i = 0; i < n; ++i) ASSERT_GE(ref["greedy_margins"][i].get<double>(), 1.0) << "step " << i;
    GenResult r =
        Generate("-m " + Quote(ModelPath(c.model + ".gguf")) + " " + PromptArg(PromptFile(c.prompt)) +
                 " --json --temp 0 -n 8 -t 1 --kv-type " + c.kv.substr(2));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json out = json::parse(r.out);
    EXPECT_EQ(out["prompt_tokens"], ref["prompt_tokens"]);
    ASSERT_EQ(out["tokens"].size(), 8u);
    std::vector<int> ids, want;
    for (const json& t : out["tokens"]) ids.push_back(t["id"].get<int>());
    for (int i = 0; i < n; ++i) want.push_back(ref["greedy_tokens"][i].get<int>());
    EXPECT_EQ(ids, want);
    // Each token's top logit is itself.
    for (const json& t : out["tokens"]) EXPECT_EQ(t["top_logits"][0][0], t["id"]);
    EXPECT_EQ(out["tokens"][0]["text"], Unhex(ref["greedy_pieces_hex"][0].get<std::string>()));
  }
}

// --logits-out: the last prompt position's logits within the golden
// tolerance (F16 weights: max |Δ| ≤ 0.06; quantized: RMS ≤ 0.2).
TEST(GenerateReference, LogitsOutMatchesTheReference) {
  TempDir dir;
  for (const char* file : ss::testing::kModels) {
    const std::string model = fs::path(file).stem().string();
    const bool f16 = model == "tiny-bpe-f16";
    for (const std::string& kv : {std::string("kvf16"), std::string("kvf32")}) {
      SCOPED_TRACE(model + " " + kv);
      const std::string path = dir / (model + kv + ".f32");
      GenResult r =
          Generate("-m " + Quote(ModelPath(file)) + " " + PromptArg(PromptFile("p2-capital")) +
                   " --temp 0 -n 1 -t 1 --kv-type " + kv.substr(2) + " --logits-out " + Quote(path));
      ASSERT_EQ(r.exit_code, 0) << r.err;
      const std::string got = ss::testing::ReadFile(path);
      const std::string want = ss::testing::ReadFile(TestdataDir() + "/reference/" + model + "/p2-capital." +
                                                     kv + ".last_logits.f32");
      const json ref = Reference(model, "p2-capital", kv);
      ASSERT_EQ(got.size(), ref["n_vocab"].get<size_t>() * sizeof(float));
      ASSERT_EQ(got.size(), want.size());
      std::vector<float> a(got.size() / 4), b(want.size() / 4);
      std::memcpy(a.data(), got.data(), got.size());
      std::memcpy(b.data(), want.data(), want.size());
      double max = 0, sq = 0;
      for (size_t i = 0; i < a.size(); ++i) {
        ASSERT_TRUE(std::isfinite(a[i])) << i;
        const double d = std::fabs(static_cast<double>(a[i]) - b[i]);
        max = std::max(max, d);
        sq += d * d;
      }
      const double rms = std::sqrt(sq / static_cast<double>(a.size()));
      if (f16)
        EXPECT_LE(max, 0.06) << "rms " << rms;
      else
        EXPECT_LE(rms, 0.2) << "max " << max;
    }
  }
}

// Plain greedy output is the reference's bytes: the first 13 steps of this
// case all have margins ≥ 1 (no case has all 32), so compare that prefix.
TEST(GenerateReference, GreedyTextIsTheReferenceBytes) {
  const std::string model = "tiny-spm-q4_0";
  const json ref = Reference(model, "p3-once");
  const int n = 13;
  std::string want;
  for (int i = 0; i < n; ++i) {
    ASSERT_GE(ref["greedy_margins"][i].get<double>(), 1.0) << "step " << i;
    want += Unhex(ref["greedy_pieces_hex"][i].get<std::string>());
  }
  ASSERT_EQ(Unhex(ref["greedy_text_hex"].get<std::string>()).substr(0, want.size()), want);
  ASSERT_TRUE(Contains(want, "\xd1\x89")) << "the prefix includes multi-byte characters";
  GenResult r = Generate("-m " + Quote(ModelPath(model + ".gguf")) + " " + PromptArg(PromptFile("p3-once")) +
                         " --temp 0 -n " + std::to_string(n) + " -t 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, want + "\n");
  EXPECT_TRUE(Contains(r.err, "[generate] prompt: 15 tokens")) << r.err;
}

// --stop: the text before the first occurrence of any stop string, even one
// that spans tokens; the tokens generated end with the one completing it.
TEST(GenerateReference, StopStringsEndTheText) {
  const std::string model = "tiny-spm-q4_0";
  const json ref = Reference(model, "p3-once");
  const int n = 13;  // the steps whose margins are all >= 1 (as above)
  std::string want;
  std::vector<std::string> pieces;
  for (int i = 0; i < n; ++i) pieces.push_back(Unhex(ref["greedy_pieces_hex"][i].get<std::string>()));
  for (const std::string& p : pieces) want += p;
  const std::string base = "-m " + Quote(ModelPath(model + ".gguf")) + " " +
                           PromptArg(PromptFile("p3-once")) + " --temp 0 -n " + std::to_string(n) + " -t 1 ";
  // A stop string across the last bytes of one token and the first of the next.
  const std::string& a = pieces[5];
  const std::string across = a.substr(a.size() - 3) + pieces[6].substr(0, 3);
  const size_t at = want.find(across);
  ASSERT_NE(at, std::string::npos);
  ASSERT_GT(at, 0u);
  GenResult r = Generate(base + "--stop " + Quote(across));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, want.substr(0, at) + "\n");

  // Of several stop strings the earliest in the text wins, whatever their order.
  const std::string early = pieces[1].substr(pieces[1].size() - 4) + pieces[2], late = pieces[8];
  const size_t early_at = want.find(early);
  ASSERT_LT(early_at, want.find(late));
  for (const std::string& flags : {"--stop " + Quote(late) + " --stop " + Quote(early),
                                   "--stop " + Quote(early) + " --stop " + Quote(late)}) {
    GenResult both = Generate(base + flags);
    ASSERT_EQ(both.exit_code, 0) << both.err;
    EXPECT_EQ(both.out, want.substr(0, early_at) + "\n") << flags;
  }
  // With --json, the tokens stop at the one that completed the stop string.
  GenResult j = Generate(base + "--json --stop " + Quote(early));
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_EQ(json::parse(j.out)["tokens"].size(), 3u);

  // A stop string that never occurs changes nothing.
  GenResult none = Generate(base + "--stop 'no such text'");
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out, want + "\n");
}

// The stages of a shards directory chained in one process compute exactly
// what the whole file does: same bytes out, greedy and sampled.
TEST(GenerateReference, ShardsDirectoryMatchesTheWholeModel) {
  TempDir dir;
  const std::string model = ModelPath("tiny-spm-q4_k_m.gguf"), shards = dir / "shards";
  auto split = RunShardswarm("shard split " + Quote(model) + " -n 4 -o " + Quote(shards));
  ASSERT_EQ(split.exit_code, 0) << split.output;
  for (const char* flags_c : {"--temp 0 -n 12", "--temp 0.8 --seed 11 -n 12", "--json --temp 0 -n 4"}) {
    const std::string flags = flags_c;
    SCOPED_TRACE(flags);
    const std::string args = PromptArg(PromptFile("p3-once")) + " -t 1 " + flags;
    GenResult whole = Generate("-m " + Quote(model) + " " + args),
              split_run = Generate("-m " + Quote(shards) + " " + args);
    ASSERT_EQ(whole.exit_code, 0) << whole.err;
    ASSERT_EQ(split_run.exit_code, 0) << split_run.err;
    if (flags.rfind("--json", 0) == 0) {  // timings differ; everything else must not
      json a = json::parse(whole.out), b = json::parse(split_run.out);
      EXPECT_EQ(a["prompt_tokens"], b["prompt_tokens"]);
      EXPECT_EQ(a["tokens"], b["tokens"]);
    } else {
      EXPECT_FALSE(whole.out.empty());
      EXPECT_EQ(whole.out, split_run.out);
    }
  }
}

TEST(GenerateReference, SeedMakesSamplingRepeatable) {
  const std::string base =
      "-m " + Quote(ModelPath(kQ8 + ".gguf")) + " -p 'Once upon a time' -t 1 -n 24 --temp 0.8 ";
  GenResult a = Generate(base + "--seed 42"), b = Generate(base + "--seed 42");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_TRUE(Contains(a.err, "(seed 42)")) << a.err;
  std::set<std::string> outputs;
  for (int seed = 1; seed <= 4; ++seed) {
    GenResult r = Generate(base + "--seed " + std::to_string(seed));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    outputs.insert(r.out);
  }
  EXPECT_GE(outputs.size(), 2u) << "four seeds sampled the same 24 tokens";
  // Greedy decoding ignores the seed.
  const std::string greedy =
      "-m " + Quote(ModelPath(kQ8 + ".gguf")) + " -p 'Once upon a time' -t 1 -n 24 --temp 0 ";
  EXPECT_EQ(Generate(greedy + "--seed 1").out, Generate(greedy + "--seed 2").out);
}

}  // namespace
}  // namespace ss
