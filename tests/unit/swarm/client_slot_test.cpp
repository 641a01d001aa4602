#include "swarm/client_slot.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "testing.h"

namespace ss::swarm {
namespace {

TEST(ClientSlot, ARunComesBackWithTheSameIdentityAndPort) {
  ss::testing::TempDir cache;
  setenv("SHARDSWARM_CACHE_DIR", cache.path().c_str(), 1);
  auto boot_id = dht::EphemeralIdentity("boot");
  ASSERT_TRUE(boot_id.ok());
  dht::DiscoveryOptions bo;
  bo.is_bootstrap = true;
  auto boot = dht::Discovery::Start(*boot_id, bo);
  ASSERT_TRUE(boot.ok()) << boot.status().message();
  const std::vector<std::string> bootstrap{"127.0.0.1:" + std::to_string((*boot)->port())};
  std::string peer_id;
  uint16_t port = 0;
  {
    auto slot = TakeClientSlot("status");
    ASSERT_TRUE(slot.ok()) << slot.status().message();
    EXPECT_EQ(slot->dir, cache / "status");
    peer_id = slot->identity.peer_id;
    auto disc = JoinDhtFromSlot(*slot, bootstrap, "127.0.0.1", 5, SwarmKey());
    ASSERT_TRUE(disc.ok()) << disc.status().message();
    port = (*disc)->port();
    // A second command while the first runs gets a throwaway identity.
    auto other = TakeClientSlot("status");
    ASSERT_TRUE(other.ok());
    EXPECT_TRUE(other->dir.empty());
    EXPECT_NE(other->identity.peer_id, peer_id);
  }
  auto again = TakeClientSlot("status");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->identity.peer_id, peer_id);
  auto disc = JoinDhtFromSlot(*again, bootstrap, "127.0.0.1", 5, SwarmKey());
  ASSERT_TRUE(disc.ok()) << disc.status().message();
  EXPECT_EQ((*disc)->port(), port);
  unsetenv("SHARDSWARM_CACHE_DIR");
}

}  // namespace
}  // namespace ss::swarm
