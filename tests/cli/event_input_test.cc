#include "client/cli/event_input.h"

#include <gtest/gtest.h>

namespace evrouter::cli {
namespace {

EventDefaults SampleDefaults() {
  EventDefaults defaults;
  defaults.type = "default.type";
  defaults.source = "cli";
  defaults.content_type = "text/plain";
  defaults.headers = {{"k", "flag"}, {"extra", "1"}};
  return defaults;
}

TEST(EventInputTest, BlankLinesAreSkipped) {
  for (std::string_view line : {"", "   ", "\t\r"}) {
    absl::StatusOr<std::optional<evrouter::v1::Event>> event =
        ParseEventLine(line, 1, EventDefaults());
    ASSERT_TRUE(event.ok()) << event.status();
    EXPECT_FALSE(event->has_value());
  }
}

TEST(EventInputTest, ParsesProto3JsonWithBase64Payload) {
  absl::StatusOr<std::optional<evrouter::v1::Event>> event = ParseEventLine(
      R"({"id":"0190a4b2-0000-7000-8000-000000000001","type":"user.created",)"
      R"("source":"svc","headers":{"k":"v"},"payload":"aGVsbG8=",)"
      R"("contentType":"application/json","time":"2024-01-02T03:04:05Z"})",
      7, EventDefaults());
  ASSERT_TRUE(event.ok()) << event.status();
  ASSERT_TRUE(event->has_value());
  const evrouter::v1::Event& e = **event;
  EXPECT_EQ(e.id(), "0190a4b2-0000-7000-8000-000000000001");
  EXPECT_EQ(e.type(), "user.created");
  EXPECT_EQ(e.source(), "svc");
  EXPECT_EQ(e.headers().at("k"), "v");
  EXPECT_EQ(e.payload(), "hello");
  EXPECT_EQ(e.content_type(), "application/json");
  EXPECT_EQ(e.time().seconds(), 1704164645);
}

TEST(EventInputTest, AcceptsProtoFieldNames) {
  absl::StatusOr<std::optional<evrouter::v1::Event>> event =
      ParseEventLine(R"({"content_type":"a/b"})", 1, EventDefaults());
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ((*event)->content_type(), "a/b");
}

TEST(EventInputTest, DefaultsFillOnlyEmptyFields) {
  absl::StatusOr<std::optional<evrouter::v1::Event>> event = ParseEventLine(
      R"({"type":"line.type","headers":{"k":"line"}})", 1, SampleDefaults());
  ASSERT_TRUE(event.ok()) << event.status();
  const evrouter::v1::Event& e = **event;
  EXPECT_EQ(e.type(), "line.type");
  EXPECT_EQ(e.source(), "cli");
  EXPECT_EQ(e.content_type(), "text/plain");
  EXPECT_EQ(e.headers().at("k"), "line");
  EXPECT_EQ(e.headers().at("extra"), "1");
  EXPECT_TRUE(e.id().empty());
}

TEST(EventInputTest, MalformedLineNamesItsNumber) {
  for (std::string_view line : {"{not json", "[1,2]", R"({"typo":"x"})",
                                R"({"payload":"!!"})", R"({"offset":"abc"})"}) {
    absl::StatusOr<std::optional<evrouter::v1::Event>> event =
        ParseEventLine(line, 42, EventDefaults());
    ASSERT_FALSE(event.ok()) << line;
    EXPECT_EQ(event.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(event.status().message().rfind("line 42: ", 0), 0u)
        << event.status();
  }
}

TEST(EventInputTest, EventsFromPayloadsMakesOneEventPerArgument) {
  absl::StatusOr<std::vector<evrouter::v1::Event>> events =
      EventsFromPayloads({"a", std::string("b\0c", 3)}, SampleDefaults());
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].payload(), "a");
  EXPECT_EQ((*events)[1].payload(), std::string("b\0c", 3));
  for (const evrouter::v1::Event& e : *events) {
    EXPECT_TRUE(e.id().empty());  // no --id: the server assigns ids
    EXPECT_EQ(e.type(), "default.type");
    EXPECT_EQ(e.source(), "cli");
    EXPECT_EQ(e.headers().at("k"), "flag");
  }
}

TEST(EventInputTest, IdWithOnePayloadSetsItsId) {
  absl::StatusOr<std::vector<evrouter::v1::Event>> events = EventsFromPayloads(
      {"only"}, SampleDefaults(), "0190a4b2-0000-7000-8000-000000000001");
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].id(), "0190a4b2-0000-7000-8000-000000000001");
  EXPECT_EQ((*events)[0].payload(), "only");
  EXPECT_EQ((*events)[0].type(), "default.type");
}

TEST(EventInputTest, IdWithSeveralPayloadsIsRejected) {
  absl::StatusOr<std::vector<evrouter::v1::Event>> events = EventsFromPayloads(
      {"a", "b"}, SampleDefaults(), "0190a4b2-0000-7000-8000-000000000001");
  ASSERT_FALSE(events.ok());
  EXPECT_EQ(events.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(events.status().message(), kIdNeedsOnePayload);
}

TEST(EventInputTest, StdinLinesKeepTheirOwnIds) {
  const std::vector<std::pair<std::string, std::string>> lines = {
      {R"({"id":"0190a4b2-0000-7000-8000-00000000000a"})",
       "0190a4b2-0000-7000-8000-00000000000a"},
      {R"({"id":"0190a4b2-0000-7000-8000-00000000000b","type":"x"})",
       "0190a4b2-0000-7000-8000-00000000000b"},
      {R"({"type":"no.id"})", ""},  // the server assigns one
  };
  int64_t line_number = 0;
  for (const auto& [line, want_id] : lines) {
    absl::StatusOr<std::optional<evrouter::v1::Event>> event =
        ParseEventLine(line, ++line_number, SampleDefaults());
    ASSERT_TRUE(event.ok()) << event.status();
    ASSERT_TRUE(event->has_value());
    EXPECT_EQ((*event)->id(), want_id) << line;
    EXPECT_EQ((*event)->source(), "cli") << line;  // defaults still apply
  }
}

}  // namespace
}  // namespace evrouter::cli
