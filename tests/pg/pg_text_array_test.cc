#include "storage/pg_text_array.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace evrouter {
namespace {

using Strings = std::vector<std::string>;

TEST(PgTextArrayTest, EncodesEveryElementQuoted) {
  EXPECT_EQ(TextArrayLiteral({}), "{}");
  EXPECT_EQ(TextArrayLiteral({"a"}), R"({"a"})");
  EXPECT_EQ(TextArrayLiteral({"a.*", "#", ""}), R"({"a.*","#",""})");
}

TEST(PgTextArrayTest, EscapesQuotesAndBackslashesOnly) {
  EXPECT_EQ(TextArrayLiteral({"x\"y", "back\\slash"}),
            R"({"x\"y","back\\slash"})");
  EXPECT_EQ(TextArrayLiteral({"{a,b}", "with space", "'q'"}),
            R"({"{a,b}","with space","'q'"})");
}

TEST(PgTextArrayTest, ParsesWhatPostgresPrints) {
  struct Case {
    std::string text;
    Strings want;
  };
  const Case cases[] = {
      {"{}", {}},
      {"{a}", {"a"}},
      {"{a.*,#,b-c_d}", {"a.*", "#", "b-c_d"}},
      {R"({"",a})", {"", "a"}},
      {R"({"x\"y","back\\slash"})", {"x\"y", "back\\slash"}},
      {R"({"with space","a,b","{}"})", {"with space", "a,b", "{}"}},
      {R"({"NULL",null2})", {"NULL", "null2"}},
      {"{h\xc3\xa9llo,\xf0\x9f\x98\x80}", {"h\xc3\xa9llo", "\xf0\x9f\x98\x80"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    std::optional<Strings> parsed = ParseTextArray(c.text);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, c.want);
  }
}

TEST(PgTextArrayTest, RejectsNullsNestingAndGarbage) {
  for (const std::string text :
       {"{NULL}", "{a,null}", "{{a},{b}}", "{a}}", "", "a", "{", "{a", "{a}x",
        R"({"a)", R"({"a\)", R"({"a"b})", R"({a"b"})", "{a,,b}", "{,}", "{a,}",
        "[1:1]={a}"}) {
    EXPECT_EQ(ParseTextArray(text), std::nullopt) << text;
  }
}

TEST(PgTextArrayTest, RoundTrips) {
  const Strings cases[] = {
      {},
      {""},
      {"a.*", "#", "x\"y", "back\\slash", "with space", ""},
      {"\\", "\"", "\\\"", "\"\\", "{", "}", ",", "NULL", "null"},
      {" lead", "trail ", "\t", "line\nbreak"},
      {"h\xc3\xa9llo", "\xe2\x9c\x93", "\xf0\x9f\x98\x80 emoji"},
  };
  for (const Strings& elements : cases) {
    const std::string literal = TextArrayLiteral(elements);
    SCOPED_TRACE(literal);
    EXPECT_EQ(ParseTextArray(literal), elements);
  }
}

}  // namespace
}  // namespace evrouter
