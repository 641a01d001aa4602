// Splitting the reference models and checking shard directories.
#include "shard/split.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "gguf/reader.h"
#include "shard/validate.h"
#include "testing.h"

namespace ss::shard {
namespace {

namespace fs = std::filesystem;
using ss::testing::ModelPath;
using ss::testing::TempDir;

Manifest SplitInto(const std::string& model, const std::string& dir, int n, const std::string& layers = "",
                   bool force = false) {
  SplitOptions opt;
  opt.model_path = ModelPath(model);
  opt.out_dir = dir;
  opt.shards = n;
  opt.layers = layers;
  opt.force = force;
  auto m = Split(opt);
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? *m : Manifest{};
}

std::string Problems(const ValidationReport& r) {
  std::string s;
  for (const std::string& p : r.problems) s += p + "\n";
  return s;
}

bool HasProblem(const ValidationReport& r, const std::string& fragment) {
  return Problems(r).find(fragment) != std::string::npos;
}

// Every source tensor lands in exactly the shards that need it, byte for byte,
// and each shard carries all source metadata plus its shardswarm keys.
void ExpectFaithfulSplit(const std::string& model, const std::string& dir, int n) {
  auto src = gguf::File::Open(ModelPath(model));
  ASSERT_TRUE(src.ok());
  std::vector<std::unique_ptr<gguf::File>> shards;
  for (int i = 0; i < n; ++i) {
    auto f = gguf::File::Open(dir + "/" + ShardFileName(i));
    ASSERT_TRUE(f.ok()) << f.status().message();
    shards.push_back(std::move(f.value()));
  }
  bool tied = (*src)->FindTensor("output.weight") == nullptr;
  for (const gguf::TensorInfo& t : (*src)->tensors()) {
    int copies = 0;
    for (int i = 0; i < n; ++i) {
      const gguf::TensorInfo* s = shards[i]->FindTensor(t.name);
      if (!s) continue;
      ++copies;
      EXPECT_EQ(s->dims, t.dims);
      EXPECT_EQ(s->type, t.type);
      ASSERT_EQ(s->size, t.size);
      EXPECT_EQ(0, std::memcmp(s->data, t.data, t.size)) << t.name << " differs in shard " << i;
    }
    int expected = (t.name == "token_embd.weight" && tied && n > 1) ? 2 : 1;
    EXPECT_EQ(copies, expected) << t.name;
  }
  for (int i = 0; i < n; ++i) {
    const auto& md = shards[i]->metadata();
    ASSERT_EQ(md.size(), (*src)->metadata().size() + 5);
    for (size_t k = 0; k < (*src)->metadata().size(); ++k) EXPECT_EQ(md[k], (*src)->metadata()[k]);
    EXPECT_EQ(*shards[i]->GetInt(kKeyShardId), i);
    EXPECT_EQ(*shards[i]->GetInt(kKeyShardCount), n);
  }
  EXPECT_EQ(*shards.front()->GetInt(kKeyLayerStart), 0);
  EXPECT_EQ(*shards.back()->GetInt(kKeyLayerEnd), *gguf::LayerCount(**src));
}

TEST(Split, RoundTripsEveryReferenceModel) {
  for (const char* model : ss::testing::kModels) {
    for (int n : {1, 2, 3, 4, 8}) {
      auto src = gguf::File::Open(ModelPath(model));
      if (n > *gguf::LayerCount(**src)) continue;  // the 4-layer model cannot make 8 shards
      SCOPED_TRACE(std::string(model) + " into " + std::to_string(n));
      TempDir dir;
      Manifest m = SplitInto(model, dir.path(), n);
      ASSERT_EQ(m.shards.size(), static_cast<size_t>(n));
      ExpectFaithfulSplit(model, dir.path(), n);
      ValidationReport r = ValidateShards(dir.path(), n);
      EXPECT_TRUE(r.ok()) << Problems(r);
      for (const auto& e : fs::directory_iterator(dir.path()))
        EXPECT_EQ(e.path().extension(), e.path().filename() == "manifest.json" ? ".json" : ".gguf");
    }
  }
}

TEST(Split, FourLayerModelRefusesEightShards) {
  TempDir dir;
  SplitOptions opt{ModelPath("tiny-bpe-f16.gguf"), dir.path(), 8};
  auto m = Split(opt);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("cannot split 4 layers into 8 shards"), std::string::npos);
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(Split, RefusesToSplitAShard) {
  TempDir dir;
  SplitInto("tiny-spm-q8_0.gguf", dir.path(), 2);
  SplitOptions opt{dir / "shard-0.gguf", dir / "again", 2};
  auto m = Split(opt);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("already a shard"), std::string::npos);
}

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

bool Contains(const std::string& s, const std::string& f) { return s.find(f) != std::string::npos; }

// Shards of two splits side by side would be read as one model: a second
// split into the same directory is refused and leaves the first one intact.
TEST(Split, RefusesADirectoryHoldingAnotherSplit) {
  TempDir dir;
  SplitInto("tiny-spm-q8_0.gguf", dir.path(), 4);
  const std::vector<std::string> before = Names(dir.path());
  SplitOptions opt{ModelPath("tiny-spm-q8_0.gguf"), dir.path(), 2};
  auto m = Split(opt);
  ASSERT_FALSE(m.ok());
  const std::string& msg = m.status().message();
  EXPECT_TRUE(Contains(msg, dir.path() + " already holds a split (manifest.json, shard-0.gguf, shard-1.gguf"))
      << msg;
  EXPECT_TRUE(Contains(msg, "pass --force to replace it")) << msg;
  EXPECT_EQ(Names(dir.path()), before);
  EXPECT_TRUE(ValidateShards(dir.path(), 4).ok());

  // A lone shard file (no manifest) is a split too.
  TempDir lone;
  ss::testing::CopyFile(dir / "shard-2.gguf", lone / "shard-2.gguf");
  opt.out_dir = lone.path();
  m = Split(opt);
  ASSERT_FALSE(m.ok());
  EXPECT_TRUE(Contains(m.status().message(), lone.path() + " already holds a split (shard-2.gguf)"))
      << m.status().message();
}

TEST(Split, ForceReplacesAFourWaySplitByATwoWaySplit) {
  TempDir dir;
  SplitInto("tiny-spm-q8_0.gguf", dir.path(), 4);
  std::ofstream(dir / "shard-3.gguf.torrent") << "d4:infod...ee";  // as `shard publish` leaves them
  std::ofstream(dir / "notes.txt") << "not ours";
  ::testing::internal::CaptureStderr();
  Manifest m = SplitInto("tiny-spm-q8_0.gguf", dir.path(), 2, "", /*force=*/true);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(Contains(log, "--force: replaced the earlier split in " + dir.path() +
                                ": manifest.json, shard-0.gguf, shard-1.gguf, shard-2.gguf, shard-3.gguf, "
                                "shard-3.gguf.torrent"))
      << log;
  EXPECT_EQ(m.shards.size(), 2u);
  EXPECT_EQ(Names(dir.path()),
            (std::vector<std::string>{"manifest.json", "notes.txt", "shard-0.gguf", "shard-1.gguf"}));
  ExpectFaithfulSplit("tiny-spm-q8_0.gguf", dir.path(), 2);
  ValidationReport r = ValidateShards(dir.path(), 2);
  EXPECT_TRUE(r.ok()) << Problems(r);
}

// An interrupted split leaves .part files; the next split removes them and says so.
TEST(Split, RemovesPartFilesOfAnInterruptedSplit) {
  TempDir dir;
  for (const char* f : {"shard-0.gguf.part", "shard-7.gguf.part", "manifest.json.part", "mine.part"})
    std::ofstream(dir / f) << "half written";
  ::testing::internal::CaptureStderr();
  Manifest m = SplitInto("tiny-spm-q8_0.gguf", dir.path(), 2);
  const std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(m.shards.size(), 2u);
  EXPECT_TRUE(Contains(log, "[SHARD] removed 3 .part file(s) an interrupted split left in " + dir.path() +
                                ": manifest.json.part, shard-0.gguf.part, shard-7.gguf.part"))
      << log;
  EXPECT_EQ(Names(dir.path()),
            (std::vector<std::string>{"manifest.json", "mine.part", "shard-0.gguf", "shard-1.gguf"}));
  ValidationReport r = ValidateShards(dir.path(), 2);
  EXPECT_TRUE(r.ok()) << Problems(r);
}

TEST(Validate, ReportsAMissingShard) {
  TempDir dir;
  SplitInto("tiny-spm-q8_0.gguf", dir.path(), 4);
  fs::remove(dir / "shard-2.gguf");
  ValidationReport r = ValidateShards(dir.path(), 4);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(HasProblem(r, "shard-2.gguf is missing")) << Problems(r);
  EXPECT_TRUE(HasProblem(r, "layers 4-5")) << Problems(r);
}

TEST(Validate, ReportsAShardOfAnotherModel) {
  TempDir a, b;
  SplitInto("tiny-spm-q8_0.gguf", a.path(), 2);
  SplitInto("tiny-spm-q4_0.gguf", b.path(), 2);
  ss::testing::CopyFile(b / "shard-1.gguf", a / "shard-1.gguf");
  ValidationReport r = ValidateShards(a.path(), 2);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(HasProblem(r, "shard-1.gguf belongs to model")) << Problems(r);
  EXPECT_TRUE(HasProblem(r, "different model file")) << Problems(r);
}

TEST(Validate, ReportsOverlappingRanges) {
  TempDir a, b;
  SplitInto("tiny-spm-q8_0.gguf", a.path(), 2, "0-3,4-7");
  SplitInto("tiny-spm-q8_0.gguf", b.path(), 2, "0-4,5-7");
  ss::testing::CopyFile(b / "shard-0.gguf", a / "shard-0.gguf");
  ValidationReport r = ValidateShards(a.path(), 2);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(HasProblem(r, "shard-0.gguf (layers 0-4) and shard-1.gguf (layers 4-7) overlap at layer 4"))
      << Problems(r);
}

TEST(Validate, ReportsAGap) {
  TempDir a, b;
  SplitInto("tiny-spm-q8_0.gguf", a.path(), 2, "0-4,5-7");
  SplitInto("tiny-spm-q8_0.gguf", b.path(), 2, "0-3,4-7");
  ss::testing::CopyFile(b / "shard-0.gguf", a / "shard-0.gguf");
  ValidationReport r = ValidateShards(a.path(), 2);
  EXPECT_TRUE(HasProblem(r, "no shard holds layers 4-4")) << Problems(r);
}

TEST(Validate, ReportsATruncatedFile) {
  TempDir dir;
  SplitInto("tiny-spm-q8_0.gguf", dir.path(), 4);
  ss::testing::Truncate(dir / "shard-1.gguf", ss::testing::FileSize(dir / "shard-1.gguf") - 1000);
  ValidationReport r = ValidateShards(dir.path(), 4);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(HasProblem(r, "shard-1.gguf cannot be read")) << Problems(r);
  EXPECT_TRUE(HasProblem(r, "outside the file")) << Problems(r);
  EXPECT_TRUE(HasProblem(r, "but manifest.json says")) << Problems(r);
}

TEST(Validate, ReportsOneFlippedByte) {
  TempDir dir;
  SplitInto("tiny-spm-q8_0.gguf", dir.path(), 4);
  uint64_t size = ss::testing::FileSize(dir / "shard-3.gguf");
  ss::testing::FlipByte(dir / "shard-3.gguf", size - 5000);  // inside tensor data: parses fine
  ValidationReport r = ValidateShards(dir.path(), 4);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(HasProblem(r, "shard-3.gguf does not match manifest.json: its SHA-256")) << Problems(r);
  EXPECT_EQ(r.problems.size(), 1u) << Problems(r);
}

TEST(Validate, ReportsWrongShardCountAndMissingManifest) {
  TempDir dir;
  SplitInto("tiny-spm-q8_0.gguf", dir.path(), 2);
  ValidationReport r = ValidateShards(dir.path(), 4);
  EXPECT_TRUE(HasProblem(r, "manifest.json lists 2 shards, not the 4 expected")) << Problems(r);
  EXPECT_TRUE(HasProblem(r, "is one of 2 shards, but 4 are expected")) << Problems(r);
  fs::remove(dir / "manifest.json");
  r = ValidateShards(dir.path(), 2);
  EXPECT_TRUE(HasProblem(r, "manifest.json is missing")) << Problems(r);
}

}  // namespace
}  // namespace ss::shard
