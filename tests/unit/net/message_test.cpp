#include "net/message.h"

#include <gtest/gtest.h>

#include <string>

namespace ss::net {
namespace {

std::string ErrorOf(std::string_view text, size_t max = 1 << 20) {
  auto r = ParseControlMessage(text, max);
  return r.ok() ? "" : r.status().message();
}

TEST(ControlMessage, AcceptsValidMessages) {
  auto m = ParseControlMessage(R"({"type":"GET_CAPABILITIES","id":7,"x":[1,2]})", 1024);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ((*m)["type"], "GET_CAPABILITIES");
  EXPECT_EQ((*m)["id"], 7);
  EXPECT_TRUE(ParseControlMessage(R"({"type":"A"})", 1024).ok());
  EXPECT_TRUE(ParseControlMessage(R"({"type":"FORWARD_2","id":"req-1"})", 1024).ok());
  EXPECT_TRUE(ParseControlMessage(R"({"type":"X","id":-3})", 1024).ok());
  EXPECT_TRUE(ParseControlMessage(R"({"type":"X","id":18446744073709551615})", 1024).ok());
  EXPECT_TRUE(ParseControlMessage("{\"type\":\"" + std::string(40, 'Z') + "\"}", 1024).ok());
  EXPECT_TRUE(ParseControlMessage("{\"type\":\"X\",\"id\":\"" + std::string(64, 'i') + "\"}", 1024).ok());
}

TEST(ControlMessage, RefusesWithTheFieldNamed) {
  EXPECT_NE(ErrorOf("{\"type\":\"X\"}", 5).find("limit is 5"), std::string::npos);
  EXPECT_EQ(ErrorOf("not json").rfind("message is not valid JSON: ", 0), 0u);
  EXPECT_EQ(ErrorOf("").rfind("message is not valid JSON: ", 0), 0u);
  EXPECT_EQ(ErrorOf("{\"type\":\"X\"} trailing").rfind("message is not valid JSON: ", 0), 0u);
  EXPECT_EQ(ErrorOf("{\"type\":\"\xff\"}").rfind("message is not valid JSON: ", 0), 0u);  // not UTF-8
  EXPECT_EQ(ErrorOf("[1,2,3]"), "message must be a JSON object");
  EXPECT_EQ(ErrorOf("\"GET_STATUS\""), "message must be a JSON object");
  EXPECT_EQ(ErrorOf("{}"), "missing field \"type\"");
  EXPECT_EQ(ErrorOf("{\"type\":5}"), "field \"type\" must be a string");
  EXPECT_NE(ErrorOf("{\"type\":\"\"}").find("field \"type\" must be 1-40"), std::string::npos);
  EXPECT_NE(ErrorOf("{\"type\":\"" + std::string(41, 'A') + "\"}").find("\"type\""), std::string::npos);
  EXPECT_EQ(ErrorOf("{\"type\":\"get_status\"}"), "field \"type\" may only contain A-Z, 0-9 and _");
  EXPECT_EQ(ErrorOf("{\"type\":\"A B\"}"), "field \"type\" may only contain A-Z, 0-9 and _");
  EXPECT_EQ(ErrorOf("{\"type\":\"X\",\"id\":1.5}"), "field \"id\" must be an integer or a string");
  EXPECT_EQ(ErrorOf("{\"type\":\"X\",\"id\":null}"), "field \"id\" must be an integer or a string");
  EXPECT_EQ(ErrorOf("{\"type\":\"X\",\"id\":{}}"), "field \"id\" must be an integer or a string");
  EXPECT_NE(ErrorOf("{\"type\":\"X\",\"id\":\"" + std::string(65, 'i') + "\"}").find("\"id\""),
            std::string::npos);
}

// Nesting is bounded (util/json_parse.h): a deep value would overflow the
// stack of the handler that copies or prints it.
TEST(ControlMessage, DeeplyNestedInputIsRefusedNotCrashing) {
  std::string deep(100000, '[');
  EXPECT_EQ(ErrorOf(deep).rfind("message is not valid JSON: ", 0), 0u);
  std::string nested = "{\"type\":\"X\",\"a\":" + std::string(20000, '[') + std::string(20000, ']') + "}";
  EXPECT_EQ(ErrorOf(nested, 1 << 20), "message is nested deeper than 64 levels");
  std::string fine = "{\"type\":\"X\",\"a\":" + std::string(60, '[') + std::string(60, ']') + "}";
  EXPECT_TRUE(ParseControlMessage(fine, 1 << 20).ok());
}

TEST(ControlMessage, Replies) {
  nlohmann::json req = {{"type", "GET_STATUS"}, {"id", 9}, {"extra", true}};
  EXPECT_EQ(OkReply(req), (nlohmann::json{{"type", "GET_STATUS"}, {"id", 9}, {"status", "ok"}}));
  nlohmann::json err = ErrorReply(req, "boom");
  EXPECT_EQ(err["status"], "error");
  EXPECT_EQ(err["error"], "boom");
  EXPECT_EQ(err["id"], 9);
  EXPECT_TRUE(IsErrorReply(err));
  EXPECT_FALSE(IsErrorReply(OkReply(req)));
  // Nothing to echo, or nothing valid to echo.
  EXPECT_EQ(ErrorReply(nullptr, "x"), (nlohmann::json{{"status", "error"}, {"error", "x"}}));
  nlohmann::json bad = ErrorReply({{"type", "lower"}, {"id", 1.5}}, "x");
  EXPECT_FALSE(bad.contains("type"));
  EXPECT_FALSE(bad.contains("id"));
}

TEST(ControlMessage, ReplyEnvelopeOfInvalidText) {
  EXPECT_EQ(ReplyEnvelopeOf("{\"type\":\"bad type\",\"id\":4}"), (nlohmann::json{{"id", 4}}));
  EXPECT_TRUE(ReplyEnvelopeOf("garbage").is_null());
  EXPECT_TRUE(ReplyEnvelopeOf("[1]").is_null());
  EXPECT_TRUE(ReplyEnvelopeOf("{\"id\":[]}").is_null());
}

TEST(ControlMessage, SerializeNeverThrowsOnBadUtf8) {
  nlohmann::json j = {{"error", std::string("bad \xff\xfe bytes")}};
  std::string s;
  ASSERT_NO_THROW(s = SerializeMessage(j));
  EXPECT_TRUE(ParseControlMessage("{\"type\":\"X\",\"e\":" + SerializeMessage(j["error"]) + "}", 1024).ok());
}

}  // namespace
}  // namespace ss::net
