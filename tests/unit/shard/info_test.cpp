#include "shard/info.h"

#include <gtest/gtest.h>

#include "gguf/shard_keys.h"
#include "gguf/writer.h"
#include "testing.h"
#include "util/file_io.h"

namespace ss::shard {
namespace {

using gguf::KeyValue;
using gguf::Value;

Result<std::string> DescribeWith(const std::vector<KeyValue>& kvs) {
  ss::testing::TempDir dir;
  gguf::Writer w;
  for (const KeyValue& kv : kvs) w.SetMetadata(kv.key, kv.value);
  auto out = ss::OutputFile::Create(dir / "t.gguf");
  EXPECT_TRUE(w.Begin(out->get()).ok());
  EXPECT_TRUE(w.Finish().ok());
  EXPECT_TRUE((*out)->Commit().ok());
  auto f = gguf::File::Open(dir / "t.gguf");
  EXPECT_TRUE(f.ok()) << f.status().message();
  return DescribeFile(**f);
}

bool Contains(const std::string& s, const std::string& f) { return s.find(f) != std::string::npos; }

TEST(ShardInfo, ShowsTheShardKeysOfAShard) {
  auto r = DescribeWith({{gguf::kKeyShardId, Value::U32(1)},
                         {gguf::kKeyShardCount, Value::U32(2)},
                         {gguf::kKeyLayerStart, Value::U32(4)},
                         {gguf::kKeyLayerEnd, Value::U32(8)},
                         {gguf::kKeyModelId, Value::String("abc")}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(Contains(*r, "shard: 1 of 2, layers [4, 8), model id abc\n")) << *r;
  EXPECT_TRUE(Contains(*r, "metadata (5 keys):")) << *r;
  EXPECT_TRUE(Contains(*r, "tensors (0, 0 B):")) << *r;
}

TEST(ShardInfo, AWholeModelHasNoShardLine) {
  auto r = DescribeWith({{"general.name", Value::String("m")}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->starts_with("file: ")) << *r;
  EXPECT_FALSE(Contains(*r, "shard:")) << *r;
}

// Regression (issue 12): `shard info` dereferenced the missing keys of a file
// that has shardswarm.shard.id and nothing else.
TEST(ShardInfo, AShardIdWithoutTheOtherKeysIsAnErrorNamingTheMissingKey) {
  auto r = DescribeWith({{gguf::kKeyShardId, Value::U32(0)}});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "metadata key 'shardswarm.shard.count' is missing"))
      << r.status().message();
  r = DescribeWith({{gguf::kKeyShardId, Value::U32(0)},
                    {gguf::kKeyShardCount, Value::U32(2)},
                    {gguf::kKeyLayerStart, Value::U32(0)},
                    {gguf::kKeyLayerEnd, Value::U32(1)}});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "metadata key 'shardswarm.model.id' is missing"))
      << r.status().message();
}

TEST(ShardInfo, MistypedOrOutOfRangeKeysAreErrors) {
  auto r = DescribeWith({{gguf::kKeyShardId, Value::U32(0)},
                         {gguf::kKeyShardCount, Value::String("two")},
                         {gguf::kKeyLayerStart, Value::U32(0)},
                         {gguf::kKeyLayerEnd, Value::U32(1)},
                         {gguf::kKeyModelId, Value::String("m")}});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "'shardswarm.shard.count' is not an integer"))
      << r.status().message();
  // A count beyond any int: refused, not truncated to one.
  r = DescribeWith({{gguf::kKeyShardId, Value::U32(0)},
                    {gguf::kKeyShardCount, Value::U64((uint64_t{1} << 32) + 1)},
                    {gguf::kKeyLayerStart, Value::U32(0)},
                    {gguf::kKeyLayerEnd, Value::U32(1)},
                    {gguf::kKeyModelId, Value::String("m")}});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), "shard keys are inconsistent")) << r.status().message();
}

}  // namespace
}  // namespace ss::shard
