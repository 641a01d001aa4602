#include "gguf/writer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "gguf/reader.h"
#include "testing.h"

namespace ss::gguf {
namespace {

TEST(GgufWriter, RoundTripsEveryValueTypeAndTensorBytes) {
  ss::testing::TempDir dir;
  Writer w;
  w.SetMetadata("general.alignment", Value::U32(64));
  w.SetMetadata("u8", Value::Scalar(ValueType::UINT8, 200));
  w.SetMetadata("i8", Value::Scalar(ValueType::INT8, static_cast<uint64_t>(int64_t{-5})));
  w.SetMetadata("u16", Value::Scalar(ValueType::UINT16, 65000));
  w.SetMetadata("i16", Value::Scalar(ValueType::INT16, static_cast<uint64_t>(int64_t{-30000})));
  w.SetMetadata("i32", Value::I32(-7));
  w.SetMetadata("f32", Value::F32(0.1f));
  w.SetMetadata("bool", Value::Bool(true));
  w.SetMetadata("str", Value::String("héllo"));
  w.SetMetadata("u64", Value::U64(1ull << 40));
  w.SetMetadata("i64", Value::Scalar(ValueType::INT64, static_cast<uint64_t>(int64_t{-1} << 40)));
  double d = 2.5;
  uint64_t dbits;
  std::memcpy(&dbits, &d, 8);
  w.SetMetadata("f64", Value::Scalar(ValueType::FLOAT64, dbits));
  w.SetMetadata("strs", Value::StringArray({"a", "", "ccc"}));
  w.SetMetadata("floats", Value::F32Array({1.5f, -2.0f}));
  w.SetMetadata("ints", Value::I32Array({1, -2, 3}));
  ASSERT_TRUE(w.AddTensor("x", {64, 3}, TensorType::F32).ok());
  ASSERT_TRUE(w.AddTensor("q", {32, 2}, TensorType::Q8_0).ok());
  EXPECT_FALSE(w.AddTensor("bad", {33}, TensorType::Q8_0).ok());

  std::vector<uint8_t> x(64 * 3 * 4), q(2 * 34);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<uint8_t>(i * 7);
  for (size_t i = 0; i < q.size(); ++i) q[i] = static_cast<uint8_t>(i * 13 + 1);
  std::string path = dir / "t.gguf";
  auto out = OutputFile::Create(path);
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(w.Begin(out->get()).ok());
  ASSERT_TRUE(w.Append(x.data(), 100).ok());  // in uneven pieces
  ASSERT_TRUE(w.Append(x.data() + 100, x.size() - 100).ok());
  ASSERT_TRUE(w.Append(q.data(), q.size()).ok());
  ASSERT_TRUE(w.Finish().ok());
  ASSERT_TRUE((*out)->Commit().ok());
  EXPECT_EQ(ss::testing::FileSize(path), w.TotalSize());

  auto f = File::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ((*f)->version(), 3u);
  EXPECT_EQ((*f)->alignment(), 64u);
  EXPECT_EQ((*f)->metadata(), w.metadata());
  EXPECT_EQ((*f)->Find("i8")->AsInt(), -5);
  EXPECT_FLOAT_EQ(static_cast<float>((*f)->Find("f32")->AsDouble()), 0.1f);
  EXPECT_EQ((*f)->Find("strs")->Strings()[2], "ccc");
  const TensorInfo* tx = (*f)->FindTensor("x");
  const TensorInfo* tq = (*f)->FindTensor("q");
  ASSERT_TRUE(tx && tq);
  EXPECT_EQ(0, std::memcmp(tx->data, x.data(), x.size()));
  EXPECT_EQ(0, std::memcmp(tq->data, q.data(), q.size()));
  EXPECT_EQ(tq->offset % 64, 0u);
}

TEST(GgufWriter, FinishRefusesMissingData) {
  ss::testing::TempDir dir;
  Writer w;
  ASSERT_TRUE(w.AddTensor("x", {4}, TensorType::F32).ok());
  auto out = OutputFile::Create(dir / "t.gguf");
  ASSERT_TRUE(w.Begin(out->get()).ok());
  float v = 1;
  ASSERT_TRUE(w.Append(&v, 4).ok());
  EXPECT_FALSE(w.Finish().ok());
  EXPECT_FALSE(w.Append(std::vector<uint8_t>(100).data(), 100).ok());
}

TEST(OutputFile, UncommittedFileLeavesNothingBehind) {
  ss::testing::TempDir dir;
  {
    auto out = OutputFile::Create(dir / "a.bin");
    ASSERT_TRUE((*out)->Write("abc", 3).ok());
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "a.bin"));
  EXPECT_FALSE(std::filesystem::exists(dir / "a.bin.part"));
}

}  // namespace
}  // namespace ss::gguf
