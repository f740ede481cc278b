#include "server/core/topic_matcher.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/records.h"

namespace evrouter::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// A type of `n` words "w0.w1...".
std::string LongType(int n, absl::string_view last = "") {
  std::vector<std::string> words;
  for (int i = 0; i < n; ++i) words.push_back(absl::StrCat("w", i));
  if (!last.empty()) words.back() = std::string(last);
  return absl::StrJoin(words, ".");
}

// ---------------------------------------------------------------- matching

struct MatchCase {
  std::string pattern;
  std::string type;
  bool matches;
};

TEST(TopicMatchesTest, FollowsAmqpTopicSemantics) {
  const std::vector<MatchCase> cases = {
      // Literals.
      {"a", "a", true},
      {"a", "b", false},
      {"a.b.c", "a.b.c", true},
      {"a.b.c", "a.b", false},
      {"a.b", "a.b.c", false},
      {"a.b.c", "a.b.d", false},
      {"User.Created", "user.created", false},  // case-sensitive
      {"ab", "a", false},
      {"a", "ab", false},
      {"a.b", "ab", false},
      // `#` alone matches everything.
      {"#", "a", true},
      {"#", "a.b.c", true},
      {"#", LongType(50), true},
      // `*` alone matches exactly one word.
      {"*", "a", true},
      {"*", "a.b", false},
      {"*.*", "a.b", true},
      {"*.*", "a", false},
      {"*.*", "a.b.c", false},
      // Trailing `#`.
      {"a.#", "a", true},
      {"a.#", "a.b", true},
      {"a.#", "a.b.c", true},
      {"a.#", "b", false},
      {"a.#", "b.a", false},
      // Leading `#`.
      {"#.c", "c", true},
      {"#.c", "x.y.c", true},
      {"#.c", "c.x", false},
      {"#.c", "x.y", false},
      // `*` in the middle.
      {"a.*.c", "a.b.c", true},
      {"a.*.c", "a.c", false},
      {"a.*.c", "a.b.b.c", false},
      // `#` in the middle.
      {"a.#.c", "a.c", true},
      {"a.#.c", "a.b.c", true},
      {"a.#.c", "a.b.b.c", true},
      {"a.#.c", "a.b.b.d", false},
      {"a.#.c", "a.c.c", true},
      {"a.#.c", "a.c.d", false},
      // `#.#` is `#`.
      {"#.#", "a", true},
      {"#.#", "a.b.c", true},
      {"a.#.#.b", "a.b", true},
      {"a.#.#.b", "a.x.b", true},
      {"a.#.#.b", "a.x.y.z.b", true},
      {"a.#.#.b", "a.x.y.z", false},
      // `#.*` and `*.#` need at least one word.
      {"#.*", "a", true},
      {"#.*", "a.b.c", true},
      {"*.#", "a", true},
      {"*.#", "a.b.c", true},
      {"#.*.#", "a", true},
      {"*.*.#", "a", false},
      {"#.*.*", "a.b", true},
      {"#.*.*", "a", false},
      // Several `#` and literals.
      {"a.#.b.#.c", "a.b.c", true},
      {"a.#.b.#.c", "a.x.b.y.c", true},
      {"a.#.b.#.c", "a.x.y.b.z.w.c", true},
      {"a.#.b.#.c", "a.c", false},
      {"a.#.b.#.c", "a.b", false},
      {"a.#.b.#.c", "a.c.b", false},
      {"a.#.b.#.c", "a.b.c.b.c", true},
      {"#.a.#", "a", true},
      {"#.a.#", "x.a.y", true},
      {"#.a.#", "x.y", false},
      {"#.b.*", "a.b.c.b", false},
      {"#.b.*", "a.b.c.b.d", true},
      {"*.#.*", "a", false},
      {"*.#.*", "a.b", true},
      {"*.#.*", "a.b.c.d", true},
      // A backtrack must not skip the word where the retry starts.
      {"#.a.b", "a.a.b", true},
      {"#.a.a.b", "a.a.a.b", true},
      {"#.a.*.c", "a.a.b.c", true},
      // Words are compared whole.
      {"a.b", "a.bc", false},
      {"order.*", "orders.created", false},
      // Long types.
      {"#", LongType(100), true},
      {"w0.#", LongType(100), true},
      {"#.w99", LongType(100), true},
      {"#.w50.#", LongType(100), true},
      {"#.w50.w52.#", LongType(100), false},
      {"*.#.w99", LongType(100), true},
      {"#.#.#.#.#.#.#.#.#.#.z", LongType(50), false},
      {"#.#.#.#.#.#.#.#.#.#.z", LongType(50, "z"), true},
      {"#.*.#.*.#.*.#.*.#.*.#.z", LongType(50), false},
      {"#.*.#.*.#.*.#.*.#.*.#.z", LongType(50, "z"), true},
      {"#.*.#.*.#.*.#.*.#.*.#.z", LongType(5, "z"), false},
      {"#.*.#.*.#.*.#.*.#.*.#.z", LongType(6, "z"), true},
  };
  for (const MatchCase& c : cases) {
    EXPECT_EQ(TopicMatches(c.pattern, c.type), c.matches)
        << "pattern \"" << c.pattern << "\" type \"" << c.type << "\"";
  }
}

TEST(TopicMatchesTest, EmptyStringHasNoWords) {
  EXPECT_TRUE(TopicMatches("", ""));
  EXPECT_TRUE(TopicMatches("#", ""));
  EXPECT_TRUE(TopicMatches("#.#", ""));
  EXPECT_FALSE(TopicMatches("*", ""));
  EXPECT_FALSE(TopicMatches("a", ""));
  EXPECT_FALSE(TopicMatches("", "a"));
}

// Straightforward exponential reference: AMQP semantics by definition.
bool ReferenceMatch(const std::vector<std::string>& p, size_t i,
                    const std::vector<std::string>& t, size_t j) {
  if (i == p.size()) return j == t.size();
  if (p[i] == "#") {
    for (size_t k = j; k <= t.size(); ++k) {
      if (ReferenceMatch(p, i + 1, t, k)) return true;
    }
    return false;
  }
  if (j == t.size()) return false;
  return (p[i] == "*" || p[i] == t[j]) && ReferenceMatch(p, i + 1, t, j + 1);
}

// All sequences of 0..max_len words drawn from `alphabet`.
std::vector<std::vector<std::string>> AllSequences(
    const std::vector<std::string>& alphabet, size_t max_len) {
  std::vector<std::vector<std::string>> all = {{}};
  std::vector<std::vector<std::string>> last = {{}};
  for (size_t len = 1; len <= max_len; ++len) {
    std::vector<std::vector<std::string>> next;
    for (const auto& seq : last) {
      for (const std::string& word : alphabet) {
        next.push_back(seq);
        next.back().push_back(word);
      }
    }
    all.insert(all.end(), next.begin(), next.end());
    last = std::move(next);
  }
  return all;
}

TEST(TopicMatchesTest, AgreesWithReferenceOnAllSmallCases) {
  const auto patterns = AllSequences({"a", "b", "*", "#"}, 5);
  const auto types = AllSequences({"a", "b"}, 6);
  int checked = 0;
  for (const auto& p : patterns) {
    if (p.empty()) continue;
    std::string pattern = absl::StrJoin(p, ".");
    for (const auto& t : types) {
      if (t.empty()) continue;
      std::string type = absl::StrJoin(t, ".");
      ASSERT_EQ(TopicMatches(pattern, type), ReferenceMatch(p, 0, t, 0))
          << "pattern \"" << pattern << "\" type \"" << type << "\"";
      ++checked;
    }
  }
  EXPECT_GT(checked, 100000);
}

// ---------------------------------------------------------------- validation

struct KeyCase {
  const char* label;
  std::string key;
  bool ok;
};

void ExpectKeys(ExchangeKind kind, const std::vector<KeyCase>& cases) {
  for (const KeyCase& c : cases) {
    SCOPED_TRACE(c.label);
    absl::Status status = ValidateBindingKey("bindings[2]", kind, c.key);
    if (c.ok) {
      EXPECT_TRUE(status.ok()) << status;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
      EXPECT_THAT(std::string(status.message()), StartsWith("bindings[2]: "));
    }
  }
}

TEST(ValidateBindingKeyTest, DirectKeyIsAnEventType) {
  ExpectKeys(ExchangeKind::kDirect,
             {
                 {"one word", "created", true},
                 {"words", "user.created.v1", true},
                 {"255 bytes", std::string(255, 'a'), true},
                 {"utf-8", "caf\xc3\xa9.ordered", true},
                 {"punctuation", "a-b_c:d/e", true},
                 {"empty", "", false},
                 {"256 bytes", std::string(256, 'a'), false},
                 {"star word", "user.*", false},
                 {"hash word", "#", false},
                 {"star inside", "user.cre*ted", false},
                 {"space", "user created", false},
                 {"control", "user\ncreated", false},
                 {"bad utf-8", "caf\xc3", false},
                 {"leading dot", ".user", false},
                 {"trailing dot", "user.", false},
                 {"double dot", "user..created", false},
             });
}

TEST(ValidateBindingKeyTest, TopicKeyHasWholeWordWildcards) {
  ExpectKeys(
      ExchangeKind::kTopic,
      {
          {"literal", "user.created", true},
          {"star", "*", true},
          {"hash", "#", true},
          {"star word", "user.*", true},
          {"hash word", "user.#", true},
          {"mixed", "#.user.*.v1.#", true},
          {"hash hash", "#.#", true},
          {"255 bytes", std::string(255, 'a'), true},
          {"255 bytes of wildcards",
           absl::StrCat(absl::StrJoin(std::vector<std::string>(127, "#"), "."),
                        ".*"),
           true},
          {"utf-8", "caf\xc3\xa9.*", true},
          {"empty", "", false},
          {"256 bytes", std::string(256, 'a'), false},
          {"star inside a word", "user.cre*ted", false},
          {"star suffix", "a*", false},
          {"hash prefix", "#a.b", false},
          {"double star", "**", false},
          {"star hash", "*#", false},
          {"space", "user. created", false},
          {"space after wildcard", "* .a", false},
          {"control", "user.\x01", false},
          {"bad utf-8", "caf\xc3.*", false},
          {"leading dot", ".*", false},
          {"trailing dot", "#.", false},
          {"double dot", "a..#", false},
          {"lone dot", ".", false},
      });
}

TEST(ValidateBindingKeyTest, FanoutTakesNoKeys) {
  ExpectKeys(ExchangeKind::kFanout, {
                                        {"literal", "user.created", false},
                                        {"hash", "#", false},
                                        {"empty", "", false},
                                    });
  absl::Status status =
      ValidateBindingKey("bindings[0]", ExchangeKind::kFanout, "a");
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("fanout exchanges take no bindings"));
}

TEST(ValidateBindingKeyTest, TopicMessageNamesTheBadWord) {
  absl::Status status =
      ValidateBindingKey("bindings[1]", ExchangeKind::kTopic, "a.b*c.d");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("bindings[1]: "));
  EXPECT_THAT(std::string(status.message()), HasSubstr("\"b*c\""));

  // Bytes that are not UTF-8 are named, never echoed.
  absl::Status not_utf8 =
      ValidateBindingKey("bindings[0]", ExchangeKind::kTopic, "a.b*\xff");
  EXPECT_EQ(not_utf8.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(not_utf8.message(), "bindings[0]: not valid UTF-8");
}

// ---------------------------------------------------------------- normalize

struct NormalizeCase {
  const char* label;
  ExchangeKind kind;
  std::vector<std::string> keys;
  // Expected result when OK; ignored otherwise.
  std::vector<std::string> normalized;
  // Empty when OK; otherwise a prefix of the error message.
  std::string error_prefix;
};

std::vector<std::string> ManyKeys(int n) {
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) keys.push_back(absl::StrCat("k", i));
  return keys;
}

std::vector<std::string> Sorted(std::vector<std::string> keys) {
  std::sort(keys.begin(), keys.end());
  return keys;
}

TEST(NormalizeBindingsTest, SortsDeduplicatesAndChecksCounts) {
  const std::vector<NormalizeCase> cases = {
      {"direct sorted",
       ExchangeKind::kDirect,
       {"b", "a", "c"},
       {"a", "b", "c"},
       ""},
      {"direct dedup",
       ExchangeKind::kDirect,
       {"b", "a", "b", "a"},
       {"a", "b"},
       ""},
      {"topic sorted and dedup",
       ExchangeKind::kTopic,
       {"user.#", "*.created", "user.#", "#"},
       {"#", "*.created", "user.#"},
       ""},
      {"direct one key", ExchangeKind::kDirect, {"a"}, {"a"}, ""},
      {"64 keys", ExchangeKind::kDirect, ManyKeys(64), Sorted(ManyKeys(64)),
       ""},
      {"65 keys", ExchangeKind::kTopic, ManyKeys(65), {}, "bindings: "},
      {"65 keys with duplicates",
       ExchangeKind::kDirect,
       [] {
         std::vector<std::string> keys = ManyKeys(64);
         keys.push_back("k0");
         return keys;
       }(),
       {},
       "bindings: "},
      {"direct empty", ExchangeKind::kDirect, {}, {}, "bindings: "},
      {"topic empty", ExchangeKind::kTopic, {}, {}, "bindings: "},
      {"fanout empty", ExchangeKind::kFanout, {}, {}, ""},
      {"fanout any", ExchangeKind::kFanout, {"#"}, {}, "bindings[0]: "},
      {"fanout several",
       ExchangeKind::kFanout,
       {"a", "b"},
       {},
       "bindings[0]: "},
      {"direct bad third",
       ExchangeKind::kDirect,
       {"a", "b", "c*"},
       {},
       "bindings[2]: "},
      {"topic bad second",
       ExchangeKind::kTopic,
       {"a.#", "a..b"},
       {},
       "bindings[1]: "},
      {"direct wildcard", ExchangeKind::kDirect, {"a.*"}, {}, "bindings[0]: "},
  };
  for (const NormalizeCase& c : cases) {
    SCOPED_TRACE(c.label);
    absl::StatusOr<std::vector<std::string>> result =
        NormalizeBindings(c.kind, c.keys);
    if (c.error_prefix.empty()) {
      ASSERT_TRUE(result.ok()) << result.status();
      EXPECT_EQ(*result, c.normalized);
    } else {
      EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument)
          << result.status();
      EXPECT_THAT(std::string(result.status().message()),
                  StartsWith(c.error_prefix));
    }
  }
}

// ---------------------------------------------------------------- bindings

struct BindingsCase {
  std::string type;
  bool matches;
};

void ExpectMatches(const Bindings& bindings,
                   const std::vector<BindingsCase>& cases) {
  for (const BindingsCase& c : cases) {
    EXPECT_EQ(bindings.Matches(c.type), c.matches)
        << "type \"" << c.type << "\"";
  }
}

TEST(BindingsTest, FanoutMatchesEverything) {
  Bindings bindings(ExchangeKind::kFanout, {});
  EXPECT_EQ(bindings.kind(), ExchangeKind::kFanout);
  EXPECT_THAT(bindings.keys(), IsEmpty());
  ExpectMatches(bindings, {{"a", true}, {"a.b.c", true}, {LongType(50), true}});
}

TEST(BindingsTest, DirectMatchesExactKeysOnly) {
  Bindings bindings(ExchangeKind::kDirect, {"order.created", "user.created"});
  EXPECT_THAT(bindings.keys(), ElementsAre("order.created", "user.created"));
  ExpectMatches(bindings, {
                              {"order.created", true},
                              {"user.created", true},
                              {"user.deleted", false},
                              {"user", false},
                              {"user.created.v2", false},
                              {"User.created", false},
                          });
}

TEST(BindingsTest, DirectDoesNotInterpretWildcards) {
  // Not valid direct keys, but Matches must treat keys literally.
  Bindings bindings(ExchangeKind::kDirect, {"#", "a.*"});
  ExpectMatches(bindings, {{"a", false}, {"a.b", false}, {"a.*", true}});
}

TEST(BindingsTest, TopicMatchesAnyPattern) {
  Bindings bindings(ExchangeKind::kTopic,
                    {"*.deleted", "billing.invoice", "order.#"});
  ExpectMatches(bindings, {
                              {"billing.invoice", true},
                              {"billing.invoice.paid", false},
                              {"billing", false},
                              {"user.deleted", true},
                              {"user.x.deleted", false},
                              {"order", true},
                              {"order.created.v1", true},
                              {"orders.created", false},
                              {"user.created", false},
                          });
}

TEST(BindingsTest, TopicHashOnlyPatternMatchesEverything) {
  for (const char* key : {"#", "#.#"}) {
    SCOPED_TRACE(key);
    Bindings bindings(ExchangeKind::kTopic, {"a.b", key});
    ExpectMatches(bindings,
                  {{"a", true}, {"x.y.z", true}, {LongType(50), true}});
  }
}

TEST(BindingsTest, TopicLiteralOnlyKeysMatchExactly) {
  Bindings bindings(ExchangeKind::kTopic, {"a", "a.b"});
  ExpectMatches(bindings,
                {{"a", true}, {"a.b", true}, {"a.b.c", false}, {"b", false}});
}

TEST(BindingsTest, NormalizedKeysBuildBindings) {
  absl::StatusOr<std::vector<std::string>> keys =
      NormalizeBindings(ExchangeKind::kTopic, {"b.*", "a.#", "b.*"});
  ASSERT_TRUE(keys.ok()) << keys.status();
  Bindings bindings(ExchangeKind::kTopic, *std::move(keys));
  EXPECT_THAT(bindings.keys(), ElementsAre("a.#", "b.*"));
  ExpectMatches(bindings, {{"a", true}, {"b.c", true}, {"b", false}});
}

}  // namespace
}  // namespace evrouter::core
