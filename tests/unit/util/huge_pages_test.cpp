// Memory for streamed weights: 2 MiB-aligned, zeroed, owned by one object at a
// time, and a clear error for a size that cannot be had.
#include "util/huge_pages.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <utility>

namespace ss {
namespace {

TEST(HugePageBuffer, IsAlignedZeroedAndMovesItsMemory) {
  for (size_t n : {size_t{1}, size_t{4097}, (size_t{5} << 20) + 3}) {
    auto buf = HugePageBuffer::Allocate(n);
    ASSERT_TRUE(buf.ok()) << buf.status().message();
    ASSERT_EQ(buf->size(), n);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(buf->data()) % (size_t{2} << 20), 0u);
    for (size_t i = 0; i < n; i += 4093) EXPECT_EQ(buf->data()[i], 0) << i;
    std::memset(buf->data(), 0x5A, n);  // every byte is writable
    uint8_t* data = buf->data();
    HugePageBuffer moved = std::move(*buf);
    EXPECT_EQ(moved.data(), data);
    EXPECT_EQ(moved.data()[n - 1], 0x5A);
    EXPECT_EQ(buf->data(), nullptr);
    EXPECT_EQ(buf->size(), 0u);
  }
  auto empty = HugePageBuffer::Allocate(0);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->data(), nullptr);
}

TEST(HugePageBuffer, AnImpossibleSizeIsAnErrorNamingIt) {
  auto buf = HugePageBuffer::Allocate(size_t{1} << 62);
  ASSERT_FALSE(buf.ok());
  EXPECT_NE(buf.status().message().find("cannot allocate"), std::string::npos) << buf.status().message();
}

}  // namespace
}  // namespace ss
