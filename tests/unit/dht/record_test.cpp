// Records arrive from anyone on the DHT: parsing must refuse bad ones with a
// message and never throw; writing must survive any bytes a user supplied.
#include "dht/record.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ss::dht {
namespace {

NodeRecord Valid() {
  NodeRecord r;
  r.peer_id = std::string(64, 'a');
  r.cluster = "c";
  r.shard_id = 1;
  r.total_shards = 4;
  r.rpc_endpoint = "127.0.0.1:7000";
  r.tls_fingerprint = std::string(64, 'f');
  r.refresh_s = 2;
  return r;
}

TEST(NodeRecord, RoundTrips) {
  NodeRecord r = Valid();
  r.shard_loaded = true;
  r.layer_start = 2;
  r.layer_end = 4;
  auto back = NodeRecord::FromJson(r.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->peer_id, r.peer_id);
  EXPECT_TRUE(back->shard_loaded);
  EXPECT_EQ(back->layer_end, 4);
}

TEST(NodeRecord, RefusesBadValuesWithoutThrowing) {
  for (const char* bad : {"", "[]", "{}", "{\"peer_id\":1}", "not json"})
    EXPECT_FALSE(NodeRecord::FromJson(bad).ok());
  auto j = nlohmann::json::parse(Valid().ToJson());
  j["capabilities"]["cores"] = "two";
  EXPECT_FALSE(NodeRecord::FromJson(j.dump()).ok());
  j = nlohmann::json::parse(Valid().ToJson());
  j["refresh_s"] = 2000000000;  // would keep a dead node "online" for decades
  EXPECT_FALSE(NodeRecord::FromJson(j.dump()).ok());
  j = nlohmann::json::parse(Valid().ToJson());
  j["shard_id"] = 4;  // not below total_shards
  EXPECT_FALSE(NodeRecord::FromJson(j.dump()).ok());
}

// A fuzz finding: nlohmann converts any number to int, and a float beyond
// int's range is undefined behaviour. Integer fields take integers only.
TEST(NodeRecord, NumbersThatAreNotIntegersInRangeAreRefused) {
  for (const char* field : {"shard_id", "total_shards", "layer_end", "time_ms"}) {
    for (double bad : {4.88889e+40, 1.5, -1e300}) {
      auto j = nlohmann::json::parse(Valid().ToJson());
      j[field] = bad;
      EXPECT_FALSE(NodeRecord::FromJson(j.dump()).ok()) << field << " " << bad;
    }
  }
  auto j = nlohmann::json::parse(Valid().ToJson());
  j["download"] = {{"state", "downloading"}, {"peers", 1e40}};
  EXPECT_FALSE(NodeRecord::FromJson(j.dump()).ok());
  FileRecord f{"p", "c", "h", "shard-0.gguf", 0, "127.0.0.1:1", true, 1};
  j = nlohmann::json::parse(f.ToJson());
  j["shard_id"] = 3e9;
  EXPECT_FALSE(FileRecord::FromJson(j.dump()).ok());
}

TEST(NodeRecord, InvalidUtf8IsReplacedNotFatal) {
  NodeRecord r = Valid();
  r.shard_problem = "shard-1.gguf is not in /tmp/\xff\xfe";
  std::string json = r.ToJson();
  auto back = NodeRecord::FromJson(json);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_NE(back->shard_problem.find("/tmp/"), std::string::npos);
}

TEST(ClientRecord, MistypedOptionalFieldsAreIgnored) {
  auto c =
      ClientRecord::FromJson(R"({"peer_id":"x","tls_fingerprint":"y","cluster":1,"role":[],"time_ms":"z"})");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->peer_id, "x");
  EXPECT_EQ(c->cluster, "");
  EXPECT_FALSE(ClientRecord::FromJson(R"({"peer_id":5,"tls_fingerprint":"y"})").ok());
  EXPECT_FALSE(ClientRecord::FromJson("garbage").ok());
}

}  // namespace
}  // namespace ss::dht
