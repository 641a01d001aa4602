#include "vocab_fixture.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "gguf/writer.h"
#include "util/file_io.h"

namespace ss::model::testing {

std::unique_ptr<gguf::File> WriteVocabFile(const ss::testing::TempDir& dir,
                                           const std::vector<gguf::KeyValue>& kvs) {
  static int counter = 0;
  const std::string path = dir / ("vocab" + std::to_string(counter++) + ".gguf");
  gguf::Writer writer;
  writer.SetMetadata("general.architecture", gguf::Value::String("llama"));
  for (const auto& kv : kvs) writer.SetMetadata(kv.key, kv.value);
  auto out = OutputFile::Create(path);
  EXPECT_TRUE(out.ok()) << out.status().message();
  EXPECT_TRUE(writer.Begin(out->get()).ok());
  EXPECT_TRUE(writer.Finish().ok());
  EXPECT_TRUE((*out)->Close().ok());
  EXPECT_TRUE((*out)->Commit().ok());
  auto file = gguf::File::Open(path);
  EXPECT_TRUE(file.ok()) << file.status().message();
  return file.ok() ? std::move(*file) : nullptr;
}

std::vector<gguf::KeyValue> SpmVocab(const std::vector<std::string>& pieces) {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<int32_t> types = {2, 3, 3};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    tokens.push_back(name);
    types.push_back(6);
  }
  std::vector<float> scores(tokens.size(), 0.0f);
  for (size_t i = 0; i < pieces.size(); ++i) {
    tokens.push_back(pieces[i]);
    types.push_back(1);
    scores.push_back(-static_cast<float>(i));
  }
  return {
      {"tokenizer.ggml.model", gguf::Value::String("llama")},
      {"tokenizer.ggml.tokens", gguf::Value::StringArray(tokens)},
      {"tokenizer.ggml.scores", gguf::Value::F32Array(scores)},
      {"tokenizer.ggml.token_type", gguf::Value::I32Array(types)},
  };
}

void SetKey(std::vector<gguf::KeyValue>& kvs, const std::string& key, gguf::Value value) {
  for (auto& kv : kvs)
    if (kv.key == key) {
      kv.value = std::move(value);
      return;
    }
  kvs.push_back({key, std::move(value)});
}

}  // namespace ss::model::testing
