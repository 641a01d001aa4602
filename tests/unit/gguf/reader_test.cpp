// The reader against the reference models, and against hand-made bad files.
#include "gguf/reader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "testing.h"

namespace ss::gguf {
namespace {

using ss::testing::ModelPath;

struct Expected {
  const char* file;
  int vocab, embd, layers, heads, kv_heads, ff;
  double rope_base;
  bool tied;
};

const Expected kExpected[] = {
    {"tiny-spm-q8_0.gguf", 32000, 256, 8, 8, 4, 768, 10000, false},
    {"tiny-spm-q4_0.gguf", 32000, 256, 8, 8, 4, 768, 10000, false},
    {"tiny-spm-q4_k_m.gguf", 32000, 256, 8, 8, 4, 768, 10000, false},
    {"tiny-bpe-f16.gguf", 128256, 64, 4, 4, 2, 192, 500000, true},
};

// The type the README says each tensor has.
TensorType ExpectedType(const std::string& model, const std::string& tensor) {
  if (tensor.find("norm") != std::string::npos) return TensorType::F32;
  if (model == "tiny-spm-q8_0.gguf") return TensorType::Q8_0;
  if (model == "tiny-bpe-f16.gguf") return TensorType::F16;
  if (model == "tiny-spm-q4_0.gguf") return tensor == "output.weight" ? TensorType::Q6_K : TensorType::Q4_0;
  // q4_k_m: Q6_K for output and for attn_v / ffn_down of layers 0, 3, 6, 7.
  if (tensor == "output.weight") return TensorType::Q6_K;
  for (int l : {0, 3, 6, 7})
    for (const char* t : {"attn_v", "ffn_down"})
      if (tensor == "blk." + std::to_string(l) + "." + t + ".weight") return TensorType::Q6_K;
  return TensorType::Q4_K;
}

TEST(GgufReader, ReferenceModelsHaveTheDocumentedShapes) {
  for (const Expected& e : kExpected) {
    SCOPED_TRACE(e.file);
    auto f = File::Open(ModelPath(e.file));
    ASSERT_TRUE(f.ok()) << f.status().message();
    const File& file = **f;
    EXPECT_EQ(file.version(), 3u);
    EXPECT_EQ(file.alignment(), 32u);
    EXPECT_EQ(*file.GetString("general.architecture"), "llama");
    EXPECT_EQ(file.Find("tokenizer.ggml.tokens")->ArraySize(), static_cast<size_t>(e.vocab));
    EXPECT_EQ(*file.GetInt("llama.embedding_length"), e.embd);
    EXPECT_EQ(*file.GetInt("llama.block_count"), e.layers);
    EXPECT_EQ(*LayerCount(file), e.layers);
    EXPECT_EQ(*file.GetInt("llama.attention.head_count"), e.heads);
    EXPECT_EQ(*file.GetInt("llama.attention.head_count_kv"), e.kv_heads);
    EXPECT_EQ(*file.GetInt("llama.feed_forward_length"), e.ff);
    EXPECT_EQ(*file.GetInt("llama.context_length"), 512);
    EXPECT_DOUBLE_EQ(*file.GetFloat("llama.rope.freq_base"), e.rope_base);
    EXPECT_NEAR(*file.GetFloat("llama.attention.layer_norm_rms_epsilon"), 1e-5, 1e-12);

    size_t expected_tensors = 1 + 9 * static_cast<size_t>(e.layers) + 1 + (e.tied ? 0 : 1);
    EXPECT_EQ(file.tensors().size(), expected_tensors);
    EXPECT_EQ(file.FindTensor("output.weight") == nullptr, e.tied);
    const TensorInfo* embd = file.FindTensor("token_embd.weight");
    ASSERT_NE(embd, nullptr);
    EXPECT_EQ(embd->dims,
              (std::vector<uint64_t>{static_cast<uint64_t>(e.embd), static_cast<uint64_t>(e.vocab)}));
    uint64_t head_dim = static_cast<uint64_t>(e.embd / e.heads);
    for (int l = 0; l < e.layers; ++l) {
      std::string b = "blk." + std::to_string(l) + ".";
      auto dims = [&](const std::string& n) { return file.FindTensor(b + n + ".weight")->dims; };
      uint64_t E = static_cast<uint64_t>(e.embd), F = static_cast<uint64_t>(e.ff);
      EXPECT_EQ(dims("attn_q"), (std::vector<uint64_t>{E, E}));
      EXPECT_EQ(dims("attn_k"), (std::vector<uint64_t>{E, head_dim * static_cast<uint64_t>(e.kv_heads)}));
      EXPECT_EQ(dims("attn_v"), (std::vector<uint64_t>{E, head_dim * static_cast<uint64_t>(e.kv_heads)}));
      EXPECT_EQ(dims("attn_output"), (std::vector<uint64_t>{E, E}));
      EXPECT_EQ(dims("ffn_gate"), (std::vector<uint64_t>{E, F}));
      EXPECT_EQ(dims("ffn_up"), (std::vector<uint64_t>{E, F}));
      EXPECT_EQ(dims("ffn_down"), (std::vector<uint64_t>{F, E}));
      EXPECT_EQ(dims("attn_norm"), (std::vector<uint64_t>{E}));
    }
    for (const TensorInfo& t : file.tensors()) {
      EXPECT_EQ(t.type, ExpectedType(e.file, t.name)) << t.name;
      EXPECT_GE(t.data, file.bytes() + file.data_offset());
      EXPECT_LE(t.data + t.size, file.bytes() + file.file_size());
    }
  }
}

// Read resident (as a stage loads weights) the tensor data starts on a
// 64-byte boundary, though GGUF aligns it to 32 in the file, with the same
// tensors as the map.
TEST(GgufReader, ResidentTensorDataStartsOnACacheLine) {
  for (const Expected& e : kExpected) {
    SCOPED_TRACE(e.file);
    auto mapped = File::Open(ModelPath(e.file));
    auto resident = File::Open(ModelPath(e.file), FileLoad::kResident);
    ASSERT_TRUE(mapped.ok() && resident.ok());
    const File& r = **resident;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(r.bytes() + r.data_offset()) % 64, 0u);
    ASSERT_EQ(r.tensors().size(), (*mapped)->tensors().size());
    for (size_t i = 0; i < r.tensors().size(); ++i) {
      const TensorInfo& t = r.tensors()[i];
      EXPECT_EQ(t.data, r.bytes() + r.data_offset() + t.offset) << t.name;
      EXPECT_EQ(std::memcmp(t.data, (*mapped)->tensors()[i].data, t.size), 0) << t.name;
    }
  }
}

TEST(GgufReader, TokenizerVocabFilesParse) {
  for (const char* name : {"ggml-vocab-llama-bpe.gguf", "ggml-vocab-llama-spm.gguf"}) {
    auto f = File::Open(ss::testing::TestdataDir() + "/tokenizer/" + name);
    ASSERT_TRUE(f.ok()) << f.status().message();
    EXPECT_GT((*f)->Find("tokenizer.ggml.tokens")->ArraySize(), 30000u);
  }
}

TEST(GgufReader, EveryTruncationOfAModelIsAnError) {
  auto f = MappedFile::Open(ModelPath("tiny-spm-q8_0.gguf"));
  ASSERT_TRUE(f.ok());
  const uint8_t* data = (*f)->data();
  size_t size = (*f)->size();
  // Every cut inside the header, then cuts spread over the tensor data.
  auto full = File::Parse(data, size);
  ASSERT_TRUE(full.ok());
  uint64_t header = (*full)->data_offset();
  std::vector<size_t> cuts;
  for (size_t n = 0; n < header; n += (n < 4096 ? 1 : header / 400)) cuts.push_back(n);
  for (size_t n = header; n < size; n += size / 301) cuts.push_back(n);
  cuts.push_back(size - 1);
  for (size_t n : cuts) {
    // Copy the prefix so that reading past it would be seen by sanitizers.
    std::vector<uint8_t> prefix(data, data + n);
    auto r = File::Parse(prefix.data(), prefix.size());
    EXPECT_FALSE(r.ok()) << "prefix of " << n << " bytes parsed";
  }
}

// Builds GGUF bytes field by field, so a test can break exactly one field.
class Bytes {
 public:
  template <typename T>
  Bytes& Put(T v) {
    b_.insert(b_.end(), reinterpret_cast<uint8_t*>(&v), reinterpret_cast<uint8_t*>(&v) + sizeof(T));
    return *this;
  }
  Bytes& Str(const std::string& s) {
    Put<uint64_t>(s.size());
    b_.insert(b_.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& Header(uint64_t tensors, uint64_t kvs, uint32_t version = 3) {
    return Put<uint32_t>(kMagic).Put<uint32_t>(version).Put<uint64_t>(tensors).Put<uint64_t>(kvs);
  }
  Bytes& KvU32(const std::string& key, uint32_t v) { return Str(key).Put<uint32_t>(4).Put<uint32_t>(v); }
  Bytes& Tensor(const std::string& name, std::vector<uint64_t> dims, uint32_t type, uint64_t offset) {
    Str(name).Put<uint32_t>(static_cast<uint32_t>(dims.size()));
    for (uint64_t d : dims) Put<uint64_t>(d);
    return Put<uint32_t>(type).Put<uint64_t>(offset);
  }
  Bytes& PadTo(size_t align) {
    b_.resize((b_.size() + align - 1) / align * align, 0);
    return *this;
  }
  Bytes& Zeros(size_t n) {
    b_.resize(b_.size() + n, 0);
    return *this;
  }
  std::string ParseError() const {
    auto r = File::Parse(b_.data(), b_.size(), "t.gguf");
    return r.ok() ? "parsed" : r.status().message();
  }
  bool Parses() const { return File::Parse(b_.data(), b_.size()).ok(); }

 private:
  std::vector<uint8_t> b_;
};

void ExpectError(const Bytes& b, const std::string& fragment) {
  std::string e = b.ParseError();
  EXPECT_NE(e.find(fragment), std::string::npos) << "error was: " << e;
  EXPECT_NE(e.find("offset"), std::string::npos) << "error names no offset: " << e;
}

TEST(GgufReader, WellFormedMinimalFileParses) {
  Bytes b;
  b.Header(1, 1).KvU32("general.alignment", 32).Tensor("a", {32}, 0, 0).PadTo(32).Zeros(128);
  EXPECT_TRUE(b.Parses()) << b.ParseError();
}

TEST(GgufReader, RejectsEachBrokenField) {
  {
    Bytes b;
    b.Put<uint32_t>(0x12345678).Put<uint32_t>(3);
    ExpectError(b, "bad magic");
  }
  {
    Bytes b;
    b.Header(0, 0, 4);
    ExpectError(b, "unsupported GGUF version 4");
  }
  {
    Bytes b;
    b.Header(0, 0, 1);
    ExpectError(b, "unsupported GGUF version 1");
  }
  {
    Bytes b;
    b.Header(0, 1ull << 40);
    ExpectError(b, "metadata count");
  }
  {
    Bytes b;
    b.Header(1ull << 40, 0);
    ExpectError(b, "tensor count");
  }
  {
    Bytes b;
    b.Header(0, 1).Put<uint64_t>(1ull << 50).Zeros(16);
    ExpectError(b, "key length");
  }
  {
    Bytes b;
    b.Header(0, 1).Str("k").Put<uint32_t>(77);
    ExpectError(b, "unknown value type 77");
  }
  {
    Bytes b;
    b.Header(0, 1).Str("k").Put<uint32_t>(8).Put<uint64_t>(999);
    ExpectError(b, "exceeds");
  }
  {
    Bytes b;
    b.Header(0, 1).Str("k").Put<uint32_t>(7).Put<uint8_t>(2);
    ExpectError(b, "bool value 2");
  }
  {
    Bytes b;
    b.Header(0, 1).Str("k").Put<uint32_t>(9).Put<uint32_t>(4).Put<uint64_t>(1ull << 60);
    ExpectError(b, "array length");
  }
  {
    Bytes b;
    b.Header(0, 1).Str("k").Put<uint32_t>(9).Put<uint32_t>(9).Put<uint64_t>(1);
    ExpectError(b, "arrays of arrays");
  }
  {
    Bytes b;
    b.Header(0, 2).KvU32("k", 1).KvU32("k", 2);
    ExpectError(b, "appears twice");
  }
  {
    Bytes b;
    b.Header(1, 0).Tensor("t", {32, 1, 1, 1, 1}, 0, 0);
    ExpectError(b, "n_dims 5");
  }
  {
    Bytes b;
    b.Header(1, 0).Tensor("t", {32, 0}, 0, 0);
    ExpectError(b, "dim 1 = 0");
  }
  {
    Bytes b;
    b.Header(1, 0).Tensor("t", {1ull << 40, 1ull << 40}, 0, 0);
    ExpectError(b, "overflows");
  }
  {
    Bytes b;
    b.Header(1, 0).Tensor("t", {32}, 99, 0);
    ExpectError(b, "unknown tensor type id 99");
  }
  {
    Bytes b;  // 2^62 F32 elements: the byte size would overflow 64 bits
    b.Header(1, 0).Tensor("t", {1ull << 62}, 0, 0);
    ExpectError(b, "size in bytes overflows");
  }
  {
    Bytes b;
    b.Header(1, 0).Tensor("t", {33}, 8, 0);
    ExpectError(b, "block size");
  }
  {
    Bytes b;
    b.Header(1, 0).Tensor("t", {32}, 0, 7);
    ExpectError(b, "alignment");
  }
  {
    Bytes b;
    b.Header(2, 0).Tensor("t", {32}, 0, 0).Tensor("t", {32}, 0, 128);
    ExpectError(b, "appears twice");
  }
}

TEST(GgufReader, RejectsBadLayoutWithTensorNames) {
  {
    Bytes b;  // second tensor starts inside the first
    b.Header(2, 0).Tensor("a", {64}, 0, 0).Tensor("b", {32}, 0, 128).PadTo(32).Zeros(512);
    std::string e = b.ParseError();
    EXPECT_NE(e.find("'a' and 'b' overlap"), std::string::npos) << e;
  }
  {
    Bytes b;  // tensor data runs past the end of the file
    b.Header(1, 0).Tensor("a", {64}, 0, 0).PadTo(32).Zeros(100);
    std::string e = b.ParseError();
    EXPECT_NE(e.find("tensor 'a'"), std::string::npos) << e;
    EXPECT_NE(e.find("outside the file"), std::string::npos) << e;
  }
  {
    Bytes b;  // alignment that is not a power of two
    b.Header(0, 1).KvU32("general.alignment", 24);
    EXPECT_NE(b.ParseError().find("power of two"), std::string::npos);
  }
}

}  // namespace
}  // namespace ss::gguf
