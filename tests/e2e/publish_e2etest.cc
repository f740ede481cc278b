#include <algorithm>
#include <thread>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "tests/e2e/e2e_fixture.h"

namespace evrouter::testing {
namespace {

class PublishE2ETest : public E2ETest {
 protected:
  void SetUp() override {
    E2ETest::SetUp();
    ASSERT_TRUE(
        client().CreateExchange("orders", v1::EXCHANGE_KIND_TOPIC).ok());
  }
};

TEST_F(PublishE2ETest, OffsetsStartAtOneAndReturnIds) {
  absl::StatusOr<std::vector<v1::PublishResult>> results =
      client().Publish("orders", MakeEvents(3));
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ((*results)[i].offset(), static_cast<uint64_t>(i + 1));
    EXPECT_FALSE((*results)[i].duplicate());
    EXPECT_EQ((*results)[i].id().size(), 36u);
    EXPECT_EQ((*results)[i].id()[14], '7') << "server ids are UUIDv7";
  }
  EXPECT_EQ(
      QueryValue(
          "SELECT string_agg(id::text || ':' || event_offset, ',' ORDER BY "
          "event_offset) FROM events"),
      absl::StrCat((*results)[0].id(), ":1,", (*results)[1].id(), ":2,",
                   (*results)[2].id(), ":3"));
}

TEST_F(PublishE2ETest, EventFieldsAreStoredAsSent) {
  v1::Event event = MakeEvent("order.created", std::string("\0\xff{}", 4),
                              "0190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d");
  event.set_source("checkout");
  event.set_content_type("application/octet-stream");
  (*event.mutable_headers())["trace"] = "a\"b\\c";
  event.mutable_time()->set_seconds(1700000000);
  event.mutable_time()->set_nanos(123456000);
  ASSERT_TRUE(client().Publish("orders", {event}).ok());
  EXPECT_EQ(QueryValue("SELECT concat_ws('|', id, type, source, content_type, "
                       "encode(payload, 'hex'), headers->>'trace', "
                       "extract(epoch FROM event_time)) FROM events"),
            "0190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d|order.created|checkout|"
            "application/octet-stream|00ff7b7d|a\"b\\c|1700000000.123456");
}

// Invariant 1: the ack is sent only after the commit, so every acked offset
// is already visible to another connection when the ack arrives.
TEST_F(PublishE2ETest, EveryAckedEventIsAlreadyCommitted) {
  for (int i = 1; i <= 100; ++i) {
    absl::StatusOr<std::vector<v1::PublishResult>> results =
        client().Publish("orders", MakeEvents(1));
    ASSERT_TRUE(results.ok()) << results.status();
    ASSERT_EQ((*results)[0].offset(), static_cast<uint64_t>(i));
    ASSERT_EQ(QueryValue(absl::StrCat(
                  "SELECT count(*) FROM events WHERE event_offset = ", i)),
              "1");
  }
}

// Invariant 2 under concurrency: 8 publishers x 10,000 events, half over
// unary Publish and half over pipelined PublishStream.
TEST_F(PublishE2ETest, ConcurrentPublishersGetGaplessUniqueOffsets) {
  constexpr int kPublishers = 8;
  constexpr int kEventsEach = 10000;
  absl::Mutex mu;
  std::vector<uint64_t> offsets;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int p = 0; p < kPublishers; ++p) {
    threads.emplace_back([&, p] {
      std::vector<uint64_t> mine;
      std::string error;
      if (p % 2 == 0) {
        for (int sent = 0; sent < kEventsEach && error.empty(); sent += 10) {
          auto results = client().Publish("orders", MakeEvents(10));
          if (!results.ok()) {
            error = results.status().ToString();
            break;
          }
          for (const auto& result : *results) mine.push_back(result.offset());
        }
      } else {
        std::unique_ptr<client::PublishStream> stream =
            client().OpenPublishStream();
        constexpr int kBatch = 100;
        constexpr int kWindow = 8;
        int sent = 0, acked = 0;
        while (acked < kEventsEach / kBatch && error.empty()) {
          while (sent < kEventsEach / kBatch && sent - acked < kWindow) {
            if (!stream->Send("orders", MakeEvents(kBatch)).ok())
              error = "send failed";
            ++sent;
          }
          auto ack = stream->NextAck();
          if (!ack.ok() || ack->error_code() != 0) {
            error = ack.ok() ? ack->error_message() : ack.status().ToString();
            break;
          }
          for (const auto& result : ack->results())
            mine.push_back(result.offset());
          ++acked;
        }
        auto closed = stream->Close();
        if (!closed.ok() && error.empty()) error = closed.status().ToString();
      }
      absl::MutexLock lock(&mu);
      offsets.insert(offsets.end(), mine.begin(), mine.end());
      if (!error.empty()) errors.push_back(error);
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_TRUE(errors.empty()) << errors.front();

  constexpr uint64_t kTotal = kPublishers * kEventsEach;
  ASSERT_EQ(offsets.size(), kTotal);
  std::sort(offsets.begin(), offsets.end());
  for (uint64_t i = 0; i < kTotal; ++i) ASSERT_EQ(offsets[i], i + 1);

  absl::StatusOr<v1::Exchange> exchange = client().GetExchange("orders");
  ASSERT_TRUE(exchange.ok());
  EXPECT_EQ(exchange->head_offset(), kTotal);
  EXPECT_EQ(QueryValue(
                "SELECT concat_ws(',', count(*), count(DISTINCT event_offset), "
                "min(event_offset), max(event_offset)) FROM events"),
            "80000,80000,1,80000");
}

TEST_F(PublishE2ETest, StreamAcksArriveInOrderAndABadBatchDoesNotEndTheStream) {
  std::unique_ptr<client::PublishStream> stream = client().OpenPublishStream();
  for (int batch = 1; batch <= 20; ++batch) {
    std::vector<v1::Event> events = MakeEvents(5);
    if (batch == 7) events[3].set_type("");  // invalid: nothing of it is stored
    absl::StatusOr<uint64_t> id = stream->Send("orders", std::move(events));
    ASSERT_TRUE(id.ok()) << id.status();
    EXPECT_EQ(*id, static_cast<uint64_t>(batch));
  }
  absl::StatusOr<std::vector<v1::PublishStreamResponse>> acks = stream->Close();
  ASSERT_TRUE(acks.ok()) << acks.status();
  ASSERT_EQ(acks->size(), 20u);
  uint64_t next_offset = 1;
  for (int batch = 1; batch <= 20; ++batch) {
    const v1::PublishStreamResponse& ack = (*acks)[batch - 1];
    EXPECT_EQ(ack.batch_id(), static_cast<uint64_t>(batch));
    if (batch == 7) {
      EXPECT_EQ(ack.error_code(),
                static_cast<int>(absl::StatusCode::kInvalidArgument));
      EXPECT_TRUE(absl::StartsWith(ack.error_message(), "events[3].type"))
          << ack.error_message();
      EXPECT_EQ(ack.results_size(), 0);
      continue;
    }
    ASSERT_EQ(ack.error_code(), 0) << ack.error_message();
    ASSERT_EQ(ack.results_size(), 5);
    for (const v1::PublishResult& result : ack.results()) {
      EXPECT_EQ(result.offset(), next_offset++);
    }
  }
  EXPECT_EQ(StoredCount("orders"), "95");
}

TEST_F(PublishE2ETest, SameIdWithinTheWindowIsStoredOnce) {
  const std::string id = "0190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d";
  ASSERT_TRUE(client().Publish("orders", MakeEvents(2)).ok());
  auto first = client().Publish("orders", {MakeEvent("order.paid", "x", id)});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ((*first)[0].offset(), 3u);
  EXPECT_FALSE((*first)[0].duplicate());

  // A retry alone, and a retry inside a batch with a new event.
  auto retry = client().Publish("orders", {MakeEvent("order.paid", "x", id)});
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ((*retry)[0].offset(), 3u);
  EXPECT_TRUE((*retry)[0].duplicate());
  EXPECT_EQ((*retry)[0].id(), id);
  auto mixed = client().Publish(
      "orders", {MakeEvent("order.new"), MakeEvent("order.paid", "x", id)});
  ASSERT_TRUE(mixed.ok()) << mixed.status();
  EXPECT_EQ((*mixed)[0].offset(), 4u);
  EXPECT_FALSE((*mixed)[0].duplicate());
  EXPECT_EQ((*mixed)[1].offset(), 3u);
  EXPECT_TRUE((*mixed)[1].duplicate());

  // The id is the same in upper case: UUIDs compare by value.
  std::string upper = id;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  auto shouted =
      client().Publish("orders", {MakeEvent("order.paid", "x", upper)});
  ASSERT_TRUE(shouted.ok()) << shouted.status();
  EXPECT_TRUE((*shouted)[0].duplicate());

  EXPECT_EQ(StoredCount("orders"), "4");
  EXPECT_EQ(client().GetExchange("orders")->head_offset(), 4u);
}

TEST_F(PublishE2ETest, DefaultPayloadLimitIsOneMebibyte) {
  auto at_limit =
      client().Publish("orders", {MakeEvent("big", std::string(1 << 20, 'x'))});
  ASSERT_TRUE(at_limit.ok()) << at_limit.status();
  auto over = client().Publish(
      "orders", {MakeEvent("big", std::string((1 << 20) + 1, 'x'))});
  EXPECT_EQ(over.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(over.status().message(), "events[0].payload"))
      << over.status();
  EXPECT_EQ(StoredCount("orders"), "1");
}

}  // namespace
}  // namespace evrouter::testing
