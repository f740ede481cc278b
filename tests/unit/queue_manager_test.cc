#include "server/core/queue_manager.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/core/clock.h"
#include "server/core/executor.h"
#include "server/core/router.h"
#include "server/metrics/exposition.h"
#include "server/server_metrics.h"
#include "server/transport/rpc_metrics.h"
#include "storage/event_store.h"
#include "tests/unit/controlled_store.h"

namespace evrouter::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Long enough never to fire on a healthy run; a hang fails instead.
constexpr absl::Duration kDeadline = absl::Seconds(60);

// Waits for one asynchronous result.
template <typename T>
class Waiter {
 public:
  auto Callback() {
    return [this](T value) {
      value_.emplace(std::move(value));
      done_.Notify();
    };
  }
  bool Ready() const { return done_.HasBeenNotified(); }
  T Get() {
    EXPECT_TRUE(done_.WaitForNotificationWithTimeout(kDeadline));
    return std::move(*value_);
  }

 private:
  absl::Notification done_;
  std::optional<T> value_;
};

std::vector<uint64_t> Offsets(const Delivery& delivery) {
  std::vector<uint64_t> offsets;
  for (const auto& event : delivery.events) offsets.push_back(event->offset);
  return offsets;
}

class QueueManagerTest : public ::testing::Test {
 protected:
  QueueManagerTest()
      : store_(NewMemoryEventStore()),
        controlled_(std::make_unique<ControlledStore>(store_.get())) {
    Boot();
  }

  // A server start on the same store: everything from the store.
  void Boot(QueueManagerOptions options = {}) {
    queues_.reset();
    router_.reset();
    options.offset_flush_interval = absl::Milliseconds(5);
    options_ = options;
    router_ = std::make_unique<Router>(RouterOptions{}, controlled_.get(),
                                       &executor_, &clock_);
    queues_ = std::make_unique<QueueManager>(options, router_.get(),
                                             controlled_.get(), &executor_,
                                             &reads_, &clock_);
    ASSERT_TRUE(router_->Load().ok());
    ASSERT_TRUE(queues_->Load().ok());
  }

  void CreateExchange(const std::string& name, ExchangeKind kind) {
    Waiter<absl::StatusOr<ExchangeInfo>> waiter;
    router_->CreateExchange(name, kind, waiter.Callback());
    ASSERT_TRUE(waiter.Get().ok());
  }

  absl::StatusOr<QueueInfo> CreateQueue(QueueSpec spec) {
    Waiter<absl::StatusOr<QueueInfo>> waiter;
    queues_->CreateQueue(std::move(spec), waiter.Callback());
    return waiter.Get();
  }

  // Publishes events of the given types in one batch; returns their offsets.
  std::vector<uint64_t> Publish(const std::string& exchange,
                                const std::vector<std::string>& types) {
    std::vector<EventInput> events;
    for (const std::string& type : types) {
      EventInput input;
      input.type = type;
      input.payload = "p";
      events.push_back(std::move(input));
    }
    Waiter<absl::StatusOr<std::vector<PublishedEvent>>> waiter;
    router_->Publish(exchange, std::move(events), waiter.Callback());
    absl::StatusOr<std::vector<PublishedEvent>> published = waiter.Get();
    EXPECT_TRUE(published.ok()) << published.status();
    std::vector<uint64_t> offsets;
    if (published.ok())
      for (const auto& event : *published) offsets.push_back(event.offset);
    return offsets;
  }

  void PublishMany(const std::string& exchange, int count) {
    for (int done = 0; done < count;) {
      int batch = std::min(count - done, 100);
      Publish(exchange, std::vector<std::string>(batch, "t.e"));
      done += batch;
    }
  }

  absl::StatusOr<std::shared_ptr<Subscription>> Subscribe(SubscribeSpec spec) {
    Waiter<absl::StatusOr<std::shared_ptr<Subscription>>> waiter;
    queues_->Subscribe(std::move(spec), waiter.Callback());
    return waiter.Get();
  }

  std::shared_ptr<Subscription> MustSubscribe(const std::string& queue,
                                              const std::string& consumer,
                                              uint32_t max_in_flight = 0) {
    SubscribeSpec spec;
    spec.queue = queue;
    spec.consumer = consumer;
    spec.max_in_flight = max_in_flight;
    absl::StatusOr<std::shared_ptr<Subscription>> subscription =
        Subscribe(std::move(spec));
    EXPECT_TRUE(subscription.ok()) << subscription.status();
    return subscription.ok() ? *subscription : nullptr;
  }

  static absl::StatusOr<Delivery> Next(Subscription& subscription) {
    Waiter<absl::StatusOr<Delivery>> waiter;
    subscription.Next(waiter.Callback());
    return waiter.Get();
  }

  // Reads (acking as it goes) until `last` was delivered; returns every
  // delivered offset in order and how many caught_up markers came.
  static std::vector<uint64_t> ReadThrough(Subscription& subscription,
                                           uint64_t last,
                                           int* caught_up = nullptr) {
    std::vector<uint64_t> offsets;
    while (offsets.empty() || offsets.back() < last) {
      absl::StatusOr<Delivery> delivery = Next(subscription);
      if (!delivery.ok()) {
        ADD_FAILURE() << delivery.status();
        break;
      }
      if (delivery->caught_up && caught_up != nullptr) ++*caught_up;
      for (const auto& event : delivery->events)
        offsets.push_back(event->offset);
      if (!delivery->events.empty()) {
        EXPECT_TRUE(subscription.Ack(offsets.back()).ok());
      }
    }
    return offsets;
  }

  std::optional<ConsumerInfo> Consumer(const std::string& queue,
                                       const std::string& name) {
    absl::StatusOr<std::vector<ConsumerInfo>> consumers =
        queues_->ListConsumers(queue);
    if (!consumers.ok()) return std::nullopt;
    for (const ConsumerInfo& info : *consumers)
      if (info.name == name) return info;
    return std::nullopt;
  }

  std::unique_ptr<EventStore> store_;
  std::unique_ptr<ControlledStore> controlled_;  // over store_
  SystemClock clock_;
  ThreadPoolExecutor executor_{2};
  ThreadPoolExecutor reads_{2};
  QueueManagerOptions options_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<QueueManager> queues_;
};

TEST_F(QueueManagerTest, TopicQueueGetsOnlyMatchingEventsInOrder) {
  CreateExchange("orders", ExchangeKind::kTopic);
  ASSERT_TRUE(CreateQueue({"paid", "orders", {"#.paid"}, 0, false}).ok());
  auto subscription = MustSubscribe("paid", "c");
  Publish("orders", {"order.created", "order.paid", "paid", "x.order.paid",
                     "order.paid.not"});
  int caught_up = 0;
  EXPECT_THAT(ReadThrough(*subscription, 4, &caught_up), ElementsAre(2, 3, 4));
  EXPECT_EQ(caught_up, 1);
}

TEST_F(QueueManagerTest, QueueStartsAtHeadUnlessFromEarliest) {
  CreateExchange("x", ExchangeKind::kFanout);
  Publish("x", {"a", "b"});
  ASSERT_TRUE(CreateQueue({"late", "x", {}, 0, false}).ok());
  ASSERT_TRUE(CreateQueue({"all", "x", {}, 0, true}).ok());
  Publish("x", {"c"});
  auto late = MustSubscribe("late", "c");
  auto all = MustSubscribe("all", "c");
  EXPECT_THAT(ReadThrough(*late, 3), ElementsAre(3));
  EXPECT_THAT(ReadThrough(*all, 3), ElementsAre(1, 2, 3));
}

TEST_F(QueueManagerTest, CreateQueueSameSpecIsNoOpOtherSpecAlreadyExists) {
  CreateExchange("x", ExchangeKind::kDirect);
  absl::StatusOr<QueueInfo> first =
      CreateQueue({"q", "x", {"b", "a", "a"}, 10, false});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(first->bindings, ElementsAre("a", "b"));
  EXPECT_TRUE(CreateQueue({"q", "x", {"a", "b"}, 10, false}).ok());
  EXPECT_EQ(CreateQueue({"q", "x", {"a"}, 10, false}).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(CreateQueue({"q", "x", {"a", "b"}, 11, false}).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(CreateQueue({"r", "nope", {"a"}, 0, false}).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(CreateQueue({"r", "x", {}, 0, false}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The heart of invariant 4: a reader far behind a tiny buffer reads history
// in chunks, then switches to live, while a publisher keeps publishing.
TEST_F(QueueManagerTest, CatchUpThenLiveHasNoGapNoDuplicateUnderPublishing) {
  QueueManagerOptions options;
  options.catchup_chunk_events = 7;
  Boot(options);
  CreateExchange("x", ExchangeKind::kFanout);
  ASSERT_TRUE(CreateQueue({"q", "x", {}, 10, false}).ok());
  PublishMany("x", 2000);
  std::thread publisher([this] {
    for (int i = 0; i < 200; ++i) Publish("x", {"t.a", "t.b", "t.c"});
  });
  auto subscription = MustSubscribe("q", "c", 50);
  int caught_up = 0;
  std::vector<uint64_t> offsets = ReadThrough(*subscription, 2600, &caught_up);
  publisher.join();
  ASSERT_EQ(offsets.size(), 2600u);
  for (size_t i = 0; i < offsets.size(); ++i)
    ASSERT_EQ(offsets[i], i + 1) << "at index " << i;
  EXPECT_LE(caught_up, 1);
}

TEST_F(QueueManagerTest, ReaderThatFallsBehindTheBufferContinuesFromStore) {
  CreateExchange("x", ExchangeKind::kFanout);
  ASSERT_TRUE(CreateQueue({"q", "x", {}, 5, false}).ok());
  auto subscription = MustSubscribe("q", "c");
  Publish("x", {"a"});
  EXPECT_THAT(ReadThrough(*subscription, 1), ElementsAre(1));
  PublishMany("x", 100);  // evicts 95 of them from the buffer
  std::vector<uint64_t> offsets = ReadThrough(*subscription, 101);
  ASSERT_EQ(offsets.size(), 100u);
  EXPECT_EQ(offsets.front(), 2u);
  EXPECT_EQ(offsets.back(), 101u);
  absl::StatusOr<QueueInfo> info = queues_->GetQueue("q");
  ASSERT_TRUE(info.ok());
  Stats stats = queues_->GetStats();
  ASSERT_EQ(stats.queues.size(), 1u);
  EXPECT_EQ(stats.queues[0].buffered, 5u);  // bounded by limit_size
}

// Postgres gone during a history read: the subscription ends UNAVAILABLE and
// its consumer sleeps with the offset it had acked, so the subscriber can
// come back once the store is readable and resume right after it.
TEST_F(QueueManagerTest,
       FailedHistoryReadEndsTheSubscriptionAndFreesTheConsumer) {
  QueueManagerOptions options;
  options.catchup_chunk_events = 10;
  Boot(options);
  CreateExchange("x", ExchangeKind::kFanout);
  ASSERT_TRUE(CreateQueue({"q", "x", {}, 5, false}).ok());
  PublishMany("x", 100);  // 95 of them only in the store
  SubscribeSpec spec;
  spec.queue = "q";
  spec.consumer = "c";
  spec.max_in_flight = 10;
  auto subscription = Subscribe(spec);
  ASSERT_TRUE(subscription.ok()) << subscription.status();
  std::vector<uint64_t> first = ReadThrough(**subscription, 10);
  ASSERT_FALSE(first.empty());
  const uint64_t acked = first.back();

  controlled_->FailReads(true);
  absl::StatusOr<Delivery> failed = Next(**subscription);
  while (failed.ok()) {  // what an earlier read left over, then the failure
    ASSERT_FALSE(failed->events.empty());
    failed = Next(**subscription);
  }
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable)
      << failed.status();
  std::optional<ConsumerInfo> consumer = Consumer("q", "c");
  ASSERT_TRUE(consumer.has_value());
  EXPECT_FALSE(consumer->active);
  EXPECT_EQ(consumer->committed_offset, acked);

  controlled_->FailReads(false);
  auto resumed = Subscribe(spec);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  std::vector<uint64_t> rest = ReadThrough(**resumed, 100);
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.front(), acked + 1);
  EXPECT_EQ(rest.back(), 100u);
  EXPECT_EQ(rest.size(), 100 - acked);
}

TEST_F(QueueManagerTest, NeverMoreThanMaxInFlightUnacknowledged) {
  CreateExchange("x", ExchangeKind::kFanout);
  ASSERT_TRUE(CreateQueue({"q", "x", {}, 0, false}).ok());
  PublishMany("x", 20);
  auto subscription = MustSubscribe("q", "c", 3);
  absl::StatusOr<Delivery> first = Next(*subscription);
  ASSERT_TRUE(first.ok());
  EXPECT_THAT(Offsets(*first), ElementsAre(1, 2, 3));
  Waiter<absl::StatusOr<Delivery>> blocked;
  subscription->Next(blocked.Callback());
  EXPECT_FALSE(blocked.Ready());  // no credit: waits for an ack
  ASSERT_TRUE(subscription->Ack(2).ok());
  absl::StatusOr<Delivery> second = blocked.Get();
  ASSERT_TRUE(second.ok());
  EXPECT_THAT(Offsets(*second), ElementsAre(4, 5));
}

TEST_F(QueueManagerTest, AckValidation) {
  CreateExchange("x", ExchangeKind::kFanout);
  ASSERT_TRUE(CreateQueue({"q", "x", {}, 0, false}).ok());
  PublishMany("x", 5);
  auto subscription = MustSubscribe("q", "c", 2);
  ASSERT_TRUE(Next(*subscription).ok());  // 1, 2
  absl::Status beyond = subscription->Ack(3);
  EXPECT_EQ(beyond.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(beyond.message(), HasSubstr("ack.offset"));
  EXPECT_TRUE(subscription->Ack(2).ok());
  EXPECT_TRUE(subscription->Ack(1).ok());  // below committed: no-op
  EXPECT_EQ(Consumer("q", "c")->committed_offset, 2u);
}

TEST_F(QueueManagerTest, SecondSubscriberRefusedUnlessTakeover) {
  CreateExchange("x", ExchangeKind::kFanout);
  ASSERT_TRUE(CreateQueue({"q", "x", {}, 0, false}).ok());
  auto first = MustSubscribe("q", "c");
  ASSERT_TRUE(Next(*first).ok());  // caught up, nothing stored
  Waiter<absl::StatusOr<Delivery>> waiting;
  first->Next(waiting.Callback());
  SubscribeSpec spec;
  spec.queue = "q";
  spec.consumer = "c";
  EXPECT_EQ(Subscribe(spec).status().code(),
            absl::StatusCode::kFailedPrecondition);
  spec.takeover = true;
  absl::StatusOr<std::shared_ptr<Subscription>> second = Subscribe(spec);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(waiting.Get().status().code(), absl::StatusCode::kAborted);
  EXPECT_TRUE(Consumer("q", "c")->active);
  (*second)->Close();
  EXPECT_FALSE(Consumer("q", "c")->active);
}

TEST_F(QueueManagerTest, OffsetsSurviveARestartAndConsumersSleep) {
  CreateExchange("x", ExchangeKind::kTopic);
  ASSERT_TRUE(CreateQueue({"q", "x", {"a.*"}, 0, false}).ok());
  Publish("x", {"a.1", "b.1", "a.2"});
  auto subscription = MustSubscribe("q", "c");
  EXPECT_THAT(ReadThrough(*subscription, 3), ElementsAre(1, 3));
  subscription->Close();
  ASSERT_TRUE(queues_->FlushOffsets().ok());
  Boot();
  std::optional<ConsumerInfo> consumer = Consumer("q", "c");
  ASSERT_TRUE(consumer.has_value());
  EXPECT_FALSE(consumer->active);
  EXPECT_EQ(consumer->committed_offset, 3u);
  absl::StatusOr<QueueInfo> queue = queues_->GetQueue("q");
  ASSERT_TRUE(queue.ok());
  EXPECT_THAT(queue->bindings, ElementsAre("a.*"));
  Publish("x", {"a.3", "b.2", "a.5"});
  auto resumed = MustSubscribe("q", "c");
  EXPECT_THAT(ReadThrough(*resumed, 6), ElementsAre(4, 6));
}

TEST_F(QueueManagerTest, StartPositions) {
  CreateExchange("x", ExchangeKind::kFanout);
  ASSERT_TRUE(CreateQueue({"q", "x", {}, 0, false}).ok());
  PublishMany("x", 10);
  SubscribeSpec spec;
  spec.queue = "q";
  spec.consumer = "c";
  spec.position = SubscribeSpec::Position::kOffset;
  spec.offset = 7;
  auto at_seven = *Subscribe(spec);
  EXPECT_EQ(ReadThrough(*at_seven, 7).front(), 7u);
  at_seven->Close();
  spec.position = SubscribeSpec::Position::kEarliest;
  auto earliest = *Subscribe(spec);
  EXPECT_EQ(ReadThrough(*earliest, 1).front(), 1u);
  earliest->Close();
  spec.position = SubscribeSpec::Position::kLatest;
  auto latest = *Subscribe(spec);
  Publish("x", {"new"});
  EXPECT_THAT(ReadThrough(*latest, 11), ElementsAre(11));
  latest->Close();
  spec.position = SubscribeSpec::Position::kOffset;
  spec.offset = 13;
  EXPECT_EQ(Subscribe(spec).status().code(), absl::StatusCode::kOutOfRange);
  spec.offset = 0;
  EXPECT_EQ(Subscribe(spec).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(QueueManagerTest, SeekMovesOnlyASleepingConsumer) {
  CreateExchange("x", ExchangeKind::kFanout);
  ASSERT_TRUE(CreateQueue({"q", "x", {}, 0, false}).ok());
  PublishMany("x", 10);
  auto subscription = MustSubscribe("q", "c");
  Waiter<absl::StatusOr<ConsumerInfo>> active;
  queues_->SeekConsumer("q", "c", {.offset = 3, .time = std::nullopt},
                        active.Callback());
  EXPECT_EQ(active.Get().status().code(),
            absl::StatusCode::kFailedPrecondition);
  subscription->Close();
  Waiter<absl::StatusOr<ConsumerInfo>> sleeping;
  queues_->SeekConsumer("q", "c", {.offset = 4, .time = std::nullopt},
                        sleeping.Callback());
  absl::StatusOr<ConsumerInfo> moved = sleeping.Get();
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->committed_offset, 3u);
  EXPECT_EQ(moved->lag, 7u);
  auto resumed = MustSubscribe("q", "c");
  EXPECT_EQ(ReadThrough(*resumed, 4).front(), 4u);
}

TEST_F(QueueManagerTest, DeletingQueueOrExchangeEndsSubscriptions) {
  CreateExchange("x", ExchangeKind::kFanout);
  ASSERT_TRUE(CreateQueue({"q", "x", {}, 0, false}).ok());
  ASSERT_TRUE(CreateQueue({"r", "x", {}, 0, false}).ok());
  auto on_q = MustSubscribe("q", "c");
  auto on_r = MustSubscribe("r", "c");
  ASSERT_TRUE(Next(*on_q).ok());
  ASSERT_TRUE(Next(*on_r).ok());
  Waiter<absl::StatusOr<Delivery>> q_waiting, r_waiting;
  on_q->Next(q_waiting.Callback());
  on_r->Next(r_waiting.Callback());
  Waiter<absl::Status> deleted;
  queues_->DeleteQueue("q", deleted.Callback());
  EXPECT_TRUE(deleted.Get().ok());
  EXPECT_EQ(q_waiting.Get().status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(queues_->GetQueue("q").status().code(),
            absl::StatusCode::kNotFound);
  Waiter<absl::Status> exchange_deleted;
  router_->DeleteExchange("x", exchange_deleted.Callback());
  EXPECT_TRUE(exchange_deleted.Get().ok());
  EXPECT_EQ(r_waiting.Get().status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(queues_->ListQueues("")->empty());
}

TEST_F(QueueManagerTest, UnaryAckCommitsAndIsRefusedWhileAStreamIsActive) {
  CreateExchange("x", ExchangeKind::kFanout);
  ASSERT_TRUE(CreateQueue({"q", "x", {}, 0, false}).ok());
  PublishMany("x", 5);
  Waiter<absl::StatusOr<uint64_t>> unknown;
  queues_->Ack("q", "nobody", 1, unknown.Callback());
  EXPECT_EQ(unknown.Get().status().code(), absl::StatusCode::kNotFound);
  auto subscription = MustSubscribe("q", "c");
  Waiter<absl::StatusOr<uint64_t>> refused;
  queues_->Ack("q", "c", 2, refused.Callback());
  EXPECT_EQ(refused.Get().status().code(),
            absl::StatusCode::kFailedPrecondition);
  subscription->Close();
  Waiter<absl::StatusOr<uint64_t>> acked;
  queues_->Ack("q", "c", 2, acked.Callback());
  absl::StatusOr<uint64_t> committed = acked.Get();
  ASSERT_TRUE(committed.ok());
  EXPECT_EQ(*committed, 2u);
  Waiter<absl::StatusOr<uint64_t>> beyond;
  queues_->Ack("q", "c", 6, beyond.Callback());
  EXPECT_EQ(beyond.Get().status().code(), absl::StatusCode::kOutOfRange);
  // Stored, not just in memory.
  absl::StatusOr<std::vector<ConsumerRecord>> stored = store_->LoadConsumers();
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].committed_offset, 2u);
}

TEST_F(QueueManagerTest, WakeEndsAWaitForLiveEventsWithNothing) {
  CreateExchange("x", ExchangeKind::kFanout);
  ASSERT_TRUE(CreateQueue({"q", "x", {}, 0, false}).ok());
  SubscribeSpec spec;
  spec.queue = "q";
  spec.consumer = "c";
  spec.report_caught_up = false;
  auto subscription = *Subscribe(spec);
  Waiter<absl::StatusOr<Delivery>> waiting;
  subscription->Next(waiting.Callback());
  EXPECT_FALSE(waiting.Ready());
  subscription->Wake();
  absl::StatusOr<Delivery> delivery = waiting.Get();
  ASSERT_TRUE(delivery.ok());
  EXPECT_TRUE(delivery->events.empty());
}

}  // namespace
}  // namespace evrouter::core

namespace evrouter::core {
namespace {

// The value of the sample `name_and_labels` in `exposition`, or -1.
double SampleValue(const std::string& exposition,
                   const std::string& name_and_labels) {
  const std::string prefix = name_and_labels + " ";
  size_t at = exposition.find("\n" + prefix);
  if (at == std::string::npos) return -1;
  at += 1 + prefix.size();
  return std::stod(exposition.substr(at, exposition.find('\n', at) - at));
}

// /metrics reads the same state GetStats does, at each scrape.
TEST_F(QueueManagerTest, ServerMetricsFollowPublishesDeliveriesAndConsumers) {
  transport::RpcMetrics rpcs({});
  metrics::MetricsRegistry registry;
  AddServerMetrics(&registry, {.version = "9.9.9",
                               .router = router_.get(),
                               .queues = queues_.get(),
                               .store = controlled_.get(),
                               .access = nullptr,
                               .rpcs = &rpcs});
  CreateExchange("orders", ExchangeKind::kTopic);
  ASSERT_TRUE(CreateQueue({"orders.all", "orders", {"#"}, 100, false}).ok());
  Publish("orders", {"a", "b", "c"});
  Publish("orders", {"d"});
  auto subscription = MustSubscribe("orders.all", "billing");
  ASSERT_NE(subscription, nullptr);
  std::vector<uint64_t> delivered = ReadThrough(*subscription, 4);
  ASSERT_EQ(delivered.back(), 4u);  // and acked
  Publish("orders", {"e", "f"});    // not acked

  std::string out = registry.Render();
  EXPECT_EQ(SampleValue(out, "evrouter_build_info{version=\"9.9.9\"}"), 1);
  EXPECT_EQ(SampleValue(out, "evrouter_exchanges"), 1);
  EXPECT_EQ(
      SampleValue(out, "evrouter_events_published_total{exchange=\"orders\"}"),
      6);
  EXPECT_EQ(
      SampleValue(out, "evrouter_exchange_head_offset{exchange=\"orders\"}"),
      6);
  EXPECT_EQ(SampleValue(out, "evrouter_publish_batch_events_count"), 3);
  EXPECT_EQ(SampleValue(out, "evrouter_publish_batch_events_sum"), 6);
  EXPECT_EQ(SampleValue(out, "evrouter_publish_latency_seconds_count"), 3);
  EXPECT_EQ(SampleValue(out, "evrouter_storage_commit_events_sum"), 6);
  EXPECT_GE(SampleValue(out, "evrouter_storage_commit_duration_seconds_count"),
            1);
  EXPECT_GE(
      SampleValue(out, "evrouter_events_delivered_total{queue=\"orders.all\"}"),
      4);
  EXPECT_EQ(
      SampleValue(out, "evrouter_queue_buffered_events{queue=\"orders.all\"}"),
      6);
  EXPECT_EQ(
      SampleValue(out,
                  "evrouter_queue_buffer_limit_events{queue=\"orders.all\"}"),
      100);
  EXPECT_DOUBLE_EQ(
      SampleValue(out,
                  "evrouter_queue_buffer_fill_ratio{queue=\"orders.all\"}"),
      0.06);
  EXPECT_EQ(
      SampleValue(out,
                  "evrouter_consumers{queue=\"orders.all\",state=\"active\"}"),
      1);
  EXPECT_EQ(
      SampleValue(
          out, "evrouter_consumers{queue=\"orders.all\",state=\"sleeping\"}"),
      0);
  EXPECT_EQ(SampleValue(out,
                        "evrouter_consumer_active{queue=\"orders.all\","
                        "consumer=\"billing\"}"),
            1);
  EXPECT_EQ(SampleValue(out,
                        "evrouter_consumer_committed_offset{queue=\"orders."
                        "all\",consumer=\"billing\"}"),
            4);
  EXPECT_EQ(SampleValue(out,
                        "evrouter_consumer_lag_events{queue=\"orders.all\","
                        "consumer=\"billing\"}"),
            2);
  // A memory store has no connections.
  EXPECT_EQ(SampleValue(out, "evrouter_storage_connections_max"), 0);
  EXPECT_EQ(SampleValue(out, "evrouter_auth_failures_total"), 0);
  EXPECT_GT(SampleValue(out, "process_resident_memory_bytes"), 0);
  EXPECT_GT(SampleValue(out, "process_start_time_seconds"), 1.6e9);
  EXPECT_GT(SampleValue(out, "process_open_fds"), 0);

  subscription->Close();
  out = registry.Render();
  EXPECT_EQ(
      SampleValue(
          out, "evrouter_consumers{queue=\"orders.all\",state=\"sleeping\"}"),
      1);
  EXPECT_EQ(SampleValue(out,
                        "evrouter_consumer_active{queue=\"orders.all\","
                        "consumer=\"billing\"}"),
            0);
  EXPECT_GT(SampleValue(out,
                        "evrouter_consumer_last_active_timestamp_seconds{queue="
                        "\"orders.all\",consumer=\"billing\"}"),
            0);
}

}  // namespace
}  // namespace evrouter::core
