// Invariant 6: bad input gets INVALID_ARGUMENT or NOT_FOUND naming the field,
// and nothing of the batch is stored.
#include "absl/strings/match.h"
#include "tests/e2e/e2e_fixture.h"

namespace evrouter::testing {
namespace {

struct BadPublish {
  const char* name;
  std::string exchange;
  std::function<void(std::vector<v1::Event>&)>
      spoil;  // applied to 3 good events
  absl::StatusCode code;
  const char* field;  // the message starts with it
};

class BadInputE2ETest : public E2ETest {
 protected:
  void SetUp() override {
    // Small limits keep the requests small; the rules are the same.
    StartServer({"--max-payload-bytes", "1024", "--max-headers", "4",
                 "--max-header-bytes", "256", "--max-batch-events", "50"});
    ASSERT_TRUE(
        client().CreateExchange("orders", v1::EXCHANGE_KIND_TOPIC).ok());
    ASSERT_TRUE(client().Publish("orders", MakeEvents(2)).ok());
  }
};

TEST_F(BadInputE2ETest, EveryRejectionNamesTheFieldAndStoresNothing) {
  auto last = [](std::vector<v1::Event>& events) -> v1::Event& {
    return events.back();
  };
  const std::string long_type(256, 't');
  const std::vector<BadPublish> cases = {
      {"unknown exchange", "nope", [](auto&) {}, absl::StatusCode::kNotFound,
       "exchange:"},
      {"empty exchange", "", [](auto&) {}, absl::StatusCode::kInvalidArgument,
       "exchange:"},
      {"bad exchange name", "a/b", [](auto&) {},
       absl::StatusCode::kInvalidArgument, "exchange:"},
      {"long exchange name", std::string(129, 'x'), [](auto&) {},
       absl::StatusCode::kInvalidArgument, "exchange:"},
      {"no events", "orders", [](auto& events) { events.clear(); },
       absl::StatusCode::kInvalidArgument, "events:"},
      {"too many events", "orders",
       [](auto& events) { events = MakeEvents(51); },
       absl::StatusCode::kInvalidArgument, "events:"},
      {"empty type", "orders", [&](auto& events) { last(events).set_type(""); },
       absl::StatusCode::kInvalidArgument, "events[2].type"},
      {"long type", "orders",
       [&](auto& events) { last(events).set_type(long_type); },
       absl::StatusCode::kInvalidArgument, "events[2].type"},
      {"wildcard type", "orders",
       [&](auto& events) { last(events).set_type("order.*"); },
       absl::StatusCode::kInvalidArgument, "events[2].type"},
      {"payload over limit", "orders",
       [&](auto& events) { last(events).set_payload(std::string(1025, 'p')); },
       absl::StatusCode::kInvalidArgument, "events[2].payload"},
      {"too many headers", "orders",
       [&](auto& events) {
         v1::Event with_headers = MakeEvent("t.e");
         for (const std::string key : {"h0", "h1", "h2", "h3", "h4"}) {
           with_headers.mutable_headers()->insert({key, "v"});
         }
         last(events) = with_headers;
       },
       absl::StatusCode::kInvalidArgument, "events[2].headers"},
      {"headers too big", "orders",
       [&](auto& events) {
         (*last(events).mutable_headers())["h"] = std::string(300, 'v');
       },
       absl::StatusCode::kInvalidArgument, "events[2].headers"},
      {"bad id", "orders",
       [&](auto& events) { last(events).set_id("order-17"); },
       absl::StatusCode::kInvalidArgument, "events[2].id"},
      {"control char in source", "orders",
       [&](auto& events) { last(events).set_source("a\nb"); },
       absl::StatusCode::kInvalidArgument, "events[2].source"},
      {"time out of range", "orders",
       [&](auto& events) {
         last(events).mutable_time()->set_seconds(-70000000000);
       },
       absl::StatusCode::kInvalidArgument, "events[2].time"},
      {"offset set by publisher", "orders",
       [&](auto& events) { last(events).set_offset(9); },
       absl::StatusCode::kInvalidArgument, "events[2].offset"},
      {"exchange set on event", "orders",
       [&](auto& events) { last(events).set_exchange("other"); },
       absl::StatusCode::kInvalidArgument, "events[2].exchange"},
  };
  for (const BadPublish& bad : cases) {
    SCOPED_TRACE(bad.name);
    std::vector<v1::Event> events = MakeEvents(3);
    bad.spoil(events);
    absl::StatusOr<std::vector<v1::PublishResult>> unary =
        client().Publish(bad.exchange, events);
    EXPECT_EQ(unary.status().code(), bad.code) << unary.status();
    EXPECT_TRUE(absl::StartsWith(unary.status().message(), bad.field))
        << unary.status();

    std::unique_ptr<client::PublishStream> stream =
        client().OpenPublishStream();
    ASSERT_TRUE(stream->Send(bad.exchange, events).ok());
    absl::StatusOr<std::vector<v1::PublishStreamResponse>> acks =
        stream->Close();
    ASSERT_TRUE(acks.ok()) << acks.status();
    ASSERT_EQ(acks->size(), 1u);
    EXPECT_EQ((*acks)[0].error_code(), static_cast<int>(bad.code));
    EXPECT_TRUE(absl::StartsWith((*acks)[0].error_message(), bad.field))
        << (*acks)[0].error_message();
  }
  EXPECT_EQ(StoredCount("orders"), "2");
  EXPECT_EQ(client().GetExchange("orders")->head_offset(), 2u);
  // The server is still fine afterwards.
  auto good = client().Publish("orders", MakeEvents(1));
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ((*good)[0].offset(), 3u);
}

TEST_F(BadInputE2ETest, OversizedMessageIsRejectedByTransport) {
  // Far over the payload limit and gRPC's own message limit: refused, not
  // stored.
  auto huge = client().Publish("orders",
                               {MakeEvent("big", std::string(70 << 20, 'x'))});
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kResourceExhausted)
      << huge.status();
  EXPECT_EQ(StoredCount("orders"), "2");
}

}  // namespace
}  // namespace evrouter::testing
