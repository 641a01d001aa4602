// CheckRoomFor: the free space of the file's filesystem, crediting only the
// blocks its .part file really holds.
#include "util/file_io.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <string>

#include "testing.h"

namespace ss {
namespace {

uint64_t FreeBytes(const std::string& dir) {
  struct statvfs vfs {};
  EXPECT_EQ(::statvfs(dir.c_str(), &vfs), 0);
  return static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
}

// A .part file of `bytes` written out (allocated), or only truncated to that size (sparse).
void MakePart(const std::string& path, uint64_t bytes, bool allocated) {
  const int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  if (allocated) {
    const std::string chunk(1 << 20, 'x');
    for (uint64_t done = 0; done < bytes; done += chunk.size())
      ASSERT_EQ(::write(fd, chunk.data(), chunk.size()), static_cast<ssize_t>(chunk.size()));
    ASSERT_EQ(::fsync(fd), 0);
  } else {
    ASSERT_EQ(::ftruncate(fd, static_cast<off_t>(bytes)), 0);
  }
  ::close(fd);
}

TEST(CheckRoomFor, AFileLargerThanTheFreeSpaceIsAnErrorNamingIt) {
  ss::testing::TempDir dir;
  EXPECT_TRUE(CheckRoomFor(dir / "small.bin", 1 << 20).ok());
  const Status s = CheckRoomFor(dir / "huge.bin", uint64_t{1} << 62);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no space left on device for huge.bin in " + dir.path() + ": it needs"),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("are free"), std::string::npos) << s.message();
}

// 32 MiB already on disk in the .part file count toward a file 16 MiB larger
// than the free space; 1 GiB of holes do not.
TEST(CheckRoomFor, OnlyThePartFilesAllocatedBlocksAreCredited) {
  ss::testing::TempDir dir;
  constexpr uint64_t kMiB = 1 << 20;
  MakePart(dir / "a.bin.part", 32 * kMiB, true);
  EXPECT_TRUE(CheckRoomFor(dir / "a.bin", FreeBytes(dir.path()) + 16 * kMiB).ok());
  MakePart(dir / "b.bin.part", 1024 * kMiB, false);
  const Status s = CheckRoomFor(dir / "b.bin", FreeBytes(dir.path()) + 16 * kMiB);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no space left on device for b.bin"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace ss
