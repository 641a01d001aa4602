#include "model/tokenizer.h"

#include <gtest/gtest.h>

#include "model/detokenizer.h"
#include "testing.h"
#include "vocab_fixture.h"

namespace ss::model {
namespace {

using testing::SpmVocab;
using testing::WriteVocabFile;

// Ids in the fixture vocabulary: 0 <unk>, 1 <s>, 2 </s>, 3 + b for byte b,
// then the pieces below from 259 on.
constexpr int32_t kBos = 1, kEos = 2;
int32_t Byte(uint8_t b) { return 3 + b; }
enum : int32_t { kSpace = 259, kA, kB, kSpaceA, kAB, kSpaceAB, kEAcute };

Tokenizer SpmTokenizer() {
  ss::testing::TempDir dir;
  // Pieces in descending score order: "▁ab" outranks "▁a" + "b".
  auto file = WriteVocabFile(dir, SpmVocab({"\xE2\x96\x81", "a", "b",
                                            "\xE2\x96\x81"
                                            "a",
                                            "ab",
                                            "\xE2\x96\x81"
                                            "ab",
                                            "\xC3\xA9"}));
  auto tokenizer = Tokenizer::Load(*file);
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status().message();
  return std::move(*tokenizer);
}

std::vector<int32_t> Ids(const Tokenizer& t, std::string_view text, bool add_special = false,
                         bool parse_special = false) {
  auto ids = t.Tokenize(text, add_special, parse_special);
  EXPECT_TRUE(ids.ok()) << ids.status().message();
  return ids.ok() ? *ids : std::vector<int32_t>{};
}

TEST(Tokenizer, SpmMergesAddsSpacePrefixAndFallsBackToBytes) {
  const Tokenizer t = SpmTokenizer();
  EXPECT_EQ(Ids(t, ""), std::vector<int32_t>{});
  EXPECT_EQ(Ids(t, "", true), std::vector<int32_t>{kBos});
  EXPECT_EQ(Ids(t, "ab"), (std::vector<int32_t>{kSpaceAB}));
  EXPECT_EQ(Ids(t, "ab a", true), (std::vector<int32_t>{kBos, kSpaceAB, kSpaceA}));
  EXPECT_EQ(Ids(t, "b\xC3\xA9"), (std::vector<int32_t>{kSpace, kB, kEAcute}));
  // 'z' and '東' are not pieces: spelled as byte tokens.
  EXPECT_EQ(Ids(t, "z\xE6\x9D\xB1"),
            (std::vector<int32_t>{kSpace, Byte('z'), Byte(0xE6), Byte(0x9D), Byte(0xB1)}));
}

TEST(Tokenizer, ParsesSpecialTokenTextsOnlyWhenAsked) {
  const Tokenizer t = SpmTokenizer();
  // Literal text: '<', 's', '>' have no pieces, so they become bytes.
  EXPECT_EQ(Ids(t, "<s>a"), (std::vector<int32_t>{kSpace, Byte('<'), Byte('s'), Byte('>'), kA}));
  // Parsed: the control token, then the text after it gets its own space prefix.
  EXPECT_EQ(Ids(t, "<s>a", false, true), (std::vector<int32_t>{kBos, kSpaceA}));
}

TEST(Tokenizer, RejectsInvalidUtf8WithOffset) {
  const Tokenizer t = SpmTokenizer();
  auto ids = t.Tokenize("ab\xFF", true, false);
  ASSERT_FALSE(ids.ok());
  EXPECT_EQ(ids.status().message(), "invalid UTF-8 at byte 2");
}

TEST(Tokenizer, PiecesAreRawBytes) {
  const Tokenizer t = SpmTokenizer();
  EXPECT_EQ(t.TokenToPiece(kSpaceA), " a");
  EXPECT_EQ(t.TokenToPiece(Byte('A')), "A");
  EXPECT_EQ(t.TokenToPiece(Byte(0xE6)), "\xE6");
  EXPECT_EQ(t.TokenToPiece(kBos), "");
  EXPECT_EQ(t.TokenToPiece(kBos, /*render_special=*/true), "<s>");
  EXPECT_EQ(t.TokenToPiece(-1), "");
  EXPECT_EQ(t.TokenToPiece(100000), "");
}

TEST(Tokenizer, DetokenizeStripsTheFirstSpaceLikeLlamaCpp) {
  const Tokenizer t = SpmTokenizer();
  EXPECT_EQ(t.Detokenize({kSpaceA, kSpaceAB}), "a ab");
  // BOS is the first token and takes the strip with it (llama.cpp does the same).
  EXPECT_EQ(t.Detokenize({kBos, kSpaceA, kEos}), " a");
  EXPECT_EQ(t.Detokenize({kBos, kSpaceA}, /*remove_special=*/true), " a");
  EXPECT_EQ(t.Detokenize({kBos, kSpaceA}, false, /*render_special=*/true), "<s> a");
}

std::vector<std::string> Stream(const Tokenizer& t, const std::vector<int32_t>& ids,
                                DetokenizerOptions options = {}) {
  Detokenizer d(t, options);
  std::vector<std::string> out;
  for (int32_t id : ids) out.push_back(d.Push(id));
  out.push_back(d.Flush());
  return out;
}

TEST(Detokenizer, HoldsBackUnfinishedCharacters) {
  const Tokenizer t = SpmTokenizer();
  // 東 (E6 9D B1) arrives one byte token at a time, then a 🚀 (F0 9F 9A 80).
  EXPECT_EQ(Stream(t, {kSpaceA, Byte(0xE6), Byte(0x9D), Byte(0xB1), Byte(0xF0), Byte(0x9F), Byte(0x9A),
                       Byte(0x80)}),
            (std::vector<std::string>{"a", "", "", "\xE6\x9D\xB1", "", "", "", "\xF0\x9F\x9A\x80", ""}));
}

TEST(Detokenizer, PassesInvalidBytesThroughAsIs) {
  const Tokenizer t = SpmTokenizer();
  // A lead byte followed by a non-continuation: both go out unchanged.
  EXPECT_EQ(Stream(t, {Byte(0xE6), kA}), (std::vector<std::string>{"",
                                                                   "\xE6"
                                                                   "a",
                                                                   ""}));
  // A stray continuation byte is never "unfinished".
  EXPECT_EQ(Stream(t, {Byte(0x80), kA}), (std::vector<std::string>{"\x80", "a", ""}));
  // A sequence still open at the end comes out of Flush.
  EXPECT_EQ(Stream(t, {kA, Byte(0xE6), Byte(0x9D)}), (std::vector<std::string>{"a", "", "", "\xE6\x9D"}));
}

TEST(Detokenizer, LeadingSpaceFollowsLlamaCpp) {
  const Tokenizer t = SpmTokenizer();
  EXPECT_EQ(Stream(t, {kSpaceA, kSpaceA}), (std::vector<std::string>{"a", " a", ""}));
  EXPECT_EQ(Stream(t, {kBos, kSpaceA}), (std::vector<std::string>{"", " a", ""}));
  EXPECT_EQ(Stream(t, {kSpaceA}, {.sequence_start = false}), (std::vector<std::string>{" a", ""}));
  EXPECT_EQ(Stream(t, {kBos, kSpaceA}, {.render_special = true}),
            (std::vector<std::string>{"<s>", " a", ""}));
}

TEST(Detokenizer, StreamEqualsWholeSequence) {
  const Tokenizer t = SpmTokenizer();
  const std::string text = "ab a b\xC3\xA9 z\xE6\x9D\xB1 \xF0\x9F\x9A\x80!";
  const std::vector<int32_t> ids = Ids(t, text, true);
  std::string streamed;
  for (const std::string& s : Stream(t, ids)) streamed += s;
  EXPECT_EQ(streamed, t.Detokenize(ids));
  EXPECT_EQ(streamed, " " + text);  // after BOS the prefix space stays
}

}  // namespace
}  // namespace ss::model
