#include "server/transport/event_wire.h"

#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "evrouter/v1/subscriber.pb.h"
#include "server/transport/convert.h"

namespace evrouter::transport {
namespace {

using google::protobuf::util::MessageDifferencer;

// Parses what the builder produced the way a client does.
v1::SubscribeResponse Parse(SubscribeResponseBuilder& builder) {
  grpc::ByteBuffer bytes = builder.Release();
  v1::SubscribeResponse response;
  grpc::Status status =
      grpc::SerializationTraits<v1::SubscribeResponse>::Deserialize(&bytes,
                                                                    &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

// What the typed path (ToProto) builds for the same events.
v1::SubscribeResponse Expected(const std::vector<Event>& events,
                               const std::string& exchange, bool caught_up) {
  v1::SubscribeResponse response;
  for (const Event& event : events) {
    ToProto(event, exchange, response.add_events());
  }
  response.set_caught_up(caught_up);
  return response;
}

void ExpectSameAsToProto(const std::vector<Event>& events,
                         const std::string& exchange, bool caught_up) {
  SubscribeResponseBuilder builder;
  for (const Event& event : events) builder.AddEvent(event, exchange);
  if (caught_up) builder.SetCaughtUp();
  EXPECT_EQ(builder.events(), static_cast<int>(events.size()));
  EXPECT_EQ(builder.last_offset(), events.empty() ? 0 : events.back().offset);
  const v1::SubscribeResponse got = Parse(builder);
  const v1::SubscribeResponse want = Expected(events, exchange, caught_up);
  std::string differences;
  MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&differences);
  EXPECT_TRUE(differencer.Compare(want, got)) << differences;
  // The same bytes as protobuf's own encoding, up to field order.
  EXPECT_EQ(got.ByteSizeLong(), want.ByteSizeLong());
}

Event Minimal() {
  Event event;
  event.id = std::string(16, '\x01');
  event.offset = 1;
  event.stored_at = absl::FromUnixMicros(1700000000123456);
  return event;
}

Event Full() {
  Event event = Minimal();
  event.type = "order.created";
  event.source = "shop/eu-1";
  event.headers = {{"", "empty key"},
                   {"empty-value", ""},
                   {"trace", "00-abc-01"},
                   {"ünïcode", "värde ✓"}};
  event.content_type = "application/json";
  event.payload = std::string("{\"a\":1}\0\xff\x80 binary", 18);
  event.time = absl::FromUnixMicros(1699999999000001);
  event.offset = std::numeric_limits<uint64_t>::max() / 3;
  return event;
}

TEST(EventWireTest, MinimalEventMatchesToProto) {
  ExpectSameAsToProto({Minimal()}, "orders", false);
}

TEST(EventWireTest, EveryFieldSetMatchesToProto) {
  ExpectSameAsToProto({Full()}, "orders", false);
}

TEST(EventWireTest, TimesBeforeTheEpochAndAtItMatchToProto) {
  Event before = Full();
  before.time = absl::FromUnixMicros(-1);  // seconds -1, nanos 999999000
  before.stored_at = absl::FromUnixMicros(-86400000000 * 365);
  Event epoch = Minimal();
  epoch.time = absl::UnixEpoch();  // a present Timestamp with zero fields
  epoch.stored_at = absl::UnixEpoch();
  ExpectSameAsToProto({before, epoch}, "x", false);
}

TEST(EventWireTest, ManyEventsAndCaughtUpMatchToProto) {
  std::vector<Event> events;
  for (int i = 0; i < 200; ++i) {
    Event event = i % 2 == 0 ? Full() : Minimal();
    event.offset = 1000 + i;
    event.payload = std::string(static_cast<size_t>(i) * 37, 'p');
    events.push_back(event);
  }
  ExpectSameAsToProto(events, "an-exchange.with.dots", true);
}

TEST(EventWireTest, CaughtUpWithoutEventsMatchesToProto) {
  ExpectSameAsToProto({}, "orders", true);
}

TEST(EventWireTest, LargePayloadUsesMultiByteLengths) {
  Event event = Full();
  event.payload = std::string(3 << 20, 'z');  // a 3-byte length varint
  ExpectSameAsToProto({event}, "orders", false);
}

TEST(EventWireTest, ReleaseEmptiesTheBuilder) {
  SubscribeResponseBuilder builder;
  builder.AddEvent(Full(), "orders");
  EXPECT_GT(builder.bytes(), 0u);
  Parse(builder);
  EXPECT_EQ(builder.bytes(), 0u);
  EXPECT_EQ(builder.events(), 0);
  EXPECT_EQ(builder.last_offset(), 0u);
  ExpectSameAsToProto({Minimal()}, "orders", false);
}

}  // namespace
}  // namespace evrouter::transport
