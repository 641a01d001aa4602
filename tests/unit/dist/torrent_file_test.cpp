// Creating and reading single-file torrents in the three formats.
#include "dist/torrent_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "testing.h"

namespace ss::dist {
namespace {

using ss::testing::TempDir;

void WriteRandom(const std::string& path, size_t size) {
  std::mt19937_64 rng(size);
  std::string data(size, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  std::ofstream(path, std::ios::binary) << data;
}

TEST(TorrentFile, EachFormatCarriesItsInfoHashes) {
  TempDir dir;
  WriteRandom(dir / "a.bin", 3 << 20);
  for (TorrentFormat f : {TorrentFormat::kV1, TorrentFormat::kV2, TorrentFormat::kHybrid}) {
    auto m = CreateTorrent(dir / "a.bin", f);
    ASSERT_TRUE(m.ok()) << m.status().message();
    EXPECT_EQ(m->name, "a.bin");
    EXPECT_EQ(m->size, 3u << 20);
    EXPECT_GT(m->num_pieces, 0);
    EXPECT_EQ(m->v1_hex.size(), f == TorrentFormat::kV2 ? 0u : 40u) << FormatName(f);
    EXPECT_EQ(m->v2_hex.size(), f == TorrentFormat::kV1 ? 0u : 64u) << FormatName(f);
    EXPECT_EQ(m->id(), f == TorrentFormat::kV1 ? m->v1_hex : m->v2_hex);
    EXPECT_EQ(m->magnet.rfind("magnet:?", 0), 0u) << m->magnet;
    auto again = ParseTorrent(m->bytes);
    ASSERT_TRUE(again.ok()) << again.status().message();
    EXPECT_EQ(again->id(), m->id());
    EXPECT_EQ(again->v1_hex, m->v1_hex);
  }
}

TEST(TorrentFile, RejectsWhatCannotBeShared) {
  TempDir dir;
  std::ofstream(dir / "empty.bin").close();
  EXPECT_FALSE(CreateTorrent(dir / "empty.bin", TorrentFormat::kHybrid).ok());
  EXPECT_FALSE(CreateTorrent(dir / "missing.bin", TorrentFormat::kHybrid).ok());
  EXPECT_FALSE(CreateTorrent(dir.path(), TorrentFormat::kHybrid).ok());
  auto bad = ParseTorrent("d4:infoi3ee");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("not a valid .torrent"), std::string::npos) << bad.status().message();
}

TEST(TorrentFile, FormatNames) {
  EXPECT_EQ(*ParseTorrentFormat("v1"), TorrentFormat::kV1);
  EXPECT_EQ(*ParseTorrentFormat("v2"), TorrentFormat::kV2);
  EXPECT_EQ(*ParseTorrentFormat("hybrid"), TorrentFormat::kHybrid);
  EXPECT_FALSE(ParseTorrentFormat("v3").ok());
}

}  // namespace
}  // namespace ss::dist
