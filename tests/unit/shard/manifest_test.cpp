// manifest.json, which nodes now also take from the DHT (a seeder's signed
// manifest): it round-trips with the info-hashes, and bad values are refused
// with a message, never a crash or undefined behaviour.
#include "shard/manifest.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ss::shard {
namespace {

Manifest Valid() {
  Manifest m;
  m.model_id = "m";
  m.layer_count = 8;
  m.shards.push_back({0, "shard-0.gguf", {0, 8}, 10, "aa", "01", "02"});
  return m;
}

TEST(Manifest, RoundTripsWithInfoHashes) {
  auto back = Manifest::FromJson(Valid().ToJson());
  ASSERT_TRUE(back.ok()) << back.status().message();
  ASSERT_EQ(back->shards.size(), 1u);
  EXPECT_EQ(back->shards[0].info_hash_v1, "01");
  EXPECT_EQ(back->shards[0].info_hash_v2, "02");
  Manifest split = Valid();  // as `shard split` writes it: no info-hashes, no fields for them
  split.shards[0].info_hash_v1 = split.shards[0].info_hash_v2 = "";
  EXPECT_EQ(split.ToJson().find("info_hash"), std::string::npos);
}

TEST(Manifest, NumbersThatAreNotIntegersInRangeAreRefused) {
  for (const char* field : {"id", "layer_start", "layer_end", "size"}) {
    auto j = nlohmann::json::parse(Valid().ToJson());
    j["shards"][0][field] = 4.88889e+40;
    auto m = Manifest::FromJson(j.dump());
    ASSERT_FALSE(m.ok()) << field;
    EXPECT_NE(m.status().message().find(field), std::string::npos) << m.status().message();
  }
  auto j = nlohmann::json::parse(Valid().ToJson());
  j["shards"][0]["size"] = -1;
  EXPECT_FALSE(Manifest::FromJson(j.dump()).ok());
}

// A manifest from the DHT names files a node joins to its shards directory
// and layer ranges it loads: anything but shard-{id}.gguf, ids 0..n-1 and
// ranges within the model is refused.
TEST(Manifest, FileNamesIdsAndLayerRangesAreChecked) {
  auto with = [](const char* field, nlohmann::json value) {
    auto j = nlohmann::json::parse(Valid().ToJson());
    j["shards"][0][field] = std::move(value);
    return Manifest::FromJson(j.dump());
  };
  auto m = with("file", "../../.ssh/authorized_keys");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("'file' must be \"shard-0.gguf\""), std::string::npos)
      << m.status().message();
  EXPECT_FALSE(with("id", 1).ok());
  EXPECT_FALSE(with("layer_end", 9).ok());
  EXPECT_FALSE(with("layer_start", 8).ok());
  auto j = nlohmann::json::parse(Valid().ToJson());
  j["shards"].push_back(j["shards"][0]);
  m = Manifest::FromJson(j.dump());
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("each once"), std::string::npos) << m.status().message();
  j = nlohmann::json::parse(Valid().ToJson());
  j["layer_count"] = 0;
  EXPECT_FALSE(Manifest::FromJson(j.dump()).ok());
}

}  // namespace
}  // namespace ss::shard
