// The tokenizer against llama.cpp: its own test vectors for both vocabulary
// families, and the prompt tokens and greedy text of the reference runs.
#include "model/tokenizer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gguf/reader.h"
#include "model/chat_template.h"
#include "model/detokenizer.h"
#include "testing.h"

namespace ss::model {
namespace {

namespace fs = std::filesystem;
using ss::testing::TestdataDir;

Tokenizer LoadTokenizer(const std::string& path) {
  auto file = gguf::File::Open(path);
  EXPECT_TRUE(file.ok()) << file.status().message();
  auto tokenizer = Tokenizer::Load(**file);
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  return std::move(*tokenizer);
}

// The .inp file is every test string followed by "\n__ggml_vocab_test__\n"
// (so a string's own trailing newlines come before that separator line).
std::vector<std::string> ReadInputs(const std::string& path) {
  const std::string text = ss::testing::ReadFile(path);
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> out;
  size_t pos = 0;
  for (size_t hit; (hit = text.find(sep, pos)) != std::string::npos; pos = hit + sep.size())
    out.push_back(text.substr(pos, hit - pos));
  EXPECT_EQ(pos, text.size()) << "text after the last separator";
  return out;
}

// One line of ids per input string (an empty string has an empty line).
std::vector<std::vector<int32_t>> ReadOutputs(const std::string& path) {
  std::istringstream in(ss::testing::ReadFile(path));
  std::vector<std::vector<int32_t>> out;
  for (std::string line; std::getline(in, line);) {
    std::istringstream ids(line);
    out.emplace_back();
    for (int32_t id; ids >> id;) out.back().push_back(id);
  }
  return out;
}

std::string Printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else
      out += static_cast<char>(c);
  }
  return out;
}

class VocabVectors : public ::testing::TestWithParam<const char*> {};

TEST_P(VocabVectors, MatchLlamaCpp) {
  const std::string base = TestdataDir() + "/tokenizer/ggml-vocab-llama-" + GetParam() + ".gguf";
  const Tokenizer tokenizer = LoadTokenizer(base);
  const auto inputs = ReadInputs(base + ".inp");
  const auto expected = ReadOutputs(base + ".out");
  ASSERT_EQ(inputs.size(), expected.size());
  ASSERT_EQ(inputs.size(), 46u);
  int passed = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto ids = tokenizer.Tokenize(inputs[i], /*add_special=*/false, /*parse_special=*/false);
    ASSERT_TRUE(ids.ok()) << ids.status().message();
    EXPECT_EQ(*ids, expected[i]) << "input " << i << ": '" << Printable(inputs[i]) << "'";
    passed += *ids == expected[i];
  }
  RecordProperty("vectors_passed", passed);
  EXPECT_EQ(passed, 46);
}

INSTANTIATE_TEST_SUITE_P(Tokenizer, VocabVectors, ::testing::Values("spm", "bpe"));

std::vector<uint8_t> FromHex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

TEST(TokenizerReference, PromptsAndGreedyTextMatchLlamaCpp) {
  const std::string ref = TestdataDir() + "/reference";
  int checked = 0;
  for (const auto& dir : fs::directory_iterator(ref)) {
    const std::string model = dir.path().filename().string();
    const std::string model_path = TestdataDir() + "/models/" + model + ".gguf";
    if (!fs::exists(model_path)) continue;
    const Tokenizer tokenizer = LoadTokenizer(model_path);
    for (const auto& entry : fs::directory_iterator(dir.path())) {
      const std::string name = entry.path().filename().string();
      if (name.size() < 11 || name.substr(name.size() - 11) != ".kvf16.json") continue;
      SCOPED_TRACE(model + "/" + name);
      const auto json = nlohmann::json::parse(ss::testing::ReadFile(entry.path().string()));
      ASSERT_TRUE(json["settings"]["add_special"].get<bool>());
      ASSERT_TRUE(json["settings"]["parse_special"].get<bool>());
      const std::string prompt = ss::testing::ReadFile(ref + "/" + json["prompt_file"].get<std::string>());
      auto ids = tokenizer.Tokenize(prompt, true, true);
      ASSERT_TRUE(ids.ok()) << ids.status().message();
      EXPECT_EQ(*ids, json["prompt_tokens"].get<std::vector<int32_t>>());

      const auto greedy = json["greedy_tokens"].get<std::vector<int32_t>>();
      const std::vector<uint8_t> expected = FromHex(json["greedy_text_hex"].get<std::string>());
      const std::string whole = tokenizer.Detokenize(greedy);
      EXPECT_EQ(std::vector<uint8_t>(whole.begin(), whole.end()), expected);
      Detokenizer stream(tokenizer);
      std::string streamed;
      for (int32_t id : greedy) streamed += stream.Push(id);
      streamed += stream.Flush();
      EXPECT_EQ(std::vector<uint8_t>(streamed.begin(), streamed.end()), expected);
      const auto pieces = json["greedy_pieces_hex"].get<std::vector<std::string>>();
      for (size_t i = 0; i < greedy.size(); ++i) {
        const std::string& piece = tokenizer.TokenToPiece(greedy[i]);
        EXPECT_EQ(std::vector<uint8_t>(piece.begin(), piece.end()), FromHex(pieces[i]))
            << "token " << greedy[i];
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, 20);
}

// A Llama 3 chat prompt: the control tokens in the rendered text are parsed
// (Llama 3 ids: 128000 BOS, 128006/128007 header marks, 128009 end of turn).
TEST(TokenizerReference, Llama3ChatPromptParsesControlTokens) {
  const Tokenizer tokenizer = LoadTokenizer(TestdataDir() + "/models/tiny-bpe-f16.gguf");
  const std::string prompt = RenderChat(ChatFormat::kLlama3, {{"user", "Hi"}}, true);
  auto ids = tokenizer.Tokenize(prompt, true, true);
  ASSERT_TRUE(ids.ok()) << ids.status().message();
  EXPECT_EQ(*ids, (std::vector<int32_t>{128000, 128006, 882, 128007, 271, 13347, 128009, 128006, 78191,
                                        128007, 271}));
  EXPECT_TRUE(tokenizer.vocab().IsEog(128009));
  EXPECT_TRUE(tokenizer.vocab().IsEog(128001));
  // Not parsed, the same text is ordinary characters.
  auto literal = tokenizer.Tokenize("<|eot_id|>", false, false);
  ASSERT_TRUE(literal.ok());
  EXPECT_GT(literal->size(), 1u);
  EXPECT_EQ(tokenizer.Detokenize(*literal), "<|eot_id|>");
}

}  // namespace
}  // namespace ss::model
