// A file in memory, mapped or resident: the same bytes either way, on 2 MiB
// boundaries when resident, and clear errors for what cannot be read.
#include "util/mapped_file.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>

#include "testing.h"

namespace ss {
namespace {

std::string WriteBytes(const std::string& path, size_t n) {
  std::string bytes(n, '\0');
  for (size_t i = 0; i < n; ++i) bytes[i] = static_cast<char>((i * 2654435761u) >> 13);
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(n));
  return bytes;
}

TEST(MappedFile, ResidentHoldsTheSameBytesAsTheMap) {
  ss::testing::TempDir dir;
  for (size_t n : {size_t{1}, size_t{4095}, (size_t{5} << 20) + 17}) {
    const std::string path = dir / ("f" + std::to_string(n));
    const std::string bytes = WriteBytes(path, n);
    auto mapped = MappedFile::Open(path, FileLoad::kMapped);
    auto resident = MappedFile::Open(path, FileLoad::kResident);
    ASSERT_TRUE(mapped.ok() && resident.ok());
    ASSERT_EQ((*resident)->size(), n);
    EXPECT_EQ(std::memcmp((*mapped)->data(), bytes.data(), n), 0);
    EXPECT_EQ(std::memcmp((*resident)->data(), bytes.data(), n), 0);
    EXPECT_EQ(reinterpret_cast<uintptr_t>((*resident)->data()) % (2u << 20), 0u)
        << "not on a huge page boundary";
    // Release must not drop the only copy of a resident file.
    (*resident)->Release((*resident)->data(), n);
    EXPECT_EQ(std::memcmp((*resident)->data(), bytes.data(), n), 0);
  }
}

// A resident file can put any byte of it on a cache line (a GGUF its tensor
// data), still the same bytes, writable where they are.
TEST(MappedFile, ResidentPutsTheAskedByteOnA64ByteBoundary) {
  ss::testing::TempDir dir;
  const std::string path = dir / "f";
  const std::string bytes = WriteBytes(path, 10000);
  for (uint64_t at : {0, 1, 32, 63, 64, 100, 9999}) {
    auto resident = MappedFile::Open(path, FileLoad::kResident, at);
    ASSERT_TRUE(resident.ok());
    const MappedFile& f = **resident;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(f.data() + at) % 64, 0u) << "byte " << at;
    EXPECT_EQ(f.mutable_data(), f.data());
    ASSERT_EQ(f.size(), bytes.size());
    EXPECT_EQ(std::memcmp(f.data(), bytes.data(), bytes.size()), 0) << "byte " << at;
  }
}

TEST(MappedFile, EmptyMissingAndDirectoryFiles) {
  ss::testing::TempDir dir;
  const std::string empty = dir / "empty";
  WriteBytes(empty, 0);
  for (FileLoad load : {FileLoad::kMapped, FileLoad::kResident}) {
    auto e = MappedFile::Open(empty, load);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ((*e)->size(), 0u);
    auto missing = MappedFile::Open(dir / "missing", load);
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.status().message().find("No such file"), std::string::npos)
        << missing.status().message();
    auto folder = MappedFile::Open(dir / "", load);
    ASSERT_FALSE(folder.ok());
    EXPECT_NE(folder.status().message().find("not a regular file"), std::string::npos)
        << folder.status().message();
  }
}

}  // namespace
}  // namespace ss
