#include "gguf/shard_keys.h"

#include <gtest/gtest.h>

#include "gguf/writer.h"
#include "testing.h"

namespace ss::gguf {
namespace {

std::unique_ptr<File> WriteWith(const ss::testing::TempDir& dir, const std::vector<KeyValue>& kvs) {
  Writer w;
  for (const KeyValue& kv : kvs) w.SetMetadata(kv.key, kv.value);
  auto out = OutputFile::Create(dir / "t.gguf");
  EXPECT_TRUE(w.Begin(out->get()).ok());
  EXPECT_TRUE(w.Finish().ok());
  EXPECT_TRUE((*out)->Commit().ok());
  auto f = File::Open(dir / "t.gguf");
  EXPECT_TRUE(f.ok()) << f.status().message();
  return std::move(f.value());
}

TEST(ShardKeys, WholeModelHasNoneShardHasAll) {
  ss::testing::TempDir dir;
  auto whole = ReadShardKeys(*WriteWith(dir, {{"general.name", Value::String("m")}}));
  ASSERT_TRUE(whole.ok());
  EXPECT_FALSE(whole->has_value());
  auto shard = ReadShardKeys(*WriteWith(dir, {{kKeyShardId, Value::U32(1)},
                                              {kKeyShardCount, Value::U32(2)},
                                              {kKeyLayerStart, Value::U32(4)},
                                              {kKeyLayerEnd, Value::U32(8)},
                                              {kKeyModelId, Value::String("abc")}}));
  ASSERT_TRUE(shard.ok()) << shard.status().message();
  ASSERT_TRUE(shard->has_value());
  EXPECT_EQ((**shard).layer_start, 4);
  EXPECT_EQ((**shard).model_id, "abc");
}

TEST(ShardKeys, PartialOrInconsistentKeysAreErrorsNamingThem) {
  ss::testing::TempDir dir;
  auto partial = ReadShardKeys(*WriteWith(dir, {{kKeyShardId, Value::U32(1)}}));
  ASSERT_FALSE(partial.ok());
  EXPECT_NE(partial.status().message().find("shardswarm.shard.count"), std::string::npos);
  auto typed = ReadShardKeys(*WriteWith(dir, {{kKeyShardId, Value::String("one")},
                                              {kKeyShardCount, Value::U32(2)},
                                              {kKeyLayerStart, Value::U32(0)},
                                              {kKeyLayerEnd, Value::U32(1)},
                                              {kKeyModelId, Value::String("m")}}));
  ASSERT_FALSE(typed.ok());
  EXPECT_NE(typed.status().message().find("'shardswarm.shard.id' is not an integer"), std::string::npos);
  auto backwards = ReadShardKeys(*WriteWith(dir, {{kKeyShardId, Value::U32(3)},
                                                  {kKeyShardCount, Value::U32(2)},
                                                  {kKeyLayerStart, Value::U32(0)},
                                                  {kKeyLayerEnd, Value::U32(1)},
                                                  {kKeyModelId, Value::String("m")}}));
  ASSERT_FALSE(backwards.ok());
  EXPECT_NE(backwards.status().message().find("inconsistent"), std::string::npos);
}

TEST(ShardKeys, ShardFileNamesParseBack) {
  EXPECT_EQ(ShardFileName(3), "shard-3.gguf");
  for (int id : {0, 7, 12, 999}) EXPECT_EQ(ParseShardFileName(ShardFileName(id)), id);
  for (const char* other :
       {"shard-.gguf", "shard-x.gguf", "shard-03.gguf", "shard--1.gguf", "shard-1.gguf.tmp", "shard-1.ggu",
        "xshard-1.gguf", "shard-1a.gguf", "shard-9999999.gguf", "manifest.json"})
    EXPECT_EQ(ParseShardFileName(other), std::nullopt) << other;
}

}  // namespace
}  // namespace ss::gguf
