// Other BitTorrent clients fetch what `shardswarm shard publish` describes
// from a shardswarm seeding session, all on 127.0.0.1. aria2 1.36 and
// Transmission 3.00 understand v1 torrents only, and neither can be told a
// peer's address on the command line (they learn peers from trackers, DHT,
// LPD or PEX, all off here): our session connects to their listen port
// instead, which BitTorrent allows in either direction. Transmission only
// updates its interest in peers on a 10 s timer, so its test takes ~15 s.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "dist/torrent_session.h"
#include "testing.h"
#include "util/sha256.h"

namespace ss {
namespace {

namespace fs = std::filesystem;
using ss::testing::ChildProcess;
using ss::testing::TempDir;

bool Contains(const std::string& s, const std::string& f) { return s.find(f) != std::string::npos; }

std::string Sha(const std::string& path) {
  auto s = Sha256File(path);
  return s.ok() ? *s : "unreadable: " + s.status().message();
}

bool Installed(const std::string& program) {
  return ss::testing::RunCommand("command -v " + program).exit_code == 0;
}

// Splits a reference model in two and publishes v1 torrents; returns shard 0's .torrent path.
std::string PublishedShard(const TempDir& dir) {
  auto split = ss::testing::RunShardswarm("shard split " + ss::testing::ModelPath("tiny-spm-q8_0.gguf") +
                                          " -n 2 -o " + dir / "shards");
  EXPECT_EQ(split.exit_code, 0) << split.output;
  auto publish = ss::testing::RunShardswarm("shard publish " + dir / "shards" + " --torrent-format v1");
  EXPECT_EQ(publish.exit_code, 0) << publish.output;
  EXPECT_TRUE(Contains(publish.output, dir / "shards/shard-0.gguf.torrent  magnet:?xt=urn:btih:"))
      << publish.output;
  EXPECT_TRUE(Contains(publish.output, "shard-1.gguf.torrent  magnet:?")) << publish.output;
  return dir / "shards/shard-0.gguf.torrent";
}

std::unique_ptr<dist::TorrentSession> Seeder(const TempDir& dir, const std::string& torrent_path) {
  dist::SessionOptions o;
  o.cache_dir = dir / "cache";
  auto s = dist::TorrentSession::Open(o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  if (!s.ok()) return nullptr;
  auto meta = (*s)->Seed(dir / "shards/shard-0.gguf", dist::TorrentFormat::kV1);
  EXPECT_TRUE(meta.ok()) << meta.status().message();
  auto published = dist::ReadTorrentFile(torrent_path);
  EXPECT_TRUE(published.ok()) << published.status().message();
  if (meta.ok() && published.ok()) {
    EXPECT_EQ(meta->id(), published->id()) << "publish and Seed disagree";
  }
  return std::move(s.value());
}

// Connects the seeder to `port` until the client has the complete file.
bool SeedTo(dist::TorrentSession& seeder, const std::string& id, int port, const std::string& file,
            const std::string& sha, ChildProcess& client, double timeout_s) {
  const double deadline = ss::testing::NowSeconds() + timeout_s;
  double next_connect = 0;
  while (ss::testing::NowSeconds() < deadline) {
    if (fs::exists(file) && Sha(file) == sha) return true;
    if (!client.Running()) return fs::exists(file) && Sha(file) == sha;
    if (ss::testing::NowSeconds() >= next_connect) {  // the client may not listen yet
      EXPECT_TRUE(seeder.AddPeers(id, {"127.0.0.1:" + std::to_string(port)}).ok());
      next_connect = ss::testing::NowSeconds() + 2;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

TEST(Interop, Aria2FetchesAPublishedShardFromOurSeeder) {
  if (!Installed("aria2c")) GTEST_SKIP() << "aria2c is not installed (scripts/install-deps.sh installs it)";
  TempDir dir;
  const std::string torrent = PublishedShard(dir);
  auto seeder = Seeder(dir, torrent);
  ASSERT_TRUE(seeder);
  auto meta = dist::ReadTorrentFile(torrent);
  ASSERT_TRUE(meta.ok());
  const int port = ss::testing::FreePort(false);
  ChildProcess aria2(
      {"aria2c", "--dir=" + dir / "aria2", "--listen-port=" + std::to_string(port), "--enable-dht=false",
       "--enable-dht6=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false", "--seed-time=0",
       "--file-allocation=none", "--disable-ipv6=true", "--console-log-level=notice", "--summary-interval=0",
       "--bt-stop-timeout=30", torrent},
      dir / "aria2.log");
  const std::string want = Sha(dir / "shards/shard-0.gguf");
  EXPECT_TRUE(SeedTo(*seeder, meta->id(), port, dir / "aria2/shard-0.gguf", want, aria2, 25)) << aria2.Log();
  auto peers = seeder->Peers(meta->id());
  ASSERT_TRUE(peers.ok());
  uint64_t uploaded = 0;
  for (const dist::PeerStats& p : *peers) uploaded += p.uploaded;
  EXPECT_GE(uploaded, meta->size);
}

// transmission-cli reads its settings from the config dir given with -g.
void WriteTransmissionSettings(const std::string& config_dir, int port) {
  fs::create_directories(config_dir);
  std::ofstream(config_dir + "/settings.json") << R"({
  "dht-enabled": false, "lpd-enabled": false, "pex-enabled": false, "utp-enabled": false,
  "port-forwarding-enabled": false, "peer-port": )"
                                               << port << R"(, "peer-port-random-on-start": false,
  "rename-partial-files": true, "bind-address-ipv4": "127.0.0.1", "rpc-enabled": false
})";
}

TEST(Interop, TransmissionFetchesAPublishedShardFromOurSeeder) {
  if (!Installed("transmission-cli")) GTEST_SKIP() << "transmission-cli is not installed";
  TempDir dir;
  const std::string torrent = PublishedShard(dir);
  auto seeder = Seeder(dir, torrent);
  ASSERT_TRUE(seeder);
  auto meta = dist::ReadTorrentFile(torrent);
  ASSERT_TRUE(meta.ok());
  const int port = ss::testing::FreePort(false);
  WriteTransmissionSettings(dir / "tr-config", port);
  fs::create_directories(dir / "tr");
  ChildProcess tr({"transmission-cli", "-g", dir / "tr-config", "-w", dir / "tr", "-p", std::to_string(port),
                   "-M", torrent},
                  dir / "tr.log");
  const std::string want = Sha(dir / "shards/shard-0.gguf");
  EXPECT_TRUE(SeedTo(*seeder, meta->id(), port, dir / "tr/shard-0.gguf", want, tr, 25)) << tr.Log();
}

}  // namespace
}  // namespace ss
