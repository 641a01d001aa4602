// Other BitTorrent clients and ours exchange what `shardswarm shard publish`
// describes, all on 127.0.0.1, in both directions: they fetch from a
// shardswarm seeding session, and a shardswarm session fetches from them
// seeding. aria2 1.36 and Transmission 3.00 understand v1 torrents only, and
// neither can be told a peer's address on the command line (they learn peers
// from trackers, DHT, LPD or PEX, all off here): our session connects to their
// listen port instead, which BitTorrent allows in either direction.
// Transmission only updates its interest in peers and its unchoking on a 10 s
// timer, so its tests take ~15 s.
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
    if (fs::exists(file) && ss::testing::FileSha256(file) == sha) return true;
    if (!client.Running()) return fs::exists(file) && ss::testing::FileSha256(file) == sha;
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
  const std::string want = ss::testing::FileSha256(dir / "shards/shard-0.gguf");
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
  "rename-partial-files": true, "bind-address-ipv4": "127.0.0.1", "bind-address-ipv6": "::1",
  "rpc-enabled": false
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
  const std::string want = ss::testing::FileSha256(dir / "shards/shard-0.gguf");
  EXPECT_TRUE(SeedTo(*seeder, meta->id(), port, dir / "tr/shard-0.gguf", want, tr, 25)) << tr.Log();
}

// Copies shard 0 into dir/NAME, where the client will seed it from.
std::string SeedCopy(const TempDir& dir, const std::string& name) {
  fs::create_directories(dir / name);
  ss::testing::CopyFile(dir / "shards/shard-0.gguf", dir / (name + "/shard-0.gguf"));
  return dir / name;
}

// Our session fetches the published shard 0 from a client seeding it on
// `port`, dialing it again every 2 s (the client listens only once it has
// hashed its copy): the file arrives verified, byte-identical, from that client.
void ExpectFetchedFrom(const TempDir& dir, const std::string& torrent, int port, ChildProcess& client,
                       const std::string& client_name, double timeout_s) {
  auto meta = dist::ReadTorrentFile(torrent);
  ASSERT_TRUE(meta.ok()) << meta.status().message();
  dist::SessionOptions o;
  o.cache_dir = dir / "cache";
  auto session = dist::TorrentSession::Open(o);
  ASSERT_TRUE(session.ok()) << session.status().message();
  dist::TorrentSession& s = **session;
  fs::create_directories(dir / "got");
  const std::string peer = "127.0.0.1:" + std::to_string(port);
  dist::FetchRequest r;
  r.torrent = meta->bytes;
  r.dest_dir = dir / "got";
  r.final_name = "shard-0.gguf";
  r.peers = {peer};
  auto id = s.Fetch(r);
  ASSERT_TRUE(id.ok()) << id.status().message();
  dist::TransferProgress p;
  const double deadline = ss::testing::NowSeconds() + timeout_s;
  double next_connect = ss::testing::NowSeconds() + 2;
  while (ss::testing::NowSeconds() < deadline && client.Running()) {
    auto now = s.Progress(*id);
    ASSERT_TRUE(now.ok()) << now.status().message();
    p = *now;
    if (p.state == dist::TransferState::kSeeding || p.state == dist::TransferState::kError) break;
    if (ss::testing::NowSeconds() >= next_connect) {
      EXPECT_TRUE(s.AddPeers(*id, {peer}).ok());
      next_connect = ss::testing::NowSeconds() + 2;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(p.state, dist::TransferState::kSeeding)
      << dist::StateName(p.state) << " at " << p.percent << "%: " << p.error << "\n"
      << client_name << " log:\n"
      << client.Log();
  EXPECT_EQ(ss::testing::FileSha256(dir / "got/shard-0.gguf"),
            ss::testing::FileSha256(dir / "shards/shard-0.gguf"));
  EXPECT_FALSE(fs::exists(dir / "got/shard-0.gguf.part"));
  // The client is the only peer this session was given or could learn of
  // (no trackers, DHT, LSD or PEX), so every byte received came from it. Per
  // peer, an incoming connection of the client shows up under its source
  // port, sometimes before its handshake named it: so the total is checked.
  auto peers = s.Peers(*id);
  ASSERT_TRUE(peers.ok());
  std::string clients;
  for (const dist::PeerStats& ps : *peers)
    clients += ps.endpoint + " '" + ps.client + "' " + std::to_string(ps.downloaded) + " B; ";
  EXPECT_GE(p.downloaded, meta->size) << clients;
  for (const dist::PeerStats& ps : *peers) EXPECT_EQ(ps.endpoint.rfind("127.0.0.1:", 0), 0u) << clients;
}

TEST(Interop, OurSessionFetchesAShardAria2Seeds) {
  if (!Installed("aria2c")) GTEST_SKIP() << "aria2c is not installed (scripts/install-deps.sh installs it)";
  TempDir dir;
  const std::string torrent = PublishedShard(dir);
  const std::string seed_dir = SeedCopy(dir, "aria2");
  const int port = ss::testing::FreePort(false);
  // --check-integrity hashes the copy and seeds it; --seed-ratio=0.0 seeds
  // until killed; --interface keeps every socket on loopback.
  ChildProcess aria2(
      {"aria2c", "--dir=" + seed_dir, "--listen-port=" + std::to_string(port), "--interface=127.0.0.1",
       "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false",
       "--check-integrity=true", "--seed-ratio=0.0", "--file-allocation=none", "--disable-ipv6=true",
       "--console-log-level=notice", "--summary-interval=0", torrent},
      dir / "aria2.log");
  ExpectFetchedFrom(dir, torrent, port, aria2, "aria2", 25);
}

TEST(Interop, OurSessionFetchesAShardTransmissionSeeds) {
  if (!Installed("transmission-cli")) GTEST_SKIP() << "transmission-cli is not installed";
  TempDir dir;
  const std::string torrent = PublishedShard(dir);
  const std::string seed_dir = SeedCopy(dir, "tr");
  const int port = ss::testing::FreePort(false);
  WriteTransmissionSettings(dir / "tr-config", port);
  // Finding the complete file in -w, it verifies it and seeds until killed.
  ChildProcess tr({"transmission-cli", "-g", dir / "tr-config", "-w", seed_dir, "-p", std::to_string(port),
                   "-M", torrent},
                  dir / "tr.log");
  ExpectFetchedFrom(dir, torrent, port, tr, "Transmission", 28);
}

}  // namespace
}  // namespace ss
