#include "server/core/validation.h"

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/uuid.h"

namespace evrouter::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::StartsWith;

constexpr char kUuid[] = "0190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d";

EventInput GoodEvent() {
  EventInput event;
  event.id = kUuid;
  event.type = "user.created";
  event.source = "accounts";
  event.headers = {{"trace", "abc"}};
  event.content_type = "application/json";
  event.payload = "{}";
  event.has_time = true;
  event.time_seconds = 1'700'000'000;
  event.time_nanos = 123'456'789;
  return event;
}

// ---------------------------------------------------------------- names

struct NameCase {
  const char* label;
  std::string name;
  bool ok;
};

TEST(ValidateNameTest, AcceptsOnlyTheDocumentedForm) {
  const std::vector<NameCase> cases = {
      {"empty", "", false},
      {"128 chars", std::string(128, 'a'), true},
      {"129 chars", std::string(129, 'a'), false},
      {"upper", "ABCXYZ", true},
      {"lower", "abcxyz", true},
      {"digits", "0123456789", true},
      {"dot", "orders.v1", true},
      {"underscore", "orders_v1", true},
      {"dash", "orders-v1", true},
      {"all classes", "Az09._-", true},
      {"space", "orders v1", false},
      {"slash", "orders/v1", false},
      {"unicode", "ordres\xc3\xa9", false},
      {"colon", "orders:v1", false},
      {"star", "orders*", false},
      {"nul", std::string("ab\0cd", 5), false},
  };
  for (const NameCase& c : cases) {
    SCOPED_TRACE(c.label);
    absl::Status status = ValidateName("queue", c.name);
    if (c.ok) {
      EXPECT_TRUE(status.ok()) << status;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
      EXPECT_THAT(std::string(status.message()), StartsWith("queue: "));
    }
  }
}

// ---------------------------------------------------------------- events

struct BatchCase {
  const char* label;
  // Builds the batch from three good events; edits one of them.
  std::function<void(std::vector<EventInput>&)> edit;
  std::string field;  // expected message prefix; empty when OK
};

std::vector<EventInput> GoodBatch() {
  return {GoodEvent(), GoodEvent(), GoodEvent()};
}

TEST(ValidateBatchTest, RejectsEachRuleNamingTheField) {
  PublishLimits limits;
  limits.max_payload_bytes = 100;
  limits.max_headers = 3;
  limits.max_header_bytes = 50;
  limits.max_batch_events = 5;

  const std::vector<BatchCase> cases = {
      {"good batch", [](auto&) {}, ""},
      {"empty batch", [](auto& b) { b.clear(); }, "events"},
      {"too many events", [](auto& b) { b.resize(6, GoodEvent()); }, "events"},
      {"max events ok", [](auto& b) { b.resize(5, GoodEvent()); }, ""},
      {"empty id ok", [](auto& b) { b[2].id.clear(); }, ""},
      {"upper-case id ok",
       [](auto& b) { b[2].id = "0190A3C4-5E6F-7A8B-9C0D-1E2F3A4B5C6D"; }, ""},
      {"bad uuid", [](auto& b) { b[2].id = "not-a-uuid"; }, "events[2].id"},
      {"nil uuid",
       [](auto& b) { b[2].id = "00000000-0000-0000-0000-000000000000"; },
       "events[2].id"},
      {"uuid in braces",
       [](auto& b) { b[2].id = "{0190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d}"; },
       "events[2].id"},
      {"uuid with a non-hex digit",
       [](auto& b) { b[2].id = "0190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6g"; },
       "events[2].id"},
      {"uuid without dashes",
       [](auto& b) { b[1].id = "0190a3c45e6f7a8b9c0d1e2f3a4b5c6d"; },
       "events[1].id"},
      {"empty type", [](auto& b) { b[2].type.clear(); }, "events[2].type"},
      {"type 255 ok", [](auto& b) { b[2].type = std::string(255, 't'); }, ""},
      {"type 256", [](auto& b) { b[2].type = std::string(256, 't'); },
       "events[2].type"},
      {"type with space", [](auto& b) { b[2].type = "user created"; },
       "events[2].type"},
      {"type with star", [](auto& b) { b[2].type = "user.*"; },
       "events[2].type"},
      {"type with hash", [](auto& b) { b[2].type = "user.#"; },
       "events[2].type"},
      {"type leading dot", [](auto& b) { b[2].type = ".user"; },
       "events[2].type"},
      {"type trailing dot", [](auto& b) { b[2].type = "user."; },
       "events[2].type"},
      {"type double dot", [](auto& b) { b[2].type = "user..created"; },
       "events[2].type"},
      {"type control char", [](auto& b) { b[2].type = "user\x01created"; },
       "events[2].type"},
      {"type tab", [](auto& b) { b[2].type = "user\tcreated"; },
       "events[2].type"},
      {"type invalid utf8", [](auto& b) { b[2].type = "user\xff"; },
       "events[2].type"},
      {"empty source ok", [](auto& b) { b[2].source.clear(); }, ""},
      {"source 255 ok", [](auto& b) { b[2].source = std::string(255, 's'); },
       ""},
      {"source 256", [](auto& b) { b[2].source = std::string(256, 's'); },
       "events[2].source"},
      {"source invalid utf8", [](auto& b) { b[2].source = "svc\xc3"; },
       "events[2].source"},
      {"source control char", [](auto& b) { b[2].source = "svc\x7f"; },
       "events[2].source"},
      {"source C1 control char", [](auto& b) { b[2].source = "svc\xc2\x85"; },
       "events[2].source"},
      {"source non-ASCII ok", [](auto& b) { b[2].source = "caf\xc3\xa9"; }, ""},
      {"content_type 256",
       [](auto& b) { b[2].content_type = std::string(256, 'c'); },
       "events[2].content_type"},
      {"content_type invalid utf8",
       [](auto& b) { b[2].content_type = "text/\xff"; },
       "events[2].content_type"},
      {"content_type control char",
       [](auto& b) { b[2].content_type = "text/plain\r\n"; },
       "events[2].content_type"},
      {"headers at limit ok",
       [](auto& b) {
         b[2].headers = {{"a", "1"}, {"b", "2"}, {"c", "3"}};
       },
       ""},
      {"too many headers",
       [](auto& b) {
         b[2].headers = {{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}};
       },
       "events[2].headers"},
      {"header bytes at limit ok",
       [](auto& b) {
         b[2].headers = {{"k", std::string(49, 'v')}};
       },
       ""},
      {"too many header bytes",
       [](auto& b) {
         b[2].headers = {{"k", std::string(50, 'v')}};
       },
       "events[2].headers"},
      {"empty header key",
       [](auto& b) {
         b[2].headers = {{"", "v"}};
       },
       "events[2].headers[\"\"]"},
      {"invalid utf8 header key",
       [](auto& b) {
         b[2].headers = {{"k\xff", "v"}};
       },
       "events[2].headers[\"k\\xff\"]"},
      {"control char in header key",
       [](auto& b) {
         b[2].headers = {{"k\n", "v"}};
       },
       "events[2].headers[\"k\\n\"]"},
      {"duplicate header key",
       [](auto& b) {
         b[2].headers = {{"b", "1"}, {"a", "2"}, {"b", "3"}};
       },
       "events[2].headers[\"b\"]"},
      {"control chars in header value ok",
       [](auto& b) {
         b[2].headers = {{"k", "line\nline\t"}};
       },
       ""},
      {"NUL in header value",
       [](auto& b) {
         b[2].headers = {{"k", std::string("a\0b", 3)}};
       },
       "events[2].headers[\"k\"]"},
      {"invalid utf8 header value",
       [](auto& b) {
         b[2].headers = {{"k", "\xed\xa0\x80"}};
       },
       "events[2].headers[\"k\"]"},
      {"payload at limit ok",
       [](auto& b) { b[2].payload = std::string(100, 'p'); }, ""},
      {"payload one over",
       [](auto& b) { b[2].payload = std::string(101, 'p'); },
       "events[2].payload"},
      {"binary payload ok",
       [](auto& b) { b[2].payload = std::string("\0\xff\xfe", 3); }, ""},
      {"time min ok",
       [](auto& b) {
         b[2].time_seconds = -62135596800;
         b[2].time_nanos = 0;
       },
       ""},
      {"time max ok",
       [](auto& b) {
         b[2].time_seconds = 253402300799;
         b[2].time_nanos = 999'999'999;
       },
       ""},
      {"time before year 1", [](auto& b) { b[2].time_seconds = -62135596801; },
       "events[2].time"},
      {"time after year 9999",
       [](auto& b) { b[2].time_seconds = 253402300800; }, "events[2].time"},
      {"negative nanos", [](auto& b) { b[2].time_nanos = -1; },
       "events[2].time"},
      {"nanos too big", [](auto& b) { b[2].time_nanos = 1'000'000'000; },
       "events[2].time"},
      {"bad time ignored without has_time",
       [](auto& b) {
         b[2].has_time = false;
         b[2].time_nanos = -5;
       },
       ""},
      {"exchange set", [](auto& b) { b[2].exchange = "orders"; },
       "events[2].exchange"},
      {"offset set", [](auto& b) { b[2].offset = 7; }, "events[2].offset"},
      {"stored_at set", [](auto& b) { b[2].has_stored_at = true; },
       "events[2].stored_at"},
      {"first violation wins",
       [](auto& b) {
         b[1].payload = std::string(101, 'p');
         b[2].type.clear();
       },
       "events[1].payload"},
  };
  for (const BatchCase& c : cases) {
    SCOPED_TRACE(c.label);
    std::vector<EventInput> batch = GoodBatch();
    c.edit(batch);
    absl::Status status = ValidateBatch(batch, limits);
    if (c.field.empty()) {
      EXPECT_TRUE(status.ok()) << status;
      continue;
    }
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(std::string(status.message()), StartsWith(c.field)) << status;
    // Never echoes bytes that are not UTF-8.
    EXPECT_TRUE(IsValidUtf8(status.message())) << status;
    // The field is followed by its problem, not by a longer field name.
    absl::string_view rest = status.message().substr(
        std::min(c.field.size(), status.message().size()));
    EXPECT_TRUE(absl::StartsWith(rest, ":") || absl::StartsWith(rest, "["))
        << status;
  }
}

TEST(ValidateEventTest, NamesTheIndexItWasGiven) {
  EventInput event = GoodEvent();
  event.payload = std::string(PublishLimits().max_payload_bytes + 1, 'x');
  absl::Status status = ValidateEvent(42, event, PublishLimits());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              StartsWith("events[42].payload: "));
  EXPECT_TRUE(ValidateEvent(0, GoodEvent(), PublishLimits()).ok());
}

TEST(ValidateEventTest, HeaderProblemNamesTheKey) {
  EventInput event = GoodEvent();
  event.headers = {{"trace", std::string("a\0b", 3)}};
  absl::Status status = ValidateEvent(0, event, PublishLimits());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              StartsWith("events[0].headers[\"trace\"]: value contains a NUL"));
}

TEST(ValidateEventTest, HeaderKeyIsAtMost256Bytes) {
  struct Case {
    const char* label;
    std::string key;
    std::string field;  // empty when OK
  };
  const std::vector<Case> cases = {
      {"256 bytes", std::string(256, 'k'), ""},
      {"257 bytes", std::string(257, 'k'),
       absl::StrCat("events[0].headers[\"", std::string(64, 'k'), "...\"]: ")},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    EventInput event = GoodEvent();
    event.headers = {{c.key, "v"}};
    absl::Status status = ValidateEvent(0, event, PublishLimits());
    if (c.field.empty()) {
      EXPECT_TRUE(status.ok()) << status;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(std::string(status.message()), StartsWith(c.field));
    }
  }
}

// ---------------------------------------------------------------- map paths

struct MapPathCase {
  const char* label;
  std::string key;
  std::string path;
};

TEST(MapEntryPathTest, QuotesEscapesAndCutsTheKey) {
  const std::vector<MapPathCase> cases = {
      {"plain", "trace", R"(h["trace"])"},
      {"empty", "", R"(h[""])"},
      {"quote", "a\"b", R"(h["a\"b"])"},
      {"backslash", "a\\b", R"(h["a\\b"])"},
      {"control", "a\nb", R"(h["a\nb"])"},
      {"utf-8 kept", "caf\xc3\xa9", "h[\"caf\xc3\xa9\"]"},
      {"not utf-8 escaped", "a\xff", R"(h["a\xff"])"},
      {"64 bytes whole", std::string(64, 'x'),
       absl::StrCat("h[\"", std::string(64, 'x'), "\"]")},
      {"65 bytes cut", std::string(65, 'x'),
       absl::StrCat("h[\"", std::string(64, 'x'), "...\"]")},
      {"cut never splits a character",
       absl::StrCat(std::string(63, 'x'), "\xc3\xa9"),
       absl::StrCat("h[\"", std::string(63, 'x'), "...\"]")},
  };
  for (const MapPathCase& c : cases) {
    SCOPED_TRACE(c.label);
    std::string path = MapEntryPath("h", c.key);
    EXPECT_EQ(path, c.path);
    EXPECT_TRUE(IsValidUtf8(path));
  }
}

// ---------------------------------------------------------------- scalars

// One rule of a scalar check: the input, and the problem expected in the
// message after "field: " (empty when OK).
struct ScalarCase {
  const char* label;
  std::function<absl::Status()> check;
  std::string problem;
};

void ExpectScalarCases(absl::string_view field,
                       const std::vector<ScalarCase>& cases) {
  for (const ScalarCase& c : cases) {
    SCOPED_TRACE(c.label);
    absl::Status status = c.check();
    if (c.problem.empty()) {
      EXPECT_TRUE(status.ok()) << status;
      continue;
    }
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(std::string(status.message()),
                StartsWith(absl::StrCat(field, ": ")));
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.problem));
  }
}

TEST(ValidateTimestampTest, AcceptsOnlyTheProtobufRange) {
  auto at = [](int64_t seconds, int32_t nanos) {
    return [=] { return ValidateTimestamp("start.time", seconds, nanos); };
  };
  ExpectScalarCases(
      "start.time",
      {
          {"epoch", at(0, 0), ""},
          {"before the epoch", at(-1, 999'999'999), ""},
          {"year 1", at(-62135596800, 0), ""},
          {"year 9999", at(253402300799, 999'999'999), ""},
          {"before year 1", at(-62135596801, 0), "seconds -62135596801"},
          {"after year 9999", at(253402300800, 0), "seconds 253402300800"},
          {"int64 min", at(std::numeric_limits<int64_t>::min(), 0), "seconds"},
          {"int64 max", at(std::numeric_limits<int64_t>::max(), 0), "seconds"},
          {"negative nanos", at(0, -1), "nanos -1"},
          {"nanos of a whole second", at(0, 1'000'000'000), "nanos 1000000000"},
          {"int32 min nanos", at(0, std::numeric_limits<int32_t>::min()),
           "nanos"},
      });
}

TEST(ValidateWaitTest, AcceptsZeroUpToTheLimit) {
  auto wait = [](int64_t seconds, int32_t nanos) {
    return
        [=] { return ValidateWait("wait", seconds, nanos, absl::Seconds(60)); };
  };
  ExpectScalarCases(
      "wait",
      {
          {"zero", wait(0, 0), ""},
          {"fraction", wait(1, 500'000'000), ""},
          {"the limit", wait(60, 0), ""},
          {"above the limit", wait(60, 1), "is above the limit 1m"},
          {"huge", wait(std::numeric_limits<int64_t>::max(), 0),
           "is above the limit"},
          {"negative seconds", wait(-1, 0), "must not be negative"},
          {"negative nanos", wait(0, -1), "must not be negative"},
          {"int64 min", wait(std::numeric_limits<int64_t>::min(), 0),
           "must not be negative"},
          {"nanos of a whole second", wait(0, 1'000'000'000),
           "nanos 1000000000"},
          {"nanos below -1s", wait(0, -1'000'000'000), "nanos -1000000000"},
      });
}

TEST(ValidateAtMostTest, NamesValueAndLimit) {
  auto at_most = [](uint64_t value, uint64_t max) {
    return [=] { return ValidateAtMost("max_events", value, max); };
  };
  ExpectScalarCases(
      "max_events",
      {
          {"below", at_most(5, 10), ""},
          {"at the limit", at_most(10, 10), ""},
          {"above", at_most(11, 10), "11 is above the limit 10"},
          {"uint64 max", at_most(std::numeric_limits<uint64_t>::max(), 10),
           "is above the limit 10"},
      });
}

TEST(ValidateExchangeKindTest, AcceptsOnlyTheEnumerators) {
  auto kind = [](int value) {
    return [=] {
      return ValidateExchangeKind("kind", static_cast<ExchangeKind>(value));
    };
  };
  ExpectScalarCases("kind", {
                                {"fanout", kind(1), ""},
                                {"direct", kind(2), ""},
                                {"topic", kind(3), ""},
                                {"unspecified", kind(0), "0 is not a known"},
                                {"next number", kind(4), "4 is not a known"},
                                {"99", kind(99), "99 is not a known"},
                                {"negative", kind(-1), "-1 is not a known"},
                            });
}

TEST(ValidateUtf8Test, NamesTheField) {
  auto text = [](std::string value) {
    return [=] { return ValidateUtf8("bindings[0]", value); };
  };
  ExpectScalarCases("bindings[0]",
                    {
                        {"ascii", text("a.b"), ""},
                        {"empty", text(""), ""},
                        {"non-ascii", text("caf\xc3\xa9"), ""},
                        {"control chars allowed", text("a\n"), ""},
                        {"truncated", text("caf\xc3"), "not valid UTF-8"},
                        {"surrogate", text("\xed\xa0\x80"), "not valid UTF-8"},
                    });
}

// ---------------------------------------------------------------- UTF-8

struct Utf8Case {
  const char* label;
  std::string text;
  bool valid;
};

TEST(IsValidUtf8Test, AcceptsWellFormedAndRejectsTheRest) {
  const std::vector<Utf8Case> cases = {
      {"empty", "", true},
      {"ascii", "hello", true},
      {"2-byte", "caf\xc3\xa9", true},
      {"3-byte", "\xe2\x82\xac", true},
      {"4-byte", "\xf0\x9f\x98\x80", true},
      {"max code point", "\xf4\x8f\xbf\xbf", true},
      {"last before surrogates", "\xed\x9f\xbf", true},
      {"2-byte at end", "a\xc3\xa9", true},
      {"overlong 2-byte slash", "\xc0\xaf", false},
      {"overlong 2-byte", "\xc1\xbf", false},
      {"overlong 3-byte", "\xe0\x80\xaf", false},
      {"overlong 4-byte", "\xf0\x80\x80\xaf", false},
      {"surrogate low", "\xed\xa0\x80", false},
      {"surrogate high", "\xed\xbf\xbf", false},
      {"past U+10FFFF", "\xf4\x90\x80\x80", false},
      {"5-byte lead", "\xf8\x88\x80\x80\x80", false},
      {"lone continuation", "\x80", false},
      {"truncated 2-byte", "\xc3", false},
      {"truncated 3-byte", "\xe2\x82", false},
      {"truncated 4-byte", "\xf0\x9f\x98", false},
      {"bad continuation", "\xc3\x28", false},
      {"0xff", "\xff", false},
  };
  for (const Utf8Case& c : cases) {
    SCOPED_TRACE(c.label);
    EXPECT_EQ(IsValidUtf8(c.text), c.valid);
  }
}

// ----------------------------------------------------------------
// ToStoredEvent

TEST(ToStoredEventTest, GeneratesUuidV7WhenIdIsEmpty) {
  EventInput input = GoodEvent();
  input.id.clear();
  absl::Time now = absl::FromUnixMillis(1'700'000'123'456);
  Event event = ToStoredEvent(std::move(input), now);
  ASSERT_EQ(event.id.size(), 16u);
  EXPECT_EQ(static_cast<unsigned char>(event.id[6]) >> 4, 7);
  uint64_t millis = 0;
  for (int i = 0; i < 6; ++i)
    millis = millis << 8 | static_cast<unsigned char>(event.id[i]);
  EXPECT_EQ(millis, 1'700'000'123'456u);
}

TEST(ToStoredEventTest, ParsesAGivenIdAndCopiesFields) {
  Event event = ToStoredEvent(GoodEvent(), absl::UnixEpoch());
  EXPECT_EQ(event.id, *ParseUuid(kUuid));
  EXPECT_EQ(FormatUuid(event.id), kUuid);
  EXPECT_EQ(event.type, "user.created");
  EXPECT_EQ(event.source, "accounts");
  EXPECT_EQ(event.content_type, "application/json");
  EXPECT_EQ(event.payload, "{}");
  EXPECT_EQ(event.offset, 0u);
}

TEST(ToStoredEventTest, SortsHeaders) {
  EventInput input = GoodEvent();
  input.headers = {{"b", "2"}, {"c", "3"}, {"a", "1"}};
  Event event = ToStoredEvent(std::move(input), absl::UnixEpoch());
  EXPECT_THAT(event.headers,
              ElementsAre(Pair("a", "1"), Pair("b", "2"), Pair("c", "3")));
}

TEST(ToStoredEventTest, TruncatesTimeToMicros) {
  EventInput input = GoodEvent();
  input.time_seconds = 1'700'000'000;
  input.time_nanos = 123'456'789;
  Event event = ToStoredEvent(std::move(input), absl::UnixEpoch());
  ASSERT_TRUE(event.time.has_value());
  EXPECT_EQ(*event.time, absl::FromUnixMicros(1'700'000'000'123'456));
}

TEST(ToStoredEventTest, KeepsTimeUnsetWithoutHasTime) {
  EventInput input = GoodEvent();
  input.has_time = false;
  Event event = ToStoredEvent(std::move(input), absl::UnixEpoch());
  EXPECT_FALSE(event.time.has_value());
}

TEST(ToStoredEventTest, ConvertsTheExtremeTimes) {
  EventInput low = GoodEvent();
  low.time_seconds = -62135596800;
  low.time_nanos = 0;
  EXPECT_EQ(*ToStoredEvent(std::move(low), absl::UnixEpoch()).time,
            absl::FromUnixSeconds(-62135596800));
  EventInput high = GoodEvent();
  high.time_seconds = 253402300799;
  high.time_nanos = 999'999'999;
  EXPECT_EQ(*ToStoredEvent(std::move(high), absl::UnixEpoch()).time,
            absl::FromUnixMicros(253402300799'999'999));
}

}  // namespace
}  // namespace evrouter::core
