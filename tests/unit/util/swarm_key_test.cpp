// The private swarm's secret (util/swarm_key.h): files, MACs, sealing.
#include "util/swarm_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "testing.h"

namespace ss {
namespace {

TEST(SwarmKey, CreateLoadAndRefuseBadFiles) {
  ss::testing::TempDir dir;
  const std::string path = dir / "swarm.key";
  ASSERT_TRUE(SwarmKey::Create(path).ok());
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(SwarmKey::Create(path).ok()) << "an existing key is never replaced";
  auto key = SwarmKey::Load(path);
  ASSERT_TRUE(key.ok()) << key.status().message();
  EXPECT_EQ(key->Hex().size(), 64u);
  EXPECT_FALSE(key->empty());

  std::ofstream(dir / "short") << "abcd\n";
  auto bad = SwarmKey::Load(dir / "short");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("64 hex digits"), std::string::npos) << bad.status().message();
  EXPECT_FALSE(SwarmKey::FromHex(std::string(63, 'a') + "g").ok());
  EXPECT_FALSE(SwarmKey::Load(dir / "missing").ok());
  EXPECT_TRUE(SwarmKey::FromHex("  " + std::string(64, 'F') + "\n").ok());
}

TEST(SwarmKey, SealOpensOnlyWithTheSameKey) {
  SwarmKey a = SwarmKey::Generate(), b = SwarmKey::Generate();
  const std::string record = R"({"peer_id":"abc","shard_id":2})";
  const std::string sealed = a.Seal(record);
  EXPECT_EQ(sealed.find("peer_id"), std::string::npos) << "sealed records are not readable";
  EXPECT_NE(a.Seal(record), sealed) << "a fresh nonce each time";
  auto opened = a.Open(sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, record);
  EXPECT_FALSE(b.Open(sealed).ok());
  std::string flipped = sealed;
  flipped[15] ^= 1;
  EXPECT_FALSE(a.Open(flipped).ok());
  EXPECT_FALSE(a.Open(record).ok());
  EXPECT_FALSE(a.Open("").ok());
}

TEST(SwarmKey, MacsAndNetworkIdsDifferByKeyAndPurpose) {
  SwarmKey a = SwarmKey::Generate(), b = SwarmKey::Generate();
  auto again = SwarmKey::FromHex(a.Hex());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(a.Mac("rpc", "x"), again->Mac("rpc", "x"));
  EXPECT_NE(a.Mac("rpc", "x"), b.Mac("rpc", "x"));
  EXPECT_NE(a.Mac("rpc", "x"), a.Mac("dht", "x"));
  EXPECT_EQ(a.Mac("rpc", "x").size(), 64u);
  EXPECT_EQ(a.NetworkId(), again->NetworkId());
  EXPECT_NE(a.NetworkId(), b.NetworkId());
  EXPECT_NE(a.NetworkId(), 0u);
}

}  // namespace
}  // namespace ss
