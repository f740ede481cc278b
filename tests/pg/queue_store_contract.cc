#include "tests/pg/queue_store_contract.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace evrouter::testing {

void QueueStoreContractTest::SetUp() {
  harness_ = GetParam().make();
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_NE(harness_, nullptr);
  store_ = harness_->store();
  ASSERT_NE(store_, nullptr);
}

int64_t QueueStoreContractTest::CreateExchange(const std::string& name,
                                               ExchangeKind kind) {
  bool created = false;
  absl::StatusOr<ExchangeRecord> record =
      store_->CreateExchange(name, kind, &created);
  EXPECT_TRUE(record.ok()) << record.status();
  EXPECT_TRUE(created);
  return record.ok() ? record->id : 0;
}

QueueRecord QueueStoreContractTest::CreateQueue(const QueueRecord& spec) {
  bool created = false;
  absl::StatusOr<QueueRecord> record = store_->CreateQueue(spec, &created);
  EXPECT_TRUE(record.ok()) << record.status();
  EXPECT_TRUE(created);
  return record.ok() ? *record : QueueRecord{};
}

std::string StoreKindName(const ::testing::TestParamInfo<StoreKind>& info) {
  return info.param.name;
}

namespace {

const absl::Time kBase = absl::FromUnixMicros(1700000000123456);

QueueRecord Spec(std::string name, int64_t exchange_id,
                 std::vector<std::string> bindings = {"a.*"},
                 uint32_t limit_size = 100, uint64_t start_offset = 0) {
  QueueRecord spec;
  spec.name = std::move(name);
  spec.exchange_id = exchange_id;
  spec.bindings = std::move(bindings);
  spec.limit_size = limit_size;
  spec.start_offset = start_offset;
  return spec;
}

ConsumerRecord Consumer(int64_t queue_id, std::string name, uint64_t offset,
                        absl::Time created_at = kBase,
                        absl::Time last_active_at = kBase) {
  ConsumerRecord consumer;
  consumer.queue_id = queue_id;
  consumer.name = std::move(name);
  consumer.committed_offset = offset;
  consumer.created_at = created_at;
  consumer.last_active_at = last_active_at;
  return consumer;
}

Event EventStoredAt(uint64_t offset, absl::Time stored_at) {
  Event event;
  event.id = absl::StrCat("\xab", std::string(14, '\0'),
                          std::string(1, static_cast<char>(offset)));
  event.type = "user.created";
  event.source = "accounts";
  event.offset = offset;
  event.stored_at = stored_at;
  return event;
}

void ExpectSameQueue(const QueueRecord& got, const QueueRecord& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.exchange_id, want.exchange_id);
  EXPECT_EQ(got.bindings, want.bindings);
  EXPECT_EQ(got.limit_size, want.limit_size);
  EXPECT_EQ(got.start_offset, want.start_offset);
  EXPECT_EQ(got.created_at, want.created_at);
}

// (queue_id, name, committed_offset) of each consumer, in the given order.
std::vector<std::string> Keys(const std::vector<ConsumerRecord>& consumers) {
  std::vector<std::string> out;
  for (const ConsumerRecord& c : consumers) {
    out.push_back(
        absl::StrCat(c.queue_id, "/", c.name, "@", c.committed_offset));
  }
  return out;
}

std::vector<ConsumerRecord> LoadConsumers(EventStore& store) {
  absl::StatusOr<std::vector<ConsumerRecord>> consumers = store.LoadConsumers();
  EXPECT_TRUE(consumers.ok()) << consumers.status();
  return consumers.ok() ? *std::move(consumers) : std::vector<ConsumerRecord>{};
}

std::vector<QueueRecord> LoadQueues(EventStore& store) {
  absl::StatusOr<std::vector<QueueRecord>> queues = store.LoadQueues();
  EXPECT_TRUE(queues.ok()) << queues.status();
  return queues.ok() ? *std::move(queues) : std::vector<QueueRecord>{};
}

// ---------------------------------------------------------------- queues

TEST_P(QueueStoreContractTest, CreateQueueReturnsRecordWithIdAndCreatedAt) {
  const int64_t exchange = CreateExchange("orders");
  bool created = false;
  absl::StatusOr<QueueRecord> queue =
      store().CreateQueue(Spec("q", exchange, {"a.*", "b.#"}, 50, 7), &created);
  ASSERT_TRUE(queue.ok()) << queue.status();
  EXPECT_TRUE(created);
  EXPECT_GT(queue->id, 0);
  EXPECT_EQ(queue->name, "q");
  EXPECT_EQ(queue->exchange_id, exchange);
  EXPECT_EQ(queue->bindings, (std::vector<std::string>{"a.*", "b.#"}));
  EXPECT_EQ(queue->limit_size, 50u);
  EXPECT_EQ(queue->start_offset, 7u);
  EXPECT_LT(absl::AbsDuration(absl::Now() - queue->created_at),
            absl::Minutes(5));
  EXPECT_EQ(queue->created_at,
            absl::FromUnixMicros(absl::ToUnixMicros(queue->created_at)));

  const std::vector<QueueRecord> all = LoadQueues(store());
  ASSERT_EQ(all.size(), 1u);
  ExpectSameQueue(all[0], *queue);
}

TEST_P(QueueStoreContractTest, CreateQueueAgainReturnsTheExistingQueue) {
  const int64_t exchange = CreateExchange("orders");
  const QueueRecord first = CreateQueue(Spec("q", exchange, {"a", "b"}, 10, 3));
  bool created = true;
  // Another start_offset is no conflict: the stored one is kept.
  absl::StatusOr<QueueRecord> again =
      store().CreateQueue(Spec("q", exchange, {"a", "b"}, 10, 99), &created);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(created);
  ExpectSameQueue(*again, first);
  EXPECT_EQ(again->start_offset, 3u);
  EXPECT_EQ(LoadQueues(store()).size(), 1u);
}

TEST_P(QueueStoreContractTest, CreateQueueWithOtherSpecIsAlreadyExists) {
  const int64_t exchange = CreateExchange("orders");
  const int64_t other_exchange = CreateExchange("other");
  const QueueRecord first = CreateQueue(Spec("q", exchange, {"a", "b"}, 10));
  struct Case {
    QueueRecord spec;
    std::string differs;
  };
  const Case cases[] = {
      {Spec("q", exchange, {"a"}, 10), "bindings"},
      {Spec("q", exchange, {"a", "b", "c"}, 10), "bindings"},
      {Spec("q", exchange, {}, 10), "bindings"},
      {Spec("q", exchange, {"a", "b"}, 11), "limit_size"},
      {Spec("q", other_exchange, {"a", "b"}, 10), "exchange"},
      {Spec("q", other_exchange, {"a"}, 10), "exchange, bindings"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.differs);
    bool created = true;
    absl::StatusOr<QueueRecord> queue = store().CreateQueue(c.spec, &created);
    EXPECT_EQ(queue.status().code(), absl::StatusCode::kAlreadyExists)
        << queue.status();
    EXPECT_EQ(queue.status().message(),
              absl::StrCat("queue 'q' exists with other ", c.differs));
  }
  const std::vector<QueueRecord> all = LoadQueues(store());
  ASSERT_EQ(all.size(), 1u);
  ExpectSameQueue(all[0], first);
}

TEST_P(QueueStoreContractTest, CreateQueueOnUnknownExchangeIsNotFound) {
  const int64_t exchange = CreateExchange("orders");
  bool created = true;
  absl::StatusOr<QueueRecord> queue =
      store().CreateQueue(Spec("q", exchange + 1000), &created);
  EXPECT_EQ(queue.status().code(), absl::StatusCode::kNotFound)
      << queue.status();
  EXPECT_EQ(queue.status().message(),
            absl::StrCat("exchange id ", exchange + 1000, " not found"));
  EXPECT_TRUE(LoadQueues(store()).empty());
}

TEST_P(QueueStoreContractTest, CreateQueueRejectsValuesOutsideTheSchema) {
  const int64_t exchange = CreateExchange("orders");
  const QueueRecord specs[] = {
      Spec("q", exchange, {}, 0),
      Spec("q", exchange, {},
           static_cast<uint32_t>(std::numeric_limits<int32_t>::max()) + 1),
      Spec("q", exchange, {}, 1,
           static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1),
  };
  for (const QueueRecord& spec : specs) {
    bool created = false;
    EXPECT_EQ(store().CreateQueue(spec, &created).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(LoadQueues(store()).empty());
  // The largest values fit.
  CreateQueue(Spec("q", exchange, {},
                   static_cast<uint32_t>(std::numeric_limits<int32_t>::max()),
                   std::numeric_limits<int64_t>::max()));
  const std::vector<QueueRecord> all = LoadQueues(store());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].limit_size, 2147483647u);
  EXPECT_EQ(all[0].start_offset, 9223372036854775807u);
}

TEST_P(QueueStoreContractTest, LoadQueuesSortedByNameWithBindingsAsStored) {
  const int64_t topic = CreateExchange("topic");
  const int64_t fanout = CreateExchange("fanout", ExchangeKind::kFanout);
  // Sorted and unique, as callers pass them.
  std::vector<std::string> awkward = {
      "",     "#",          "*.#",       "a.*",  "back\\slash",
      "x\"y", "with space", "{braces},", "NULL", "h\xc3\xa9llo.\xe2\x9c\x93"};
  std::sort(awkward.begin(), awkward.end());
  const QueueRecord b = CreateQueue(Spec("b", topic, awkward, 5));
  const QueueRecord a = CreateQueue(Spec("a", fanout, {}, 1));
  const QueueRecord upper = CreateQueue(Spec("Z", topic, {"z"}, 2));
  const QueueRecord accent = CreateQueue(Spec("\xc3\xa9", topic, {"\\"}, 3));

  const std::vector<QueueRecord> all = LoadQueues(store());
  ASSERT_EQ(all.size(), 4u);
  ExpectSameQueue(all[0], upper);  // bytewise: "Z" < "a" < "b" < "\xc3\xa9"
  ExpectSameQueue(all[1], a);
  ExpectSameQueue(all[2], b);
  ExpectSameQueue(all[3], accent);
  EXPECT_EQ(all[2].bindings, awkward);
  EXPECT_TRUE(all[1].bindings.empty());

  // The same awkward spec is the same queue.
  bool created = true;
  absl::StatusOr<QueueRecord> again =
      store().CreateQueue(Spec("b", topic, awkward, 5), &created);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(created);
  EXPECT_EQ(again->id, b.id);
}

TEST_P(QueueStoreContractTest, DeleteQueueCascadesConsumersAndIsNotFoundTwice) {
  const int64_t exchange = CreateExchange("orders");
  const QueueRecord q = CreateQueue(Spec("q", exchange));
  const QueueRecord other = CreateQueue(Spec("other", exchange));
  ASSERT_TRUE(
      store()
          .SaveConsumers({Consumer(q.id, "c1", 1), Consumer(q.id, "c2", 2),
                          Consumer(other.id, "c1", 3)})
          .ok());

  ASSERT_TRUE(store().DeleteQueue("q").ok());
  const absl::Status again = store().DeleteQueue("q");
  EXPECT_EQ(again.code(), absl::StatusCode::kNotFound) << again;
  EXPECT_EQ(again.message(), "queue 'q' not found");
  EXPECT_EQ(store().DeleteQueue("never").code(), absl::StatusCode::kNotFound);

  const std::vector<QueueRecord> queues = LoadQueues(store());
  ASSERT_EQ(queues.size(), 1u);
  EXPECT_EQ(queues[0].name, "other");
  EXPECT_EQ(Keys(LoadConsumers(store())),
            (std::vector<std::string>{absl::StrCat(other.id, "/c1@3")}));

  // The name is free again, under a new id.
  const QueueRecord recreated = CreateQueue(Spec("q", exchange));
  EXPECT_NE(recreated.id, q.id);
}

TEST_P(QueueStoreContractTest, DeleteExchangeCascadesQueuesAndConsumers) {
  const int64_t doomed = CreateExchange("doomed");
  const int64_t kept = CreateExchange("kept");
  const QueueRecord q1 = CreateQueue(Spec("q1", doomed));
  const QueueRecord q2 = CreateQueue(Spec("q2", doomed));
  const QueueRecord q3 = CreateQueue(Spec("q3", kept));
  ASSERT_TRUE(
      store()
          .SaveConsumers({Consumer(q1.id, "c", 1), Consumer(q2.id, "c", 2),
                          Consumer(q3.id, "c", 3)})
          .ok());

  ASSERT_TRUE(store().DeleteExchange("doomed").ok());
  const std::vector<QueueRecord> queues = LoadQueues(store());
  ASSERT_EQ(queues.size(), 1u);
  ExpectSameQueue(queues[0], q3);
  EXPECT_EQ(Keys(LoadConsumers(store())),
            (std::vector<std::string>{absl::StrCat(q3.id, "/c@3")}));
  EXPECT_EQ(store().DeleteQueue("q1").code(), absl::StatusCode::kNotFound);
}

// ------------------------------------------------------------- consumers

TEST_P(QueueStoreContractTest, SaveConsumersInsertsThenUpdates) {
  const int64_t exchange = CreateExchange("orders");
  const QueueRecord q = CreateQueue(Spec("q", exchange));
  const absl::Time created_at = kBase + absl::Microseconds(1);
  ASSERT_TRUE(
      store()
          .SaveConsumers({Consumer(q.id, "c", 5, created_at, created_at)})
          .ok());
  std::vector<ConsumerRecord> all = LoadConsumers(store());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].queue_id, q.id);
  EXPECT_EQ(all[0].name, "c");
  EXPECT_EQ(all[0].committed_offset, 5u);
  EXPECT_EQ(all[0].created_at, created_at);
  EXPECT_EQ(all[0].last_active_at, created_at);

  // An update changes the offset and the activity, never created_at.
  const absl::Time later = kBase + absl::Hours(1);
  ASSERT_TRUE(store()
                  .SaveConsumers(
                      {Consumer(q.id, "c", 9, kBase + absl::Hours(2), later)})
                  .ok());
  all = LoadConsumers(store());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].committed_offset, 9u);
  EXPECT_EQ(all[0].created_at, created_at);
  EXPECT_EQ(all[0].last_active_at, later);

  // An offset may also go back (a consumer rewound by its owner).
  ASSERT_TRUE(
      store().SaveConsumers({Consumer(q.id, "c", 0, created_at, later)}).ok());
  all = LoadConsumers(store());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].committed_offset, 0u);
}

TEST_P(QueueStoreContractTest, SaveConsumersTruncatesTimesToMicroseconds) {
  const int64_t exchange = CreateExchange("orders");
  const QueueRecord q = CreateQueue(Spec("q", exchange));
  ASSERT_TRUE(
      store()
          .SaveConsumers({Consumer(q.id, "c", 1, kBase + absl::Nanoseconds(999),
                                   kBase + absl::Nanoseconds(1500))})
          .ok());
  const std::vector<ConsumerRecord> all = LoadConsumers(store());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].created_at, kBase);
  EXPECT_EQ(all[0].last_active_at, kBase + absl::Microseconds(1));
}

TEST_P(QueueStoreContractTest, SaveConsumersSkipsConsumersOfDeletedQueues) {
  const int64_t exchange = CreateExchange("orders");
  const QueueRecord live = CreateQueue(Spec("live", exchange));
  const QueueRecord gone = CreateQueue(Spec("gone", exchange));
  ASSERT_TRUE(store().DeleteQueue("gone").ok());
  const absl::Status status = store().SaveConsumers(
      {Consumer(live.id, "a", 1), Consumer(gone.id, "a", 2),
       Consumer(live.id, "b", 3), Consumer(gone.id + 1000, "c", 4)});
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(Keys(LoadConsumers(store())),
            (std::vector<std::string>{absl::StrCat(live.id, "/a@1"),
                                      absl::StrCat(live.id, "/b@3")}));
}

TEST_P(QueueStoreContractTest, SaveConsumersThousandInOneCall) {
  const int64_t exchange = CreateExchange("orders");
  const QueueRecord q1 = CreateQueue(Spec("q1", exchange));
  const QueueRecord q2 = CreateQueue(Spec("q2", exchange));
  std::vector<ConsumerRecord> batch;
  for (int i = 0; i < 1000; ++i) {
    batch.push_back(Consumer(i % 2 == 0 ? q1.id : q2.id,
                             absl::StrCat("consumer-", 1000 + i), i,
                             kBase + absl::Seconds(i), kBase));
  }
  ASSERT_TRUE(store().SaveConsumers(batch).ok());
  for (ConsumerRecord& consumer : batch) consumer.committed_offset += 1;
  ASSERT_TRUE(store().SaveConsumers(batch).ok());

  const std::vector<ConsumerRecord> all = LoadConsumers(store());
  ASSERT_EQ(all.size(), 1000u);
  for (size_t i = 0; i < all.size(); ++i) {
    // Sorted: the 500 of q1 (even i), then the 500 of q2, each by name.
    const int n =
        i < 500 ? 2 * static_cast<int>(i) : 2 * static_cast<int>(i - 500) + 1;
    SCOPED_TRACE(i);
    EXPECT_EQ(all[i].queue_id, n % 2 == 0 ? q1.id : q2.id);
    EXPECT_EQ(all[i].name, absl::StrCat("consumer-", 1000 + n));
    EXPECT_EQ(all[i].committed_offset, static_cast<uint64_t>(n) + 1);
    EXPECT_EQ(all[i].created_at, kBase + absl::Seconds(n));
  }
}

TEST_P(QueueStoreContractTest, SaveConsumersEmptyIsOk) {
  EXPECT_TRUE(store().SaveConsumers({}).ok());
  EXPECT_TRUE(LoadConsumers(store()).empty());
}

TEST_P(QueueStoreContractTest, SaveConsumersRepeatedKeyActsAsTwoSaves) {
  const int64_t exchange = CreateExchange("orders");
  const QueueRecord q = CreateQueue(Spec("q", exchange));
  ASSERT_TRUE(store()
                  .SaveConsumers({Consumer(q.id, "c", 1, kBase, kBase),
                                  Consumer(q.id, "d", 7),
                                  Consumer(q.id, "c", 2, kBase + absl::Hours(1),
                                           kBase + absl::Hours(2))})
                  .ok());
  const std::vector<ConsumerRecord> all = LoadConsumers(store());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "c");
  EXPECT_EQ(all[0].committed_offset, 2u);
  EXPECT_EQ(all[0].created_at, kBase);
  EXPECT_EQ(all[0].last_active_at, kBase + absl::Hours(2));
  EXPECT_EQ(all[1].name, "d");
}

TEST_P(QueueStoreContractTest, SaveConsumersRejectsValuesOutsideTheSchema) {
  const int64_t exchange = CreateExchange("orders");
  const QueueRecord q = CreateQueue(Spec("q", exchange));
  const ConsumerRecord bad[] = {
      Consumer(q.id, "c",
               static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1),
      Consumer(q.id, "c", 1, absl::InfinitePast(), kBase),
      Consumer(q.id, "c", 1, kBase, absl::InfiniteFuture()),
  };
  for (const ConsumerRecord& consumer : bad) {
    // All or nothing: the good consumer before it is not stored either.
    EXPECT_EQ(
        store().SaveConsumers({Consumer(q.id, "good", 1), consumer}).code(),
        absl::StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(LoadConsumers(store()).empty());
}

TEST_P(QueueStoreContractTest, LoadConsumersSortedByQueueThenName) {
  const int64_t exchange = CreateExchange("orders");
  // Created in this order, so "first" has the smaller id.
  const QueueRecord first = CreateQueue(Spec("zz-first", exchange));
  const QueueRecord second = CreateQueue(Spec("aa-second", exchange));
  ASSERT_LT(first.id, second.id);
  ASSERT_TRUE(store()
                  .SaveConsumers(
                      {Consumer(second.id, "b", 1), Consumer(first.id, "b", 2),
                       Consumer(second.id, "B", 3), Consumer(first.id, "a", 4),
                       Consumer(second.id, "a b", 5)})
                  .ok());
  EXPECT_EQ(
      Keys(LoadConsumers(store())),
      (std::vector<std::string>{
          absl::StrCat(first.id, "/a@4"), absl::StrCat(first.id, "/b@2"),
          absl::StrCat(second.id, "/B@3"), absl::StrCat(second.id, "/a b@5"),
          absl::StrCat(second.id, "/b@1")}));
}

TEST_P(QueueStoreContractTest, DeleteConsumerRemovesOnlyThatOne) {
  const int64_t exchange = CreateExchange("orders");
  const QueueRecord q1 = CreateQueue(Spec("q1", exchange));
  const QueueRecord q2 = CreateQueue(Spec("q2", exchange));
  ASSERT_TRUE(
      store()
          .SaveConsumers({Consumer(q1.id, "c", 1), Consumer(q1.id, "d", 2),
                          Consumer(q2.id, "c", 3)})
          .ok());
  EXPECT_TRUE(store().DeleteConsumer(q1.id, "c").ok());
  EXPECT_TRUE(store().DeleteConsumer(q1.id, "c").ok());         // already gone
  EXPECT_TRUE(store().DeleteConsumer(q2.id + 1000, "c").ok());  // no queue
  EXPECT_EQ(Keys(LoadConsumers(store())),
            (std::vector<std::string>{absl::StrCat(q1.id, "/d@2"),
                                      absl::StrCat(q2.id, "/c@3")}));
}

// ---------------------------------------------------------- OffsetAtTime

TEST_P(QueueStoreContractTest, OffsetAtTimeOfEmptyExchangeIsOne) {
  const int64_t exchange = CreateExchange("orders");
  for (const absl::Time time :
       {absl::InfinitePast(), kBase, absl::Now(), absl::InfiniteFuture()}) {
    absl::StatusOr<uint64_t> offset = store().OffsetAtTime(exchange, time);
    ASSERT_TRUE(offset.ok()) << offset.status();
    EXPECT_EQ(*offset, 1u);
  }
}

TEST_P(QueueStoreContractTest, OffsetAtTimeFindsFirstEventAtOrAfter) {
  const int64_t exchange = CreateExchange("orders");
  const int64_t other = CreateExchange("other");
  // Offsets 1..6 stored at +1s, +2s, +2s, +2s, +5s, +5s.
  const absl::Time at[] = {kBase + absl::Seconds(1), kBase + absl::Seconds(2),
                           kBase + absl::Seconds(2), kBase + absl::Seconds(2),
                           kBase + absl::Seconds(5), kBase + absl::Seconds(5)};
  std::vector<Event> events;
  for (uint64_t i = 0; i < 6; ++i)
    events.push_back(EventStoredAt(i + 1, at[i]));
  ASSERT_TRUE(store().AppendEvents(exchange, events).ok());
  // Another exchange's events never count.
  ASSERT_TRUE(store().AppendEvents(other, {EventStoredAt(1, kBase)}).ok());

  struct Case {
    std::string what;
    absl::Time time;
    uint64_t want;
  };
  const Case cases[] = {
      {"infinite past", absl::InfinitePast(), 1},
      {"before the first", kBase, 1},
      {"exactly the first", kBase + absl::Seconds(1), 1},
      {"just after the first", kBase + absl::Seconds(1) + absl::Microseconds(1),
       2},
      {"exactly a tie: the smallest offset", kBase + absl::Seconds(2), 2},
      {"between two stored_at values", kBase + absl::Seconds(3), 5},
      {"exactly the last", kBase + absl::Seconds(5), 5},
      {"after the last: head + 1", kBase + absl::Seconds(6), 7},
      {"infinite future", absl::InfiniteFuture(), 7},
      {"below a microsecond counts as that microsecond",
       kBase + absl::Seconds(1) + absl::Nanoseconds(999), 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    absl::StatusOr<uint64_t> offset = store().OffsetAtTime(exchange, c.time);
    ASSERT_TRUE(offset.ok()) << offset.status();
    EXPECT_EQ(*offset, c.want);
  }
}

TEST_P(QueueStoreContractTest, OffsetAtTimeOfUnknownExchangeIsNotFound) {
  const int64_t exchange = CreateExchange("orders");
  EXPECT_EQ(store().OffsetAtTime(exchange + 1000, kBase).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace evrouter::testing
