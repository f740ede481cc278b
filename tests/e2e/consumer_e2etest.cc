// Consumers of the real binary: takeover, Fetch/Ack next to streams, queue
// and consumer admin, stats, and what a restart restores.
#include <signal.h>

#include <thread>

#include "absl/time/clock.h"
#include "tests/e2e/subscribe_fixture.h"

namespace evrouter::testing {
namespace {

using ConsumerE2ETest = SubscribeE2ETest;

absl::Time FromTimestamp(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) +
         absl::Nanoseconds(timestamp.nanos());
}

TEST_F(ConsumerE2ETest, SecondStreamIsRefusedUnlessItTakesOver) {
  CreateExchangeAndQueue("orders", v1::EXCHANGE_KIND_FANOUT, "audit");
  PublishEvents("orders", 100);
  std::unique_ptr<client::Subscription> first = Subscribe("audit", "billing");
  Received got;
  absl::Status read = ReadThrough(*first, &got, 30, /*ack_limit=*/30);
  ASSERT_TRUE(read.ok()) << read;
  ASSERT_TRUE(PollUntil([&] {
    std::optional<v1::Consumer> consumer = FindConsumer("audit", "billing");
    return consumer && consumer->committed_offset() == 30;
  }));

  std::unique_ptr<client::Subscription> refused = Subscribe("audit", "billing");
  absl::StatusOr<v1::SubscribeResponse> response = refused->Next();
  EXPECT_EQ(response.status().code(), absl::StatusCode::kFailedPrecondition)
      << response.status();
  std::optional<v1::Consumer> consumer = FindConsumer("audit", "billing");
  ASSERT_TRUE(consumer.has_value());
  EXPECT_EQ(consumer->state(), v1::CONSUMER_STATE_ACTIVE);

  v1::SubscribeStart start = StartOf("audit", "billing");
  start.set_takeover(true);
  std::unique_ptr<client::Subscription> second = streams().Subscribe(start);
  Received taken;
  read = ReadUntilCaughtUp(*second, &taken);
  ASSERT_TRUE(read.ok()) << read;
  EXPECT_TRUE(SameOffsets(Offsets(taken.events), Range(31, 100)));

  Received rest;
  absl::Status old_end = ReadToEnd(*first, &rest);
  EXPECT_EQ(old_end.code(), absl::StatusCode::kAborted) << old_end;
  consumer = FindConsumer("audit", "billing");
  ASSERT_TRUE(consumer.has_value());
  EXPECT_EQ(consumer->state(), v1::CONSUMER_STATE_ACTIVE);

  absl::Status drained = Drain(*second, &taken);
  ASSERT_TRUE(drained.ok()) << drained;
  EXPECT_EQ(CommittedOf("audit", "billing"), 100u);
}

// Fetch reads after the committed offset without committing; unary Ack
// commits (stored before it answers); a stream resumes after it and its
// acks move the same cursor. While a stream is attached, unary Ack and
// Fetch are refused.
TEST_F(ConsumerE2ETest, FetchAckAndSubscribeShareOneCursor) {
  CreateExchangeAndQueue("orders", v1::EXCHANGE_KIND_FANOUT, "audit");
  PublishEvents("orders", 20);

  absl::StatusOr<std::vector<v1::Event>> fetched =
      client().Fetch("audit", "c", 5, absl::ZeroDuration());
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  EXPECT_TRUE(SameOffsets(Offsets(*fetched), Range(1, 5)));
  EXPECT_EQ(fetched->front().exchange(), "orders");
  EXPECT_GT(fetched->front().stored_at().seconds(), 0);
  fetched = client().Fetch("audit", "c", 5, absl::ZeroDuration());
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  EXPECT_TRUE(SameOffsets(Offsets(*fetched), Range(1, 5)));
  std::optional<v1::Consumer> consumer = FindConsumer("audit", "c");
  ASSERT_TRUE(consumer.has_value());
  EXPECT_EQ(consumer->state(), v1::CONSUMER_STATE_SLEEPING);
  EXPECT_EQ(consumer->committed_offset(), 0u);

  absl::StatusOr<uint64_t> committed = client().Ack("audit", "c", 3);
  ASSERT_TRUE(committed.ok()) << committed.status();
  EXPECT_EQ(*committed, 3u);
  EXPECT_EQ(StoredCommitted("audit", "c"), "3");  // stored before the answer
  committed = client().Ack("audit", "c", 2);      // below: a no-op
  ASSERT_TRUE(committed.ok()) << committed.status();
  EXPECT_EQ(*committed, 3u);
  fetched = client().Fetch("audit", "c", 5, absl::ZeroDuration());
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  EXPECT_TRUE(SameOffsets(Offsets(*fetched), Range(4, 8)));

  std::unique_ptr<client::Subscription> subscription = Subscribe("audit", "c");
  Received got;
  absl::Status read = ReadUntilCaughtUp(*subscription, &got, /*ack_limit=*/10);
  ASSERT_TRUE(read.ok()) << read;
  EXPECT_TRUE(SameOffsets(Offsets(got.events), Range(4, 20)));
  ASSERT_TRUE(PollUntil([&] { return CommittedOf("audit", "c") == 10; }));
  EXPECT_EQ(FindConsumer("audit", "c")->state(), v1::CONSUMER_STATE_ACTIVE);
  committed = client().Ack("audit", "c", 12);
  EXPECT_EQ(committed.status().code(), absl::StatusCode::kFailedPrecondition)
      << committed.status();
  fetched = client().Fetch("audit", "c", 5, absl::ZeroDuration());
  EXPECT_EQ(fetched.status().code(), absl::StatusCode::kFailedPrecondition)
      << fetched.status();
  absl::Status drained = Drain(*subscription, &got);
  ASSERT_TRUE(drained.ok()) << drained;

  fetched = client().Fetch("audit", "c", 0, absl::ZeroDuration());
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  EXPECT_TRUE(SameOffsets(Offsets(*fetched), Range(11, 20)));
}

TEST_F(ConsumerE2ETest, FetchWithWaitReturnsAnEventPublishedMeanwhile) {
  CreateExchangeAndQueue("orders", v1::EXCHANGE_KIND_FANOUT, "audit");
  PublishEvents("orders", 3);
  ASSERT_TRUE(client().CreateConsumer("audit", "c").ok());
  ASSERT_EQ(UnaryAck("audit", "c", 3), 3u);

  // The publisher publishes once the fetch is attached (the consumer is
  // ACTIVE while a fetch waits).
  bool saw_active = false;
  std::thread publisher([&] {
    saw_active = PollUntil([&] {
      std::optional<v1::Consumer> consumer = FindConsumer("audit", "c");
      return consumer && consumer->state() == v1::CONSUMER_STATE_ACTIVE;
    });
    client().Publish("orders", MakeEvents(1)).IgnoreError();
  });
  absl::StatusOr<std::vector<v1::Event>> fetched =
      client().Fetch("audit", "c", 10, absl::Seconds(30));
  publisher.join();
  EXPECT_TRUE(saw_active);
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  EXPECT_TRUE(SameOffsets(Offsets(*fetched), {4}));
  EXPECT_EQ(FindConsumer("audit", "c")->state(), v1::CONSUMER_STATE_SLEEPING);

  // Nothing after the committed offset: the wait ends empty.
  ASSERT_EQ(UnaryAck("audit", "c", 4), 4u);
  fetched = client().Fetch("audit", "c", 10, absl::Milliseconds(300));
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  EXPECT_TRUE(fetched->empty());
  EXPECT_EQ(CommittedOf("audit", "c"), 4u);
}

TEST_F(ConsumerE2ETest, CreateQueueChecksTheExchangeAndTheSpec) {
  ASSERT_TRUE(client().CreateExchange("orders", v1::EXCHANGE_KIND_TOPIC).ok());
  ASSERT_TRUE(client().CreateExchange("all", v1::EXCHANGE_KIND_FANOUT).ok());

  absl::StatusOr<v1::Queue> missing =
      client().CreateQueue("q", "nowhere", {"a.*"});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound)
      << missing.status();

  absl::StatusOr<v1::Queue> first =
      client().CreateQueue("q", "orders", {"a.*", "b.#"}, 500);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->exchange(), "orders");
  EXPECT_EQ(first->limit_size(), 500u);
  absl::StatusOr<v1::Queue> again =
      client().CreateQueue("q", "orders", {"a.*", "b.#"}, 500);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->DebugString(), first->DebugString());

  absl::StatusOr<v1::Queue> other_bindings =
      client().CreateQueue("q", "orders", {"a.*"}, 500);
  EXPECT_EQ(other_bindings.status().code(), absl::StatusCode::kAlreadyExists)
      << other_bindings.status();
  absl::StatusOr<v1::Queue> other_limit =
      client().CreateQueue("q", "orders", {"a.*", "b.#"}, 600);
  EXPECT_EQ(other_limit.status().code(), absl::StatusCode::kAlreadyExists)
      << other_limit.status();

  absl::StatusOr<v1::Queue> bound_fanout =
      client().CreateQueue("f", "all", {"a.*"});
  EXPECT_EQ(bound_fanout.status().code(), absl::StatusCode::kInvalidArgument)
      << bound_fanout.status();
  absl::StatusOr<v1::Queue> unbound_topic =
      client().CreateQueue("t", "orders", {});
  EXPECT_EQ(unbound_topic.status().code(), absl::StatusCode::kInvalidArgument)
      << unbound_topic.status();

  absl::StatusOr<std::vector<v1::Queue>> queues = client().ListQueues();
  ASSERT_TRUE(queues.ok()) << queues.status();
  ASSERT_EQ(queues->size(), 1u);
  EXPECT_EQ((*queues)[0].DebugString(), first->DebugString());
  EXPECT_EQ(QueryValue("SELECT count(*) FROM queues"), "1");
}

TEST_F(ConsumerE2ETest, DeleteQueueEndsItsStreamsWithNotFound) {
  CreateExchangeAndQueue("orders", v1::EXCHANGE_KIND_FANOUT, "audit");
  PublishEvents("orders", 10);
  std::unique_ptr<client::Subscription> subscription =
      Subscribe("audit", "billing");
  Received got;
  ASSERT_TRUE(ReadUntilCaughtUp(*subscription, &got).ok());

  absl::Status deleted = client().DeleteQueue("audit");
  ASSERT_TRUE(deleted.ok()) << deleted;
  absl::Status end = ReadToEnd(*subscription, &got);
  EXPECT_EQ(end.code(), absl::StatusCode::kNotFound) << end;

  EXPECT_EQ(client().GetQueue("audit").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(client().ListConsumers("audit").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(QueryValue("SELECT count(*) FROM queues"), "0");
  EXPECT_TRUE(PollUntil(
      [&] { return QueryValue("SELECT count(*) FROM consumers") == "0"; }));
  std::unique_ptr<client::Subscription> again = Subscribe("audit", "billing");
  EXPECT_EQ(again->Next().status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ConsumerE2ETest, SeekMovesASleepingConsumerAndRefusesAnActiveOne) {
  CreateExchangeAndQueue("orders", v1::EXCHANGE_KIND_FANOUT, "audit");
  // Ten commits of ten events: each commit has its own stored_at.
  for (int commit = 0; commit < 10; ++commit) PublishEvents("orders", 10);
  absl::StatusOr<std::vector<v1::Event>> all =
      client().Fetch("audit", "peek", 100, absl::ZeroDuration());
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 100u);
  ASSERT_TRUE(client().CreateConsumer("audit", "c").ok());
  ASSERT_EQ(UnaryAck("audit", "c", 80), 80u);

  auto first_fetched = [&]() -> uint64_t {
    absl::StatusOr<std::vector<v1::Event>> events =
        client().Fetch("audit", "c", 1, absl::ZeroDuration());
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() && !events->empty() ? events->front().offset() : 0;
  };

  // Rewind.
  absl::StatusOr<v1::Consumer> moved = client().SeekConsumer("audit", "c", 50);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->committed_offset(), 49u);
  EXPECT_EQ(moved->state(), v1::CONSUMER_STATE_SLEEPING);
  EXPECT_EQ(StoredCommitted("audit", "c"), "49");
  EXPECT_EQ(first_fetched(), 50u);
  // Skip ahead.
  moved = client().SeekConsumer("audit", "c", 90);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->committed_offset(), 89u);
  EXPECT_EQ(first_fetched(), 90u);
  // By time: the first event of the commit stored then (offset 31).
  ASSERT_EQ((*all)[30].offset(), 31u);
  moved = client().SeekConsumer("audit", "c",
                                FromTimestamp((*all)[30].stored_at()));
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->committed_offset(), 30u);
  EXPECT_EQ(first_fetched(), 31u);
  // By time, ahead: offset 71.
  moved = client().SeekConsumer("audit", "c",
                                FromTimestamp((*all)[70].stored_at()));
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->committed_offset(), 70u);
  EXPECT_EQ(first_fetched(), 71u);

  EXPECT_EQ(client().SeekConsumer("audit", "c", 102).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(client().SeekConsumer("audit", "nobody", 5).status().code(),
            absl::StatusCode::kNotFound);

  std::unique_ptr<client::Subscription> subscription = Subscribe("audit", "c");
  Received got;
  ASSERT_TRUE(ReadUntilCaughtUp(*subscription, &got, kAckNothing).ok());
  EXPECT_TRUE(SameOffsets(Offsets(got.events), Range(71, 100)));
  absl::StatusOr<v1::Consumer> refused =
      client().SeekConsumer("audit", "c", 10);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition)
      << refused.status();
  ASSERT_TRUE(Drain(*subscription, &got).ok());
  EXPECT_EQ(CommittedOf("audit", "c"), 70u);
}

TEST_F(ConsumerE2ETest, DeleteConsumerEndsItsStreamAndForgetsIt) {
  CreateExchangeAndQueue("orders", v1::EXCHANGE_KIND_FANOUT, "audit");
  PublishEvents("orders", 10);
  std::unique_ptr<client::Subscription> subscription =
      Subscribe("audit", "billing");
  Received got;
  ASSERT_TRUE(ReadUntilCaughtUp(*subscription, &got).ok());
  ASSERT_TRUE(PollUntil([&] {
    return CommittedOf("audit", "billing") == 10 &&
           StoredCommitted("audit", "billing") == "10";
  }));

  absl::Status deleted = client().DeleteConsumer("audit", "billing");
  ASSERT_TRUE(deleted.ok()) << deleted;
  absl::Status end = ReadToEnd(*subscription, &got);
  EXPECT_EQ(end.code(), absl::StatusCode::kNotFound) << end;
  EXPECT_FALSE(FindConsumer("audit", "billing").has_value());
  EXPECT_EQ(StoredCommitted("audit", "billing"), "<not one value>");
  EXPECT_EQ(client().DeleteConsumer("audit", "billing").code(),
            absl::StatusCode::kNotFound);

  // The name is free again: a new consumer at the start of the queue.
  std::unique_ptr<client::Subscription> fresh = Subscribe("audit", "billing");
  Received again;
  ASSERT_TRUE(ReadUntilCaughtUp(*fresh, &again, kAckNothing).ok());
  ASSERT_TRUE(Drain(*fresh, &again).ok());
  EXPECT_TRUE(SameOffsets(Offsets(again.events), Range(1, 10)));
}

TEST_F(ConsumerE2ETest, StatsShowHeadsBuffersAndConsumerLag) {
  CreateExchangeAndQueue("orders", v1::EXCHANGE_KIND_FANOUT, "audit", {},
                         /*limit_size=*/500);
  PublishEvents("orders", 100);
  ASSERT_TRUE(client().CreateConsumer("audit", "idle").ok());
  std::unique_ptr<client::Subscription> subscription =
      Subscribe("audit", "billing");
  Received got;
  ASSERT_TRUE(ReadUntilCaughtUp(*subscription, &got, /*ack_limit=*/30).ok());
  ASSERT_TRUE(PollUntil([&] { return CommittedOf("audit", "billing") == 30; }));

  auto find = [](const v1::QueueStats& queue,
                 const std::string& name) -> const v1::Consumer* {
    for (const v1::Consumer& consumer : queue.consumers()) {
      if (consumer.name() == name) return &consumer;
    }
    return nullptr;
  };
  absl::StatusOr<v1::Stats> stats = client().GetStats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  ASSERT_EQ(stats->exchanges_size(), 1);
  EXPECT_EQ(stats->exchanges(0).name(), "orders");
  EXPECT_EQ(stats->exchanges(0).kind(), v1::EXCHANGE_KIND_FANOUT);
  EXPECT_EQ(stats->exchanges(0).head_offset(), 100u);
  EXPECT_GT(stats->exchanges(0).events_in().per_sec_10s(), 0);
  ASSERT_EQ(stats->queues_size(), 1);
  const v1::QueueStats& queue = stats->queues(0);
  EXPECT_EQ(queue.name(), "audit");
  EXPECT_EQ(queue.exchange(), "orders");
  EXPECT_EQ(queue.buffered(), 100u);
  EXPECT_EQ(queue.limit_size(), 500u);
  EXPECT_DOUBLE_EQ(queue.fill_percent(), 20.0);
  EXPECT_GT(queue.events_out().per_sec_10s(), 0);
  ASSERT_EQ(queue.consumers_size(), 2);
  const v1::Consumer* billing = find(queue, "billing");
  ASSERT_NE(billing, nullptr);
  EXPECT_EQ(billing->state(), v1::CONSUMER_STATE_ACTIVE);
  EXPECT_EQ(billing->committed_offset(), 30u);
  EXPECT_EQ(billing->lag(), 70u);
  const v1::Consumer* idle = find(queue, "idle");
  ASSERT_NE(idle, nullptr);
  EXPECT_EQ(idle->state(), v1::CONSUMER_STATE_SLEEPING);
  EXPECT_EQ(idle->committed_offset(), 0u);
  EXPECT_EQ(idle->lag(), 100u);

  ASSERT_TRUE(Drain(*subscription, &got).ok());
  stats = client().GetStats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  billing = find(stats->queues(0), "billing");
  ASSERT_NE(billing, nullptr);
  EXPECT_EQ(billing->state(), v1::CONSUMER_STATE_SLEEPING);
  EXPECT_EQ(billing->committed_offset(), 30u);
  EXPECT_EQ(billing->lag(), 70u);
}

// Invariant 7 for the read side: after a SIGKILL, queues come back with
// their bindings, limit_size and start_offset, consumers with their stored
// offsets, all SLEEPING, and routing and resuming work as before.
TEST_F(ConsumerE2ETest, RestartRestoresQueuesAndConsumersAllSleeping) {
  ASSERT_TRUE(client().CreateExchange("orders", v1::EXCHANGE_KIND_TOPIC).ok());
  PublishEvents("orders", 10, "a.x");  // 1..10
  ASSERT_TRUE(client()
                  .CreateQueue("early", "orders", {"b.*", "a.#"}, 500,
                               /*from_earliest=*/true)
                  .ok());
  ASSERT_TRUE(client().CreateQueue("late", "orders", {"a.x"}).ok());
  PublishEvents("orders", 10, "a.x");  // 11..20
  PublishEvents("orders", 10, "b.y");  // 21..30

  ASSERT_TRUE(client().CreateConsumer("early", "acked").ok());
  ASSERT_EQ(UnaryAck("early", "acked", 15), 15u);
  ASSERT_TRUE(client().CreateConsumer("late", "acked").ok());
  ASSERT_EQ(UnaryAck("late", "acked", 12), 12u);
  ASSERT_TRUE(client().CreateConsumer("late", "fresh").ok());
  // ACTIVE when the server dies; it acks nothing.
  std::unique_ptr<client::Subscription> streaming =
      Subscribe("early", "streaming");
  Received got;
  ASSERT_TRUE(ReadUntilCaughtUp(*streaming, &got, kAckNothing).ok());
  ASSERT_TRUE(
      PollUntil([&] { return StoredCommitted("early", "streaming") == "0"; }));

  absl::StatusOr<std::vector<v1::Queue>> queues_before = client().ListQueues();
  ASSERT_TRUE(queues_before.ok());
  absl::StatusOr<std::vector<v1::Consumer>> consumers_before =
      client().ListConsumers();
  ASSERT_TRUE(consumers_before.ok());
  ASSERT_EQ(consumers_before->size(), 4u);

  Restart(SIGKILL);
  EXPECT_EQ(ReadToEnd(*streaming, &got).code(), absl::StatusCode::kUnavailable);

  absl::StatusOr<std::vector<v1::Queue>> queues_after = client().ListQueues();
  ASSERT_TRUE(queues_after.ok()) << queues_after.status();
  ASSERT_EQ(queues_after->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*queues_after)[i].DebugString(),
              (*queues_before)[i].DebugString());
  }
  EXPECT_EQ((*queues_after)[0].name(), "early");
  EXPECT_EQ((*queues_after)[0].start_offset(), 0u);
  EXPECT_EQ((*queues_after)[0].limit_size(), 500u);
  ASSERT_EQ((*queues_after)[0].bindings_size(), 2);
  EXPECT_EQ((*queues_after)[1].name(), "late");
  EXPECT_EQ((*queues_after)[1].start_offset(), 10u);

  absl::StatusOr<std::vector<v1::Consumer>> consumers_after =
      client().ListConsumers();
  ASSERT_TRUE(consumers_after.ok()) << consumers_after.status();
  ASSERT_EQ(consumers_after->size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const v1::Consumer& before = (*consumers_before)[i];
    const v1::Consumer& after = (*consumers_after)[i];
    SCOPED_TRACE(after.queue() + "/" + after.name());
    EXPECT_EQ(after.queue(), before.queue());
    EXPECT_EQ(after.name(), before.name());
    EXPECT_EQ(after.committed_offset(), before.committed_offset());
    EXPECT_EQ(after.created_at().DebugString(),
              before.created_at().DebugString());
    EXPECT_EQ(after.state(), v1::CONSUMER_STATE_SLEEPING);
  }

  // Publishing continues at head+1 and the restored bindings route it.
  std::vector<uint64_t> next = PublishEvents("orders", 1, "b.z");
  ASSERT_FALSE(next.empty());
  EXPECT_EQ(next.front(), 31u);
  auto resume = [&](const std::string& queue, const std::string& consumer) {
    std::unique_ptr<client::Subscription> subscription =
        Subscribe(queue, consumer);
    Received received;
    absl::Status read = ReadUntilCaughtUp(*subscription, &received);
    EXPECT_TRUE(read.ok()) << read;
    EXPECT_TRUE(Drain(*subscription, &received).ok());
    return Offsets(received.events);
  };
  EXPECT_TRUE(SameOffsets(resume("early", "acked"), Range(16, 31)));
  EXPECT_TRUE(SameOffsets(resume("early", "streaming"), Range(1, 31)));
  EXPECT_TRUE(SameOffsets(resume("late", "acked"), Range(13, 20)));
  EXPECT_TRUE(SameOffsets(resume("late", "fresh"), Range(11, 20)));
}

}  // namespace
}  // namespace evrouter::testing
