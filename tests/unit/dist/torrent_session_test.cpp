// Real transfers between TorrentSessions on 127.0.0.1: every format, resume
// after the downloader stops midway, corrupt seeders, a full disk, several
// downloaders trading pieces.
#include "dist/torrent_session.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <libtorrent/bdecode.hpp>
#include <libtorrent/bencode.hpp>
#include <libtorrent/entry.hpp>
#include <random>
#include <thread>

#include "dist/resume_cache.h"
#include "testing.h"
#include "util/file_io.h"
#include "util/sha256.h"

namespace ss::dist {
namespace {

namespace fs = std::filesystem;
using ss::testing::TempDir;

constexpr size_t kFileSize = 8u << 20;

void WriteRandom(const std::string& path, size_t size, uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::string data(size, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  std::ofstream(path, std::ios::binary) << data;
}

std::string Sha(const std::string& path) {
  auto s = Sha256File(path);
  return s.ok() ? *s : "unreadable: " + s.status().message();
}

std::unique_ptr<TorrentSession> OpenSession(const std::string& cache, int upload_limit = 0,
                                            double stall_seconds = 10) {
  SessionOptions o;
  o.cache_dir = cache;
  o.upload_rate_limit = upload_limit;
  o.stall_seconds = stall_seconds;
  auto s = TorrentSession::Open(o);
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? std::move(s.value()) : nullptr;
}

FetchRequest Request(const TorrentMeta& meta, const std::string& dest, std::vector<std::string> peers) {
  FetchRequest r;
  r.torrent = meta.bytes;
  r.dest_dir = dest;
  r.final_name = "got.bin";
  r.peers = std::move(peers);
  return r;
}

// A fetch by info-hash: the metadata comes from the peers.
FetchRequest ByInfoHash(const std::string& hash, const std::string& dest, const std::string& final_name,
                        std::vector<std::string> peers) {
  FetchRequest r;
  r.magnet = hash;
  r.dest_dir = dest;
  r.final_name = final_name;
  r.peers = std::move(peers);
  return r;
}

// Polls until `pred(progress)` holds; false after `timeout_s`.
template <typename Pred>
bool WaitFor(const TorrentSession& s, const std::string& id, Pred pred, double timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    auto p = s.Progress(id);
    if (p.ok() && pred(*p)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

class Transfer : public ::testing::TestWithParam<TorrentFormat> {};

TEST_P(Transfer, FetchedFileIsByteIdenticalAndSeeded) {
  TempDir dir;
  fs::create_directories(dir / "src");
  fs::create_directories(dir / "dst");
  WriteRandom(dir / "src/shard-0.gguf", kFileSize);
  auto seeder = OpenSession(dir / "cache-a");
  auto fetcher = OpenSession(dir / "cache-b");
  ASSERT_TRUE(seeder && fetcher);
  auto meta = seeder->Seed(dir / "src/shard-0.gguf", GetParam());
  ASSERT_TRUE(meta.ok()) << meta.status().message();
  auto id = fetcher->Fetch(Request(*meta, dir / "dst", {seeder->endpoint()}));
  ASSERT_TRUE(id.ok()) << id.status().message();
  EXPECT_EQ(*id, meta->id());
  auto p = fetcher->Wait(*id, 20);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->state, TransferState::kSeeding) << StateName(p->state) << ": " << p->error;
  EXPECT_EQ(p->bytes_done, kFileSize);
  EXPECT_DOUBLE_EQ(p->percent, 100);
  EXPECT_EQ(p->path, dir / "dst/got.bin");
  EXPECT_EQ(Sha(dir / "dst/got.bin"), Sha(dir / "src/shard-0.gguf"));
  EXPECT_FALSE(fs::exists(dir / "dst/got.bin.part"));
  EXPECT_EQ(fs::file_size(dir / "dst/got.bin"), kFileSize);
  // The seeder's progress names the same torrent by the v1 info-hash too.
  if (!meta->v1_hex.empty()) {
    EXPECT_TRUE(seeder->Progress(meta->v1_hex).ok());
  }
  auto peers = fetcher->Peers(*id);
  ASSERT_TRUE(peers.ok());
  ASSERT_FALSE(peers->empty());
  EXPECT_EQ(peers->front().endpoint, seeder->endpoint());
  EXPECT_GE(peers->front().downloaded, kFileSize);
}

INSTANTIATE_TEST_SUITE_P(Formats, Transfer,
                         ::testing::Values(TorrentFormat::kV1, TorrentFormat::kV2, TorrentFormat::kHybrid),
                         [](const auto& info) { return std::string(FormatName(info.param)); });

TEST(TorrentSession, FetchesByInfoHashWithMetadataFromThePeer) {
  TempDir dir;
  fs::create_directories(dir / "src");
  fs::create_directories(dir / "dst");
  WriteRandom(dir / "src/f.bin", 1 << 20, 7);
  auto seeder = OpenSession(dir / "cache-a");
  auto fetcher = OpenSession(dir / "cache-b");
  ASSERT_TRUE(seeder && fetcher);
  auto meta = seeder->Seed(dir / "src/f.bin", TorrentFormat::kHybrid);
  ASSERT_TRUE(meta.ok()) << meta.status().message();
  auto id = fetcher->Fetch(ByInfoHash(meta->v2_hex, dir / "dst", "f.bin", {seeder->endpoint()}));
  ASSERT_TRUE(id.ok()) << id.status().message();
  auto p = fetcher->Wait(*id, 20);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->state, TransferState::kSeeding) << StateName(p->state) << ": " << p->error;
  EXPECT_EQ(Sha(dir / "dst/f.bin"), Sha(dir / "src/f.bin"));
}

TEST(TorrentSession, SeedingAgainLoadsTheCachedTorrent) {
  TempDir dir;
  WriteRandom(dir / "f.bin", 1 << 20);
  std::string id;
  {
    auto s = OpenSession(dir / "cache");
    ASSERT_TRUE(s);
    auto meta = s->Seed(dir / "f.bin", TorrentFormat::kHybrid);
    ASSERT_TRUE(meta.ok()) << meta.status().message();
    id = meta->id();
    auto p = s->Wait(id, 10);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->state, TransferState::kSeeding) << p->error;
  }
  EXPECT_TRUE(fs::exists(dir / ("cache/" + id + ".resume")));
  auto s = OpenSession(dir / "cache");
  ASSERT_TRUE(s);
  auto meta = s->Seed(dir / "f.bin", TorrentFormat::kHybrid);
  ASSERT_TRUE(meta.ok()) << meta.status().message();
  EXPECT_EQ(meta->id(), id);
  auto p = s->Wait(id, 10);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->state, TransferState::kSeeding) << p->error;
}

// The downloader's session ends midway (its destructor saves resume data); a
// new session on the same cache continues without fetching verified pieces again.
TEST(TorrentSession, ResumesWithoutDownloadingVerifiedPiecesAgain) {
  TempDir dir;
  fs::create_directories(dir / "src");
  fs::create_directories(dir / "dst");
  WriteRandom(dir / "src/f.bin", kFileSize, 3);
  auto seeder = OpenSession(dir / "cache-a", 2 << 20);  // ~4 s for the file, even on loopback
  ASSERT_TRUE(seeder);
  auto meta = seeder->Seed(dir / "src/f.bin", TorrentFormat::kHybrid);
  ASSERT_TRUE(meta.ok()) << meta.status().message();
  uint64_t done_before = 0;
  {
    auto fetcher = OpenSession(dir / "cache-b");
    ASSERT_TRUE(fetcher);
    auto id = fetcher->Fetch(Request(*meta, dir / "dst", {seeder->endpoint()}));
    ASSERT_TRUE(id.ok()) << id.status().message();
    ASSERT_TRUE(WaitFor(
        *fetcher, *id, [](const TransferProgress& p) { return p.bytes_done >= kFileSize * 3 / 10; }, 20));
    auto p = fetcher->Progress(*id);
    ASSERT_TRUE(p.ok());
    done_before = p->bytes_done;
    ASSERT_LT(done_before, kFileSize) << "the upload cap did not slow the loopback peer down";
    EXPECT_GT(p->download_rate, 0);
    EXPECT_GE(p->eta_seconds, 0);
    EXPECT_EQ(p->peers, 1);
  }
  EXPECT_TRUE(fs::exists(dir / "dst/got.bin.part"));
  EXPECT_FALSE(fs::exists(dir / "dst/got.bin"));
  auto fetcher = OpenSession(dir / "cache-b");
  ASSERT_TRUE(fetcher);
  auto id = fetcher->Fetch(Request(*meta, dir / "dst", {seeder->endpoint()}));
  ASSERT_TRUE(id.ok()) << id.status().message();
  auto p = fetcher->Wait(*id, 25);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->state, TransferState::kSeeding) << StateName(p->state) << ": " << p->error;
  EXPECT_EQ(Sha(dir / "dst/got.bin"), Sha(dir / "src/f.bin"));
  EXPECT_LE(p->downloaded, kFileSize - done_before) << "verified pieces were downloaded again";
}

// The child side of the SIGKILL test: waits for the seeder's endpoint on `in`,
// fetches dir/t.torrent and reports bytes_done on `out` until it is killed.
[[noreturn]] void FetchUntilKilled(const TempDir& dir, int in, int out) {
  std::string endpoint;
  char c;
  while (::read(in, &c, 1) == 1 && c != '\n') endpoint += c;
  SessionOptions o;
  o.cache_dir = dir / "cache-b";
  auto s = TorrentSession::Open(o);
  auto torrent = ReadWholeFile(dir / "t.torrent");
  if (!s.ok() || !torrent.ok()) _exit(2);
  FetchRequest r;
  r.torrent = *torrent;
  r.dest_dir = dir / "dst";
  r.final_name = "got.bin";
  r.peers = {endpoint};
  auto id = (*s)->Fetch(r);
  if (!id.ok()) _exit(3);
  for (int i = 0; i < 600; ++i) {
    auto p = (*s)->Progress(*id);
    if (p.ok()) dprintf(out, "%d\n", p->pieces_done);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  _exit(4);
}

// Reads the child's reports until one reaches `at_least`; 0 on EOF or timeout.
int WaitForReport(int fd, int at_least, double timeout_s) {
  std::string line;
  const double deadline = ss::testing::NowSeconds() + timeout_s;
  while (ss::testing::NowSeconds() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char c;
    if (::read(fd, &c, 1) != 1) return 0;
    if (c != '\n') {
      line += c;
      continue;
    }
    const int done = std::stoi(line);
    line.clear();
    if (done >= at_least) return done;
  }
  return 0;
}

// A downloader process dies by SIGKILL midway, after its last periodic resume
// save: the next session re-checks the .part file and downloads only the rest.
TEST(TorrentSession, ResumesAfterSigkillWithoutDownloadingVerifiedPiecesAgain) {
  TempDir dir;
  fs::create_directories(dir / "src");
  fs::create_directories(dir / "dst");
  WriteRandom(dir / "src/f.bin", kFileSize, 4);
  int to_child[2], from_child[2];
  ASSERT_EQ(::pipe(to_child), 0);
  ASSERT_EQ(::pipe(from_child), 0);
  // Fork before any session exists here: a child forked beside libtorrent's threads could inherit held locks.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) FetchUntilKilled(dir, to_child[0], from_child[1]);
  ::close(to_child[0]);
  ::close(from_child[1]);
  int pieces_at_kill = 0;
  {
    auto seeder = OpenSession(dir / "cache-a", 1 << 20);  // ~8 s for the file
    ASSERT_TRUE(seeder);
    auto meta = seeder->Seed(dir / "src/f.bin", TorrentFormat::kHybrid);
    ASSERT_TRUE(meta.ok()) << meta.status().message();
    ASSERT_TRUE(WriteWholeFile(dir / "t.torrent", meta->bytes).ok());
    const std::string line = seeder->endpoint() + "\n";
    ASSERT_EQ(::write(to_child[1], line.data(), line.size()), static_cast<ssize_t>(line.size()));
    const int pieces = static_cast<int>(kFileSize / meta->piece_size);
    pieces_at_kill = WaitForReport(from_child[0], pieces / 2, 20);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    ::close(to_child[1]);
    ::close(from_child[0]);
    ASSERT_GT(pieces_at_kill, 0) << "the child never got halfway";
    ASSERT_LT(pieces_at_kill, pieces);
    ASSERT_FALSE(fs::exists(dir / "dst/got.bin"));

    auto fetcher = OpenSession(dir / "cache-b");
    ASSERT_TRUE(fetcher);
    auto id = fetcher->Fetch(Request(*meta, dir / "dst", {seeder->endpoint()}));
    ASSERT_TRUE(id.ok()) << id.status().message();
    auto p = fetcher->Wait(*id, 20);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->state, TransferState::kSeeding) << StateName(p->state) << ": " << p->error;
    EXPECT_EQ(Sha(dir / "dst/got.bin"), Sha(dir / "src/f.bin"));
    const uint64_t verified = uint64_t{static_cast<uint64_t>(pieces_at_kill)} * meta->piece_size;
    EXPECT_LE(p->downloaded, kFileSize - verified) << "pieces verified before the kill came again";
  }
}

// Seeds a copy of `file` from a new session, then flips one byte of the copy on
// disk: the session keeps claiming every piece and serves the bad byte.
std::unique_ptr<TorrentSession> CorruptSeeder(const TempDir& dir, const std::string& file,
                                              const std::string& name, TorrentFormat format) {
  fs::create_directories(dir / name);
  fs::copy_file(file, dir / (name + "/f.bin"));
  auto s = OpenSession(dir / ("cache-" + name));
  auto meta = s->Seed(dir / (name + "/f.bin"), format);
  EXPECT_TRUE(meta.ok()) << meta.status().message();
  ss::testing::FlipByte(dir / (name + "/f.bin"), kFileSize / 2 + 12345);
  return s;
}

TEST(TorrentSession, CorruptSeederIsBannedAndTheGoodOneCompletesTheFile) {
  TempDir dir;
  fs::create_directories(dir / "good");
  fs::create_directories(dir / "dst");
  WriteRandom(dir / "good/f.bin", kFileSize, 5);
  auto bad = CorruptSeeder(dir, dir / "good/f.bin", "bad", TorrentFormat::kHybrid);
  // The good seeder is slow, so the corrupt one serves most pieces, the bad one likely among them.
  auto good = OpenSession(dir / "cache-good", 2 << 20);
  auto fetcher = OpenSession(dir / "cache-f");
  ASSERT_TRUE(bad && good && fetcher);
  auto meta = good->Seed(dir / "good/f.bin", TorrentFormat::kHybrid);
  ASSERT_TRUE(meta.ok()) << meta.status().message();
  auto id = fetcher->Fetch(Request(*meta, dir / "dst", {bad->endpoint(), good->endpoint()}));
  ASSERT_TRUE(id.ok()) << id.status().message();
  auto p = fetcher->Wait(*id, 25);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->state, TransferState::kSeeding) << StateName(p->state) << ": " << p->error;
  EXPECT_EQ(Sha(dir / "dst/got.bin"), Sha(dir / "good/f.bin"));
  EXPECT_GE(p->hash_failures, 1) << "the corrupt piece never came from the corrupt seeder";
}

TEST(TorrentSession, OnlyACorruptSeederIsReportedNotWaitedOnForever) {
  TempDir dir;
  fs::create_directories(dir / "good");
  fs::create_directories(dir / "dst");
  WriteRandom(dir / "good/f.bin", kFileSize, 6);
  auto meta = CreateTorrent(dir / "good/f.bin", TorrentFormat::kHybrid);
  ASSERT_TRUE(meta.ok()) << meta.status().message();
  auto bad = CorruptSeeder(dir, dir / "good/f.bin", "bad", TorrentFormat::kHybrid);
  auto fetcher = OpenSession(dir / "cache-f", 0, 5);
  ASSERT_TRUE(bad && fetcher);
  auto id = fetcher->Fetch(Request(*meta, dir / "dst", {bad->endpoint()}));
  ASSERT_TRUE(id.ok()) << id.status().message();
  auto p = fetcher->Wait(*id, 30);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->state, TransferState::kStalled) << StateName(p->state);
  EXPECT_NE(p->error.find("hash check"), std::string::npos) << p->error;
  EXPECT_NE(p->error.find(bad->endpoint()), std::string::npos) << p->error;
  EXPECT_LT(p->bytes_done, kFileSize);
  EXPECT_FALSE(fs::exists(dir / "dst/got.bin"));
}

// A hybrid torrent of `v1`'s info dict with the v2 tree (pieces root and
// piece layers) of `v2`, a torrent of another file of the same name and size:
// each half is valid, but they describe different data.
std::string SpliceV2(const std::string& v1, const std::string& v2) {
  auto decode = [](const std::string& bytes) {
    return lt::entry(
        lt::bdecode(lt::span<const char>(bytes.data(), static_cast<std::ptrdiff_t>(bytes.size()))));
  };
  lt::entry out = decode(v1);
  const lt::entry from = decode(v2);
  for (auto& [name, node] : out["info"]["file tree"].dict())
    node[""]["pieces root"] = from["info"]["file tree"][name][""]["pieces root"];
  out["piece layers"] = from["piece layers"];
  std::string bytes;
  lt::bencode(std::back_inserter(bytes), out);
  return bytes;
}

// libtorrent stops a fetch whose v1 and v2 hashes disagree at its first
// piece. The session re-checks and resumes it (the way out of a race in
// libtorrent 2.0.8), so the fetch fails for good only after the last re-check,
// with the cause.
TEST(TorrentSession, ATorrentWhoseV1AndV2HashesDisagreeFailsAfterItsRechecks) {
  TempDir dir;
  for (const char* d : {"a", "b", "dst"}) fs::create_directories(dir / d);
  WriteRandom(dir / "a/f.bin", 1 << 20, 11);
  WriteRandom(dir / "b/f.bin", 1 << 20, 12);
  auto a = CreateTorrent(dir / "a/f.bin", TorrentFormat::kHybrid);
  auto b = CreateTorrent(dir / "b/f.bin", TorrentFormat::kHybrid);
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string crafted = SpliceV2(a->bytes, b->bytes);
  // The seeder finds the crafted torrent in its cache as the one it made for a/f.bin.
  ResumeCache cache(dir / "cache-s");
  ASSERT_TRUE(cache.Init().ok());
  struct stat st {};
  ASSERT_EQ(::stat((dir / "a/f.bin").c_str(), &st), 0);
  const int64_t mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  ASSERT_TRUE(
      cache.Store(cache.SeedTorrentPath("f.bin", 1 << 20, mtime_ns, TorrentFormat::kHybrid), crafted).ok());
  auto seeder = OpenSession(dir / "cache-s");
  auto fetcher = OpenSession(dir / "cache-f");
  ASSERT_TRUE(seeder && fetcher);
  auto meta = seeder->Seed(dir / "a/f.bin", TorrentFormat::kHybrid);
  ASSERT_TRUE(meta.ok()) << meta.status().message();
  ASSERT_EQ(meta->bytes, crafted) << "the seeder made its own torrent instead of using the crafted one";
  auto id = fetcher->Fetch(Request(*meta, dir / "dst", {seeder->endpoint()}));
  ASSERT_TRUE(id.ok()) << id.status().message();
  auto p = fetcher->Wait(*id, 30);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->state, TransferState::kError) << StateName(p->state) << ": " << p->error;
  EXPECT_NE(p->error.find("v1 and v2 hashes do not describe the same data"), std::string::npos) << p->error;
  EXPECT_NE(p->error.find("still after 3 re-checks"), std::string::npos) << p->error;
  EXPECT_FALSE(fs::exists(dir / "dst/got.bin"));
}

TEST(TorrentSession, UnreachablePeersAreReportedAsStalled) {
  TempDir dir;
  WriteRandom(dir / "f.bin", 1 << 20);
  auto meta = CreateTorrent(dir / "f.bin", TorrentFormat::kV1);
  ASSERT_TRUE(meta.ok());
  auto fetcher = OpenSession(dir / "cache", 0, 2);
  ASSERT_TRUE(fetcher);
  fs::create_directories(dir / "dst");
  const std::string nobody = "127.0.0.1:" + std::to_string(ss::testing::FreePort(false));
  auto id = fetcher->Fetch(Request(*meta, dir / "dst", {nobody}));
  ASSERT_TRUE(id.ok()) << id.status().message();
  auto p = fetcher->Wait(*id, 10);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->state, TransferState::kStalled);
  EXPECT_NE(p->error.find("no peer connected"), std::string::npos) << p->error;
  EXPECT_NE(p->error.find(nobody), std::string::npos) << p->error;
}

TEST(TorrentSession, RefusesToOverwriteAFinalFileAndBadPeers) {
  TempDir dir;
  WriteRandom(dir / "f.bin", 1 << 20);
  auto meta = CreateTorrent(dir / "f.bin", TorrentFormat::kV1);
  ASSERT_TRUE(meta.ok());
  auto s = OpenSession(dir / "cache");
  ASSERT_TRUE(s);
  FetchRequest r = Request(*meta, dir.path(), {});
  r.final_name = "f.bin";
  auto id = s->Fetch(r);
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.status().message().find("already exists"), std::string::npos) << id.status().message();
  r.final_name = "other.bin";
  r.peers = {"localhost:80"};
  EXPECT_FALSE(s->Fetch(r).ok());
  EXPECT_FALSE(s->Progress("00").ok());
}

// Mounting a small tmpfs needs CAP_SYS_ADMIN; elsewhere the test says so and skips.
class SmallDisk {
 public:
  SmallDisk(const std::string& path, const char* size) : path_(path) {
    fs::create_directories(path);
    const std::string opts = std::string("size=") + size;
    mounted_ = ::mount("tmpfs", path.c_str(), "tmpfs", 0, opts.c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }
  // Makes room (or takes it away), keeping the files.
  bool Resize(const char* size) {
    const std::string opts = std::string("size=") + size;
    return ::mount("tmpfs", path_.c_str(), "tmpfs", MS_REMOUNT, opts.c_str()) == 0;
  }

 private:
  std::string path_;
  bool mounted_ = false;
};

TEST(TorrentSession, FullDiskIsAClearErrorAndLeavesNoFinalFile) {
  TempDir dir;
  SmallDisk disk(dir / "small", "4m");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a 4 MiB tmpfs here (needs CAP_SYS_ADMIN)";
  WriteRandom(dir / "f.bin", kFileSize);
  auto seeder = OpenSession(dir / "cache-a");
  auto fetcher = OpenSession(dir / "cache-b");
  ASSERT_TRUE(seeder && fetcher);
  auto meta = seeder->Seed(dir / "f.bin", TorrentFormat::kHybrid);
  ASSERT_TRUE(meta.ok());
  auto id = fetcher->Fetch(Request(*meta, dir / "small", {seeder->endpoint()}));
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.status().message().find("no space left on device"), std::string::npos)
      << id.status().message();
  EXPECT_FALSE(fs::exists(dir / "small/got.bin"));
}

// Fetched by info-hash, the file's size is known only with the metadata:
// then the lack of space fails the fetch, and Retry goes on once there is room.
TEST(TorrentSession, AFetchThatFailedForLackOfSpaceGoesOnWhenRetriedWithRoom) {
  TempDir dir;
  SmallDisk disk(dir / "small", "4m");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a 4 MiB tmpfs here (needs CAP_SYS_ADMIN)";
  WriteRandom(dir / "f.bin", kFileSize, 5);
  auto seeder = OpenSession(dir / "cache-a");
  auto fetcher = OpenSession(dir / "cache-b");
  ASSERT_TRUE(seeder && fetcher);
  auto meta = seeder->Seed(dir / "f.bin", TorrentFormat::kHybrid);
  ASSERT_TRUE(meta.ok()) << meta.status().message();
  auto id = fetcher->Fetch(ByInfoHash(meta->v1_hex, dir / "small", "got.bin", {seeder->endpoint()}));
  ASSERT_TRUE(id.ok()) << id.status().message();
  auto p = fetcher->Wait(*id, 20);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->state, TransferState::kError) << StateName(p->state) << ": " << p->error;
  EXPECT_NE(p->error.find("no space left on device"), std::string::npos) << p->error;

  const Status still = fetcher->Retry(*id);
  EXPECT_NE(still.message().find("no space left on device"), std::string::npos) << still.message();
  EXPECT_EQ(fetcher->Progress(*id)->state, TransferState::kError);

  ASSERT_TRUE(disk.Resize("32m")) << std::strerror(errno);
  ASSERT_TRUE(fetcher->Retry(*id).ok());
  p = fetcher->Wait(*id, 30);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->state, TransferState::kSeeding) << StateName(p->state) << ": " << p->error;
  EXPECT_EQ(Sha(dir / "small/got.bin"), Sha(dir / "f.bin"));
}

// Two downloaders of a slow seeder that know each other trade pieces: each
// receives part of the file from the other, not only from the seeder.
TEST(TorrentSession, DownloadersTradePiecesAmongThemselves) {
  TempDir dir;
  fs::create_directories(dir / "src");
  fs::create_directories(dir / "d1");
  fs::create_directories(dir / "d2");
  WriteRandom(dir / "src/f.bin", kFileSize, 9);
  auto seeder = OpenSession(dir / "cache-s", 3 << 20);
  auto d1 = OpenSession(dir / "cache-1");
  auto d2 = OpenSession(dir / "cache-2");
  ASSERT_TRUE(seeder && d1 && d2);
  auto meta = seeder->Seed(dir / "src/f.bin", TorrentFormat::kHybrid);
  ASSERT_TRUE(meta.ok());
  auto id1 = d1->Fetch(Request(*meta, dir / "d1", {seeder->endpoint()}));
  auto id2 = d2->Fetch(Request(*meta, dir / "d2", {seeder->endpoint(), d1->endpoint()}));
  ASSERT_TRUE(id1.ok() && id2.ok());
  auto p1 = d1->Wait(*id1, 25);
  auto p2 = d2->Wait(*id2, 25);
  ASSERT_TRUE(p1.ok() && p2.ok());
  EXPECT_EQ(p1->state, TransferState::kSeeding) << p1->error;
  EXPECT_EQ(p2->state, TransferState::kSeeding) << p2->error;
  EXPECT_EQ(Sha(dir / "d1/got.bin"), Sha(dir / "src/f.bin"));
  EXPECT_EQ(Sha(dir / "d2/got.bin"), Sha(dir / "src/f.bin"));
  uint64_t from_others = 0;
  for (auto* d : {d1.get(), d2.get()}) {
    auto peers = d->Peers(meta->id());
    ASSERT_TRUE(peers.ok());
    for (const PeerStats& ps : *peers)
      if (ps.endpoint != seeder->endpoint()) from_others += ps.downloaded;
  }
  EXPECT_GT(from_others, kFileSize / 8) << "the downloaders did not trade pieces";
}

}  // namespace
}  // namespace ss::dist
