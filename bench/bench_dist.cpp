// Shard distribution over BitTorrent (issue 9), TorrentSessions in this one
// process on 127.0.0.1, hybrid torrents (the default for shards):
//  (a) one seeder, one fetcher, a 1 GB file: the fetch's MB/s from Fetch() to
//      a verified file under its final name (target >= 300 MB/s), and apart
//      from it the time Seed() spends hashing the file into a torrent;
//  (b) a seeder capped at R MB/s, 4 fetchers at once, each given the seeder
//      and the other fetchers as peers: time until all 4 hold the file
//      verified, next to what a central server at R MB/s needs (4 x size / R;
//      target <= 0.5x), and each fetcher's share of bytes from other fetchers.
// Usage: bench_dist [R in MB/s, default 20] [(a) size in MB, 1000] [(b) size in MB, 200]
// MB = 10^6 bytes. Files live in a directory under /tmp, removed at the end.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "dist/torrent_session.h"

namespace fs = std::filesystem;
using ss::dist::FetchRequest;
using ss::dist::PeerStats;
using ss::dist::TorrentFormat;
using ss::dist::TorrentMeta;
using ss::dist::TorrentSession;
using ss::dist::TransferProgress;
using ss::dist::TransferState;

namespace {

constexpr double kMB = 1e6;
constexpr int kFetchers = 4;

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

// Removes the scratch directory however the benchmark ends; the sessions
// using it live inside the Bench* functions, so they are gone by then.
struct ScratchDir {
  fs::path path = fs::temp_directory_path() / ("shardswarm-bench-dist-" + std::to_string(getpid()));
  ScratchDir() { fs::create_directories(path); }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// Incompressible bytes (splitmix64), written in 4 MB chunks.
bool WriteRandomFile(const std::string& path, uint64_t size) {
  std::ofstream out(path, std::ios::binary);
  std::vector<uint64_t> buf((4u << 20) / sizeof(uint64_t));
  uint64_t x = 0x9e3779b97f4a7c15ull ^ size;
  for (uint64_t left = size; left > 0 && out;) {
    for (uint64_t& w : buf) {
      uint64_t z = (x += 0x9e3779b97f4a7c15ull);
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      w = z ^ (z >> 31);
    }
    const uint64_t n = std::min<uint64_t>(left, buf.size() * sizeof(uint64_t));
    out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(n));
    left -= n;
  }
  return static_cast<bool>(out.flush());
}

std::unique_ptr<TorrentSession> Open(const std::string& cache_dir, int upload_limit = 0) {
  ss::dist::SessionOptions o;
  o.cache_dir = cache_dir;
  o.upload_rate_limit = upload_limit;
  auto s = TorrentSession::Open(o);
  if (!s.ok()) {
    std::fprintf(stderr, "opening a session: %s\n", s.status().message().c_str());
    return nullptr;
  }
  return std::move(s.value());
}

FetchRequest Request(const TorrentMeta& meta, const std::string& dest, std::vector<std::string> peers) {
  FetchRequest r;
  r.torrent = meta.bytes;
  r.dest_dir = dest;
  r.final_name = meta.name;
  r.peers = std::move(peers);
  return r;
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  return 1;
}

bool Settled(const TransferProgress& p) {
  return p.state == TransferState::kSeeding || p.state == TransferState::kError;
}

// (a) One seeder, one fetcher.
int BenchSingle(const ScratchDir& dir, uint64_t size) {
  std::printf("(a) one seeder -> one fetcher, %.0f MB, hybrid torrent, 127.0.0.1\n", size / kMB);
  fs::create_directories(dir / "a-src");
  fs::create_directories(dir / "a-dst");
  const std::string file = dir / "a-src/shard-0.gguf";
  double t0 = Now();
  if (!WriteRandomFile(file, size)) return Fail("cannot write " + file);
  std::printf("    wrote the random file in %.1f s\n", Now() - t0);
  auto seeder = Open(dir / "a-cache-seeder");
  auto fetcher = Open(dir / "a-cache-fetcher");
  if (!seeder || !fetcher) return 1;

  t0 = Now();
  auto meta = seeder->Seed(file, TorrentFormat::kHybrid);
  const double hash_s = Now() - t0;
  if (!meta.ok()) return Fail("seed: " + meta.status().message());
  std::printf("    Seed (hashing SHA-1 + SHA-256 trees, %d pieces of %d KiB): %.2f s  %6.0f MB/s\n",
              meta->num_pieces, meta->piece_size / 1024, hash_s, size / kMB / hash_s);

  t0 = Now();
  auto id = fetcher->Fetch(Request(*meta, dir / "a-dst", {seeder->endpoint()}));
  if (!id.ok()) return Fail("fetch: " + id.status().message());
  TransferProgress p;
  while (Now() - t0 < 300) {
    auto now = fetcher->Progress(*id);
    if (now.ok()) p = *now;
    if (Settled(p)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const double fetch_s = Now() - t0;
  if (p.state != TransferState::kSeeding) {
    std::printf("    fetch did not finish: %s after %.1f s (%.1f%%) %s\n", ss::dist::StateName(p.state),
                fetch_s, p.percent, p.error.c_str());
    return 1;
  }
  std::printf("    Fetch until verified and renamed: %.2f s  %6.0f MB/s  (target >= 300 MB/s)\n", fetch_s,
              size / kMB / fetch_s);
  return 0;
}

// Share of a fetcher's payload that came from peers other than the seeder.
// The fetcher dialed the seeder, so the seeder shows up at its listen endpoint.
double ShareFromOthers(const TorrentSession& fetcher, const std::string& id, const std::string& seeder) {
  auto peers = fetcher.Peers(id);
  if (!peers.ok()) return -1;
  uint64_t all = 0, from_seeder = 0;
  for (const PeerStats& ps : *peers) {
    all += ps.downloaded;
    if (ps.endpoint == seeder) from_seeder += ps.downloaded;
  }
  return all ? static_cast<double>(all - from_seeder) / static_cast<double>(all) : 0;
}

// (b) A rate-capped seeder and four fetchers trading pieces.
int BenchSwarm(const ScratchDir& dir, uint64_t size, double rate_mbs) {
  const double central_s = kFetchers * size / kMB / rate_mbs;
  std::printf("(b) seeder capped at %.0f MB/s -> %d fetchers at once, %.0f MB, hybrid torrent\n", rate_mbs,
              kFetchers, size / kMB);
  fs::create_directories(dir / "b-src");
  const std::string file = dir / "b-src/shard-1.gguf";
  if (!WriteRandomFile(file, size)) return Fail("cannot write " + file);
  auto seeder = Open(dir / "b-cache-seeder", static_cast<int>(rate_mbs * kMB));
  if (!seeder) return 1;
  auto meta = seeder->Seed(file, TorrentFormat::kHybrid);
  if (!meta.ok()) return Fail("seed: " + meta.status().message());
  std::vector<std::unique_ptr<TorrentSession>> fetchers;
  for (int i = 0; i < kFetchers; ++i) {
    fetchers.push_back(Open(dir / ("b-cache-" + std::to_string(i))));
    if (!fetchers.back()) return 1;
    fs::create_directories(dir / ("b-dst-" + std::to_string(i)));
  }
  // Each fetcher's peers: the seeder and every other fetcher.
  std::vector<std::vector<std::string>> peers(kFetchers, {seeder->endpoint()});
  for (int i = 0; i < kFetchers; ++i)
    for (int j = 0; j < kFetchers; ++j)
      if (j != i) peers[i].push_back(fetchers[j]->endpoint());

  const double t0 = Now();
  for (int i = 0; i < kFetchers; ++i) {
    auto id = fetchers[i]->Fetch(Request(*meta, dir / ("b-dst-" + std::to_string(i)), peers[i]));
    if (!id.ok()) return Fail("fetch: " + id.status().message());
  }
  // A fetcher dialed before it had the torrent refused the connection; the
  // peers again, as the next DHT refresh would bring them, connect everyone.
  for (int i = 0; i < kFetchers; ++i) (void)fetchers[i]->AddPeers(meta->id(), peers[i]);

  std::vector<double> verified_s(kFetchers, -1);  // -1: not (yet) verified
  std::vector<bool> settled(kFetchers, false);
  int left = kFetchers;
  while (left > 0 && Now() - t0 < central_s + 60) {
    for (int i = 0; i < kFetchers; ++i) {
      auto p = fetchers[i]->Progress(meta->id());
      if (settled[i] || !p.ok() || !Settled(*p)) continue;
      settled[i] = true;
      --left;
      if (p->state == TransferState::kSeeding) verified_s[i] = Now() - t0;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const double all_s = Now() - t0;
  bool all_verified = true;
  for (int i = 0; i < kFetchers; ++i) {
    const double share = ShareFromOthers(*fetchers[i], meta->id(), seeder->endpoint());
    if (verified_s[i] >= 0) {
      std::printf("    fetcher %d: verified after %5.2f s, %4.1f%% of its bytes from other fetchers\n", i,
                  verified_s[i], 100 * share);
      continue;
    }
    all_verified = false;
    auto p = fetchers[i]->Progress(meta->id());
    std::printf("    fetcher %d: NOT verified: %s, %.1f%% (%s), %4.1f%% of its bytes from other fetchers\n",
                i, p.ok() ? ss::dist::StateName(p->state) : "?", p.ok() ? p->percent : 0,
                p.ok() ? p->error.c_str() : "", 100 * share);
  }
  auto sp = seeder->Progress(meta->id());
  if (sp.ok())
    std::printf("    the seeder sent %.0f MB (%.2f copies of the file)\n", sp->uploaded / kMB,
                static_cast<double>(sp->uploaded) / static_cast<double>(size));
  if (!all_verified) {
    std::printf("    gave up after %.1f s: not every fetcher holds the file\n", all_s);
    return 1;
  }
  std::printf(
      "    all %d verified: %.2f s; central server at %.0f MB/s: %d x %.0f MB / %.0f MB/s = %.1f s; ratio "
      "%.2fx  (target <= 0.5x)\n",
      kFetchers, all_s, rate_mbs, kFetchers, size / kMB, rate_mbs, central_s, all_s / central_s);
  return 0;
}

double Arg(int argc, char** argv, int i, double fallback) { return argc > i ? std::atof(argv[i]) : fallback; }

}  // namespace

int main(int argc, char** argv) {
  const double rate = Arg(argc, argv, 1, 20);
  const uint64_t big = static_cast<uint64_t>(Arg(argc, argv, 2, 1000) * kMB);
  const uint64_t small = static_cast<uint64_t>(Arg(argc, argv, 3, 200) * kMB);
  if (rate <= 0 || big == 0 || small == 0) {
    std::fprintf(stderr, "usage: bench_dist [R MB/s > 0] [(a) MB > 0] [(b) MB > 0]\n");
    return 2;
  }
  std::printf("CPU: %s, %u hardware threads; libtorrent sessions in one process on 127.0.0.1\n",
              CpuModel().c_str(), std::thread::hardware_concurrency());
  std::fflush(stdout);
  int rc = 0;
  {
    ScratchDir dir;
    std::printf("scratch: %s\n", dir.path.c_str());
    rc |= BenchSingle(dir, big);
    std::fflush(stdout);
  }
  {
    ScratchDir dir;
    rc |= BenchSwarm(dir, small, rate);
  }
  return rc;
}
