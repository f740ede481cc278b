#include "storage/pg_json_headers.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace evrouter {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Encodes then parses back; fails the test when either step fails.
Headers RoundTrip(const Headers& headers) {
  std::optional<std::string> json = HeadersToJson(headers);
  EXPECT_TRUE(json.has_value());
  Headers parsed;
  EXPECT_TRUE(HeadersFromJson(json.value_or(""), &parsed)) << *json;
  return parsed;
}

TEST(PgJsonHeadersTest, EncodesAnObjectInOrder) {
  EXPECT_EQ(HeadersToJson({{"b", "2"}, {"a", "1"}}), R"({"b":"2","a":"1"})");
}

TEST(PgJsonHeadersTest, EmptyHeadersAreNullopt) {
  EXPECT_EQ(HeadersToJson({}), std::nullopt);
}

TEST(PgJsonHeadersTest, EmptyObjectParsesToNoHeaders) {
  Headers parsed = {{"stale", "x"}};
  ASSERT_TRUE(HeadersFromJson("{}", &parsed));
  EXPECT_TRUE(parsed.empty());
  ASSERT_TRUE(HeadersFromJson("  { }  ", &parsed));
  EXPECT_TRUE(parsed.empty());
}

TEST(PgJsonHeadersTest, RoundTripsQuotesAndBackslashes) {
  const Headers headers = {{"a\"b", "c\\d"}, {"q", "\"\\\"/"}};
  EXPECT_EQ(*HeadersToJson(headers), R"({"a\"b":"c\\d","q":"\"\\\"/"})");
  EXPECT_EQ(RoundTrip(headers), headers);
}

TEST(PgJsonHeadersTest, RoundTripsControlCharacters) {
  std::string all;
  for (int c = 0; c < 0x20; ++c) all.push_back(static_cast<char>(c));
  all.push_back('\x7f');
  const Headers headers = {{"ctl", all}, {"nl", "a\nb\r\tc\b\f"}};
  const std::string json = *HeadersToJson(headers);
  for (const char c : json) {
    EXPECT_GE(static_cast<unsigned char>(c), 0x20) << json;
  }
  EXPECT_NE(json.find(R"(\u0000)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"(\u001f)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"(a\nb\r\tc\b\f)"), std::string::npos) << json;
  EXPECT_EQ(RoundTrip(headers), headers);
}

TEST(PgJsonHeadersTest, RoundTripsUnicodeBytesUnchanged) {
  const Headers headers = {{"k\xc3\xa9", "\xe2\x82\xac \xf0\x9f\x98\x80"}};
  EXPECT_EQ(*HeadersToJson(headers),
            "{\"k\xc3\xa9\":\"\xe2\x82\xac \xf0\x9f\x98\x80\"}");
  EXPECT_EQ(RoundTrip(headers), headers);
}

TEST(PgJsonHeadersTest, ParsesJsonbOutputSortedByKey) {
  // jsonb prints ", " and ": " and orders keys by length, then bytes.
  Headers parsed;
  ASSERT_TRUE(HeadersFromJson(R"({"z": "1", "aa": "2", "b": "3"})", &parsed));
  EXPECT_EQ(parsed, (Headers{{"aa", "2"}, {"b", "3"}, {"z", "1"}}));
}

TEST(PgJsonHeadersTest, DecodesUnicodeEscapes) {
  Headers parsed;
  ASSERT_TRUE(
      HeadersFromJson(R"({"k": "\u0041\u00e9\u20AC\u0000\/"})", &parsed));
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0].second, std::string("A\xc3\xa9\xe2\x82\xac\0/", 8));
}

TEST(PgJsonHeadersTest, DecodesSurrogatePairs) {
  Headers parsed;
  ASSERT_TRUE(HeadersFromJson(R"({"k": "\ud83d\ude00\uD834\uDD1E"})", &parsed));
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0].second, "\xf0\x9f\x98\x80\xf0\x9d\x84\x9e");
}

TEST(PgJsonHeadersTest, RejectsMalformedInput) {
  const std::vector<std::string> bad = {
      "",
      "[]",
      "{",
      R"({"k": "v")",              // unterminated object
      R"({"k": "v)",               // unterminated string
      R"({"k)",                    // unterminated key
      R"({"k": "v\)",              // escape at end of input
      R"({"k": 1})",               // non-string value
      R"({"k": null})",            // non-string value
      R"({"k": {"a": "b"}})",      // nested object
      R"({"k": ["v"]})",           // array value
      R"({k: "v"})",               // unquoted key
      R"({"k" "v"})",              // missing colon
      R"({"k": "v",})",            // trailing comma
      R"({"a": "1" "b": "2"})",    // missing comma
      R"({"k": "v"} x)",           // trailing garbage
      R"({"k": "v"}{})",           // trailing garbage
      R"({} x)",                   // trailing garbage after empty object
      R"({"k": "\x"})",            // unknown escape
      R"({"k": "\u12"})",          // short \u escape
      R"({"k": "\u12g4"})",        // non-hex \u escape
      R"({"k": "\ud83d"})",        // lone high surrogate
      R"({"k": "\ud83dx"})",       // high surrogate without a low one
      R"({"k": "\ud83d\u0041"})",  // high surrogate, then not a low one
  };
  for (const std::string& json : bad) {
    Headers parsed;
    EXPECT_FALSE(HeadersFromJson(json, &parsed)) << json;
  }
}

}  // namespace
}  // namespace evrouter
