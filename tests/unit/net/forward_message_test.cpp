// FORWARD messages: the header round trip (stage timings included) and what
// a malformed "timings" field gets.
#include "net/forward_message.h"

#include <gtest/gtest.h>

#include <cstring>

namespace ss::net {
namespace {

ForwardHeader Header(int stage) {
  ForwardHeader h;
  h.session = 7;
  h.step = 3;
  h.origin = "gateway";
  h.stage = stage;
  h.route = {{"p0", "127.0.0.1:1"}, {"p1", "127.0.0.1:2"}, {"p2", "127.0.0.1:3"}};
  return h;
}

ActivationFrame Tokens() {
  ActivationFrame f;
  f.kind = ActivationKind::kTokens;
  f.session = 7;
  f.request_id = 3;
  f.rows = {{0, 1}, {1, 42}};
  return f;
}

// The message with its JSON header replaced by `header`.
std::vector<uint8_t> WithHeader(const std::vector<uint8_t>& message, const std::string& header) {
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= static_cast<uint32_t>(message[i]) << (8 * i);
  std::vector<uint8_t> out(4 + header.size());
  for (int i = 0; i < 4; ++i) out[i] = static_cast<uint8_t>(header.size() >> (8 * i));
  std::memcpy(out.data() + 4, header.data(), header.size());
  out.insert(out.end(), message.begin() + 4 + n, message.end());
  return out;
}

TEST(ForwardMessage, TimingsOfEarlierStagesRoundTrip) {
  ForwardHeader h = Header(2);
  h.timings = {{0.5, 3.25}, {0, 1.5}};
  auto bytes = EncodeForward(h, Tokens());
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  auto m = DecodeForward(bytes->data(), bytes->size(), 16, 16);
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ(m->header.timings.size(), 2u);
  EXPECT_EQ(m->header.timings[0].wait_ms, 0.5);
  EXPECT_EQ(m->header.timings[0].compute_ms, 3.25);
  EXPECT_EQ(m->header.timings[1].compute_ms, 1.5);
}

TEST(ForwardMessage, MalformedTimingsAreRefusedByName) {
  auto good = EncodeForward(Header(1), Tokens());
  ASSERT_TRUE(good.ok());
  const std::string base =
      R"({"type":"FORWARD","session":7,"step":3,"origin":"gateway","stage":1,)"
      R"("route":[{"peer_id":"p0","endpoint":"a:1"},{"peer_id":"p1","endpoint":"a:2"}],)";
  for (const std::string timings : {R"("timings":[[1,2],[3,4]])",  // more than the stages before
                                    R"("timings":[[-1,2]])", R"("timings":[[1]])", R"("timings":[["1",2]])",
                                    R"("timings":{"a":1})", R"("timings":[[1e300,2]])"}) {
    auto bytes = WithHeader(*good, base + timings + "}");
    auto m = DecodeForward(bytes.data(), bytes.size(), 16, 16);
    ASSERT_FALSE(m.ok()) << timings;
    EXPECT_NE(m.status().message().find("\"timings\""), std::string::npos) << m.status().message();
  }
  auto ok = WithHeader(*good, base + R"("timings":[[1,2]]})");
  EXPECT_TRUE(DecodeForward(ok.data(), ok.size(), 16, 16).ok());
}

TEST(ForwardMessage, ATypeThatIsNotAStringIsAnErrorNotAThrow) {
  auto good = EncodeForward(Header(0), Tokens());
  ASSERT_TRUE(good.ok());
  for (const std::string type : {"1", "null", "[\"FORWARD\"]", "{}"}) {
    auto bytes = WithHeader(*good, R"({"type":)" + type + R"(,"session":7,"step":3,"origin":"g","stage":0,)" +
                                       R"("route":[{"peer_id":"p0","endpoint":"a:1"}]})");
    auto m = DecodeForward(bytes.data(), bytes.size(), 16, 16);
    ASSERT_FALSE(m.ok()) << type;
    EXPECT_NE(m.status().message().find("not a JSON object of type FORWARD"), std::string::npos);
  }
}

TEST(ForwardMessage, ResultCarriesEveryStagesTimings) {
  nlohmann::json r = ForwardResult(7, 3, 42, {{1, 2}, {3, 4}});
  EXPECT_EQ(r["token"], 42);
  auto t = ResultTimings(r);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[1].wait_ms, 3);
  EXPECT_EQ(t[1].compute_ms, 4);
  EXPECT_TRUE(ResultTimings(nlohmann::json::parse(R"({"timings":[[1,"x"]]})")).empty());
  EXPECT_TRUE(ResultTimings(nlohmann::json::parse("[1,2]")).empty());
  EXPECT_TRUE(ResultTimings(ForwardError(7, 3, "boom")).empty());
}

}  // namespace
}  // namespace ss::net
