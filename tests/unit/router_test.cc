#include "server/core/router.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/core/clock.h"
#include "server/core/executor.h"
#include "storage/event_store.h"
#include "storage/uuid.h"
#include "tests/unit/controlled_store.h"

namespace evrouter::core {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// Long enough never to fire on a healthy run; a hang fails instead of
// blocking the suite.
constexpr absl::Duration kDeadline = absl::Seconds(60);

class FakeClock : public Clock {
 public:
  absl::Time Now() override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
};

using PublishResult = absl::StatusOr<std::vector<PublishedEvent>>;

// The outcome of one asynchronous publish.
struct PendingPublish {
  absl::Notification done;
  PublishResult result = absl::UnknownError("not run");

  // Waits for the callback; a hang becomes DEADLINE_EXCEEDED.
  PublishResult Wait() {
    if (!done.WaitForNotificationWithTimeout(kDeadline))
      return absl::DeadlineExceededError("publish callback never ran");
    return result;
  }
};

std::string IdText(int n) {
  return absl::StrFormat("00000000-0000-7000-8000-%012d", n);
}

EventInput Ev(std::string id = "", std::string payload = "x") {
  EventInput event;
  event.id = std::move(id);
  event.type = "order.placed";
  event.source = "shop";
  event.payload = std::move(payload);
  return event;
}

std::vector<uint64_t> Offsets(const std::vector<PublishedEvent>& events) {
  std::vector<uint64_t> offsets;
  for (const PublishedEvent& event : events) offsets.push_back(event.offset);
  return offsets;
}

// The offsets of a publish that must have succeeded.
std::vector<uint64_t> OffsetsOf(const PublishResult& result) {
  if (!result.ok()) {
    ADD_FAILURE() << "publish failed: " << result.status();
    return {};
  }
  return Offsets(*result);
}

std::vector<bool> Duplicates(const std::vector<PublishedEvent>& events) {
  std::vector<bool> duplicates;
  for (const PublishedEvent& event : events)
    duplicates.push_back(event.duplicate);
  return duplicates;
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() { router_ = NewRouter(RouterOptions()); }

  void TearDown() override {
    store_.Release();
    executor_.reset();  // drains every round before the routers go
  }

  std::unique_ptr<Router> NewRouter(RouterOptions options) {
    return std::make_unique<Router>(std::move(options), &store_,
                                    executor_.get(), &clock_);
  }

  std::shared_ptr<PendingPublish> PublishAsync(Router& router,
                                               std::string exchange,
                                               std::vector<EventInput> events) {
    auto pending = std::make_shared<PendingPublish>();
    router.Publish(exchange, std::move(events),
                   [pending](PublishResult result) {
                     pending->result = std::move(result);
                     pending->done.Notify();
                   });
    return pending;
  }
  std::shared_ptr<PendingPublish> PublishAsync(std::string exchange,
                                               std::vector<EventInput> events) {
    return PublishAsync(*router_, std::move(exchange), std::move(events));
  }
  PublishResult Publish(Router& router, std::string exchange,
                        std::vector<EventInput> events) {
    return PublishAsync(router, std::move(exchange), std::move(events))->Wait();
  }
  PublishResult Publish(std::string exchange, std::vector<EventInput> events) {
    return Publish(*router_, std::move(exchange), std::move(events));
  }

  absl::StatusOr<ExchangeInfo> Create(Router& router, std::string name,
                                      ExchangeKind kind) {
    absl::Notification done;
    absl::StatusOr<ExchangeInfo> result = absl::UnknownError("not run");
    router.CreateExchange(std::move(name), kind,
                          [&](absl::StatusOr<ExchangeInfo> info) {
                            result = std::move(info);
                            done.Notify();
                          });
    if (!done.WaitForNotificationWithTimeout(kDeadline))
      return absl::DeadlineExceededError("create never answered");
    return result;
  }
  absl::StatusOr<ExchangeInfo> Create(
      std::string name, ExchangeKind kind = ExchangeKind::kFanout) {
    return Create(*router_, std::move(name), kind);
  }

  absl::Status Delete(std::string name) {
    absl::Notification done;
    absl::Status result = absl::UnknownError("not run");
    router_->DeleteExchange(std::move(name), [&](absl::Status status) {
      result = std::move(status);
      done.Notify();
    });
    if (!done.WaitForNotificationWithTimeout(kDeadline))
      return absl::DeadlineExceededError("delete never answered");
    return result;
  }

  uint64_t Head(absl::string_view name) {
    absl::StatusOr<ExchangeInfo> info = router_->GetExchange(name);
    if (!info.ok()) {
      ADD_FAILURE() << info.status();
      return ~uint64_t{0};
    }
    return info->head_offset;
  }

  // Everything the memory store holds for `name`, in offset order.
  std::vector<Event> Stored(const std::string& name) {
    absl::StatusOr<std::vector<ExchangeRecord>> records =
        memory_->LoadExchanges();
    EXPECT_TRUE(records.ok()) << records.status();
    if (!records.ok()) return {};
    for (const ExchangeRecord& record : *records) {
      if (record.name != name) continue;
      absl::StatusOr<std::vector<Event>> events =
          memory_->ReadEvents(record.id, 1, 1'000'000);
      EXPECT_TRUE(events.ok()) << events.status();
      return events.ok() ? *std::move(events) : std::vector<Event>();
    }
    ADD_FAILURE() << "exchange " << name << " is not in the store";
    return {};
  }

  std::vector<uint64_t> StoredOffsets(const std::string& name) {
    std::vector<uint64_t> offsets;
    for (const Event& event : Stored(name)) offsets.push_back(event.offset);
    return offsets;
  }

  std::unique_ptr<EventStore> memory_ = NewMemoryEventStore();
  ControlledStore store_{memory_.get()};
  FakeClock clock_;
  std::unique_ptr<ThreadPoolExecutor> executor_ =
      std::make_unique<ThreadPoolExecutor>(4);
  std::unique_ptr<Router> router_;
  std::unique_ptr<Router> restarted_;  // a second router over the same store
};

// ---------------------------------------------------------------- admin

TEST_F(RouterTest, CreateExchangeSameKindTwiceIsOk) {
  absl::StatusOr<ExchangeInfo> first = Create("orders", ExchangeKind::kTopic);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->name, "orders");
  EXPECT_EQ(first->kind, ExchangeKind::kTopic);
  EXPECT_EQ(first->head_offset, 0u);
  ASSERT_TRUE(Publish("orders", {Ev()}).ok());

  absl::StatusOr<ExchangeInfo> again = Create("orders", ExchangeKind::kTopic);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->kind, ExchangeKind::kTopic);
  EXPECT_EQ(again->head_offset, 1u);  // the existing exchange, not a new one
  EXPECT_EQ(again->created_at, first->created_at);
}

TEST_F(RouterTest, CreateExchangeOtherKindIsAlreadyExists) {
  ASSERT_TRUE(Create("orders", ExchangeKind::kFanout).ok());
  absl::StatusOr<ExchangeInfo> other = Create("orders", ExchangeKind::kDirect);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists)
      << other.status();
  EXPECT_EQ(router_->GetExchange("orders")->kind, ExchangeKind::kFanout);
}

TEST_F(RouterTest, CreateExchangeInvalidNameIsInvalidArgument) {
  for (const std::string& name : {std::string(""), std::string("has space"),
                                  std::string("a/b"), std::string(129, 'x')}) {
    absl::StatusOr<ExchangeInfo> info = Create(name);
    EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument) << name;
    EXPECT_THAT(std::string(info.status().message()), StartsWith("name: "));
  }
  EXPECT_THAT(router_->ListExchanges(), IsEmpty());
}

TEST_F(RouterTest, GetListAndDeleteExchanges) {
  ASSERT_TRUE(Create("zeta", ExchangeKind::kTopic).ok());
  ASSERT_TRUE(Create("alpha", ExchangeKind::kDirect).ok());

  std::vector<ExchangeInfo> list = router_->ListExchanges();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "alpha");
  EXPECT_EQ(list[0].kind, ExchangeKind::kDirect);
  EXPECT_EQ(list[1].name, "zeta");
  EXPECT_EQ(list[1].kind, ExchangeKind::kTopic);

  absl::StatusOr<ExchangeInfo> got = router_->GetExchange("zeta");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->kind, ExchangeKind::kTopic);

  absl::StatusOr<ExchangeInfo> missing = router_->GetExchange("nope");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()), StartsWith("name: "));
  EXPECT_EQ(router_->GetExchange("bad name").status().code(),
            absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(Delete("zeta").ok());
  EXPECT_EQ(router_->GetExchange("zeta").status().code(),
            absl::StatusCode::kNotFound);
  list = router_->ListExchanges();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].name, "alpha");
  absl::StatusOr<std::vector<ExchangeRecord>> records =
      memory_->LoadExchanges();
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ((*records)[0].name, "alpha");

  absl::Status again = Delete("zeta");
  EXPECT_EQ(again.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(again.message()), StartsWith("name: "));
}

TEST_F(RouterTest, PublishToUnknownExchangeIsNotFound) {
  PublishResult result = Publish("ghost", {Ev()});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(result.status().message()), StartsWith("exchange: "));

  PublishResult bad_name = Publish("bad name", {Ev()});
  EXPECT_EQ(bad_name.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_name.status().message()),
              StartsWith("exchange: "));
}

// ---------------------------------------------------------------- offsets

TEST_F(RouterTest, FirstPublishGetsOffsetOneAndStoresTheEvent) {
  ASSERT_TRUE(Create("orders").ok());
  EventInput input = Ev(IdText(1), "hello");
  input.headers = {{"b", "2"}, {"a", "1"}};
  PublishResult result = Publish("orders", {input, Ev()});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(Offsets(*result), ElementsAre(1, 2));
  EXPECT_EQ((*result)[0].id, *ParseUuid(IdText(1)));
  EXPECT_FALSE((*result)[0].duplicate);

  std::vector<Event> stored = Stored("orders");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].id, *ParseUuid(IdText(1)));
  EXPECT_EQ(stored[0].payload, "hello");
  EXPECT_EQ(stored[0].headers[0].first, "a");
  EXPECT_EQ(stored[0].stored_at, clock_.Now());
  EXPECT_EQ(stored[1].id, (*result)[1].id);  // the server-generated one
  EXPECT_EQ(stored[1].id.size(), 16u);
  EXPECT_EQ(Head("orders"), 2u);
}

TEST_F(RouterTest, OffsetsAreGaplessAndUniqueUnderConcurrency) {
  ASSERT_TRUE(Create("orders").ok());
  constexpr int kThreads = 8;
  constexpr int kPublishes = 1000;
  constexpr int kPublishesTotal = kThreads * kPublishes;

  absl::Mutex mu;
  std::vector<uint64_t> offsets;
  int callbacks = 0;
  int failures = 0;
  int duplicates = 0;
  int split_publishes = 0;  // a publish whose offsets are not contiguous
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPublishes; ++i) {
        std::vector<EventInput> batch(i % 4 == 0 ? 3 : 1, Ev());
        router_->Publish("orders", std::move(batch), [&](PublishResult result) {
          absl::MutexLock lock(&mu);
          ++callbacks;
          if (!result.ok()) {
            ++failures;
            return;
          }
          for (size_t k = 0; k < result->size(); ++k) {
            offsets.push_back((*result)[k].offset);
            if ((*result)[k].duplicate) ++duplicates;
            if (k > 0 && (*result)[k].offset != (*result)[k - 1].offset + 1)
              ++split_publishes;
          }
        });
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(mu.AwaitWithTimeout(
        absl::Condition(
            +[](int* n) { return *n == kPublishesTotal; }, &callbacks),
        kDeadline))
        << callbacks << " of " << kPublishesTotal << " callbacks ran";
    EXPECT_EQ(failures, 0);
    EXPECT_EQ(duplicates, 0);
    EXPECT_EQ(split_publishes, 0);
  }

  // Every fourth publish carries three events, the others one.
  const uint64_t total =
      kThreads * (kPublishes / 4 * 3 + (kPublishes - kPublishes / 4));
  std::sort(offsets.begin(), offsets.end());
  ASSERT_EQ(offsets.size(), total);
  for (uint64_t i = 0; i < total; ++i) {
    ASSERT_EQ(offsets[i], i + 1) << "offset " << i + 1 << " missing or twice";
  }
  EXPECT_EQ(Head("orders"), total);

  std::vector<uint64_t> stored = StoredOffsets("orders");
  ASSERT_EQ(stored.size(), total);
  for (uint64_t i = 0; i < total; ++i) ASSERT_EQ(stored[i], i + 1);
}

// ---------------------------------------------------------------- commit

TEST_F(RouterTest, AcksOnlyAfterCommit) {
  ASSERT_TRUE(Create("orders").ok());
  store_.BlockNextAppend();
  std::shared_ptr<PendingPublish> first = PublishAsync("orders", {Ev()});
  ASSERT_TRUE(store_.WaitUntilBlocked());

  EXPECT_FALSE(first->done.HasBeenNotified())
      << "acknowledged while the transaction was still open";
  EXPECT_THAT(StoredOffsets("orders"), IsEmpty());
  EXPECT_EQ(Head("orders"), 0u);

  store_.Release();
  PublishResult result = first->Wait();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(Offsets(*result), ElementsAre(1));
  EXPECT_THAT(StoredOffsets("orders"), ElementsAre(1));
}

TEST_F(RouterTest, PublishesQueuedDuringACommitShareTheNextOne) {
  ASSERT_TRUE(Create("orders").ok());
  store_.BlockNextAppend();
  std::shared_ptr<PendingPublish> first = PublishAsync("orders", {Ev()});
  ASSERT_TRUE(store_.WaitUntilBlocked());

  std::vector<std::shared_ptr<PendingPublish>> queued;
  queued.push_back(PublishAsync("orders", {Ev()}));
  queued.push_back(PublishAsync("orders", {Ev(), Ev()}));
  queued.push_back(PublishAsync("orders", {Ev()}));
  for (const auto& pending : queued)
    EXPECT_FALSE(pending->done.HasBeenNotified());
  EXPECT_EQ(store_.append_calls(), 1);

  store_.Release();
  EXPECT_THAT(OffsetsOf(first->Wait()), ElementsAre(1));
  PublishResult a = queued[0]->Wait();
  PublishResult b = queued[1]->Wait();
  PublishResult c = queued[2]->Wait();
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  // FIFO: offsets follow the order the publishes arrived in.
  EXPECT_THAT(Offsets(*a), ElementsAre(2));
  EXPECT_THAT(Offsets(*b), ElementsAre(3, 4));
  EXPECT_THAT(Offsets(*c), ElementsAre(5));
  // One transaction for the blocked publish, one for the three queued ones.
  EXPECT_EQ(store_.append_calls(), 2);
  EXPECT_LT(store_.append_calls(), 4);
  EXPECT_THAT(StoredOffsets("orders"), ElementsAre(1, 2, 3, 4, 5));
}

TEST_F(RouterTest, GroupCommitNeverSplitsAPublishAndHonoursMaxEvents) {
  RouterOptions options;
  options.log.max_commit_events = 3;
  router_ = NewRouter(options);
  ASSERT_TRUE(Create("orders").ok());
  store_.BlockNextAppend();
  std::shared_ptr<PendingPublish> first = PublishAsync("orders", {Ev()});
  ASSERT_TRUE(store_.WaitUntilBlocked());
  // 2 + 2 events exceed 3, so these need two more rounds; the 5-event publish
  // is bigger than a round allows and still goes, alone and whole.
  std::shared_ptr<PendingPublish> a = PublishAsync("orders", {Ev(), Ev()});
  std::shared_ptr<PendingPublish> b = PublishAsync("orders", {Ev(), Ev()});
  std::shared_ptr<PendingPublish> c =
      PublishAsync("orders", {Ev(), Ev(), Ev(), Ev(), Ev()});
  store_.Release();
  EXPECT_THAT(OffsetsOf(first->Wait()), ElementsAre(1));
  EXPECT_THAT(OffsetsOf(a->Wait()), ElementsAre(2, 3));
  EXPECT_THAT(OffsetsOf(b->Wait()), ElementsAre(4, 5));
  EXPECT_THAT(OffsetsOf(c->Wait()), ElementsAre(6, 7, 8, 9, 10));
  EXPECT_EQ(store_.append_calls(), 4);
  EXPECT_THAT(StoredOffsets("orders"),
              ElementsAre(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
}

TEST_F(RouterTest, FailedCommitStoresNothingAndLeavesNoGap) {
  ASSERT_TRUE(Create("orders").ok());
  ASSERT_THAT(OffsetsOf(Publish("orders", {Ev()})), ElementsAre(1));

  store_.FailNextAppend(ControlledStore::Failure::kBeforeCommit);
  PublishResult failed = Publish("orders", {Ev(IdText(7)), Ev()});
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(StoredOffsets("orders"), ElementsAre(1));
  EXPECT_EQ(Head("orders"), 1u);

  int head_reads = store_.head_calls();
  PublishResult next = Publish("orders", {Ev()});
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_THAT(Offsets(*next), ElementsAre(2));
  EXPECT_GT(store_.head_calls(), head_reads) << "head was not re-read";

  // The failed id was never stored, so a retry stores it (not a duplicate).
  PublishResult retry = Publish("orders", {Ev(IdText(7))});
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_THAT(Offsets(*retry), ElementsAre(3));
  EXPECT_THAT(Duplicates(*retry), ElementsAre(false));
  EXPECT_THAT(StoredOffsets("orders"), ElementsAre(1, 2, 3));
}

TEST_F(RouterTest, RetryAfterLostReplyIsDuplicate) {
  ASSERT_TRUE(Create("orders").ok());
  store_.FailNextAppend(ControlledStore::Failure::kAfterCommit);
  PublishResult lost = Publish("orders", {Ev(IdText(1)), Ev(IdText(2))});
  EXPECT_EQ(lost.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(StoredOffsets("orders"), ElementsAre(1, 2));  // it did commit

  PublishResult retry = Publish("orders", {Ev(IdText(1)), Ev(IdText(2))});
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_THAT(Offsets(*retry), ElementsAre(1, 2));
  EXPECT_THAT(Duplicates(*retry), ElementsAre(true, true));
  EXPECT_THAT(StoredOffsets("orders"), ElementsAre(1, 2));  // not twice

  PublishResult next = Publish("orders", {Ev()});
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_THAT(Offsets(*next), ElementsAre(3));
  EXPECT_EQ(Head("orders"), 3u);
}

// ---------------------------------------------------------------- dedup

TEST_F(RouterTest, SameIdTwiceIsDuplicateWithTheSameOffset) {
  ASSERT_TRUE(Create("orders").ok());
  PublishResult first = Publish("orders", {Ev(IdText(1)), Ev(IdText(2))});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(Duplicates(*first), ElementsAre(false, false));

  PublishResult second = Publish("orders", {Ev(IdText(3)), Ev(IdText(2))});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(Offsets(*second), ElementsAre(3, 2));
  EXPECT_THAT(Duplicates(*second), ElementsAre(false, true));
  EXPECT_EQ((*second)[1].id, *ParseUuid(IdText(2)));
  EXPECT_THAT(StoredOffsets("orders"), ElementsAre(1, 2, 3));
}

// Only publisher-chosen ids can be retried, so only those are remembered: the
// window costs nothing for publishers that leave ids to the server.
TEST_F(RouterTest, ServerGeneratedIdsAreNotRemembered) {
  ASSERT_TRUE(Create("orders").ok());
  PublishResult generated = Publish("orders", {Ev(), Ev(IdText(1))});
  ASSERT_TRUE(generated.ok()) << generated.status();
  std::vector<Event> stored = Stored("orders");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_FALSE(stored[0].publisher_id);
  EXPECT_TRUE(stored[1].publisher_id);

  PublishResult reused =
      Publish("orders", {Ev(FormatUuid((*generated)[0].id)), Ev(IdText(1))});
  ASSERT_TRUE(reused.ok()) << reused.status();
  EXPECT_THAT(Offsets(*reused), ElementsAre(3, 2));
  EXPECT_THAT(Duplicates(*reused), ElementsAre(false, true));
}

TEST_F(RouterTest, SameIdTwiceInOneBatchIsStoredOnce) {
  ASSERT_TRUE(Create("orders").ok());
  PublishResult result =
      Publish("orders", {Ev(IdText(1)), Ev(IdText(1)), Ev(IdText(2))});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_THAT(Offsets(*result), ElementsAre(1, 1, 2));
  EXPECT_THAT(Duplicates(*result), ElementsAre(false, true, false));
  EXPECT_THAT(StoredOffsets("orders"), ElementsAre(1, 2));
}

TEST_F(RouterTest, IdIsStoredAgainAfterTheWindowPassed) {
  ASSERT_TRUE(Create("orders").ok());
  ASSERT_THAT(OffsetsOf(Publish("orders", {Ev(IdText(1))})), ElementsAre(1));

  clock_.Advance(RouterOptions().log.dedup_window + absl::Seconds(1));
  PublishResult again = Publish("orders", {Ev(IdText(1))});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(Offsets(*again), ElementsAre(2));
  EXPECT_THAT(Duplicates(*again), ElementsAre(false));
  EXPECT_THAT(StoredOffsets("orders"), ElementsAre(1, 2));
}

TEST_F(RouterTest, ZeroWindowStoresEveryPublish) {
  RouterOptions options;
  options.log.dedup_window = absl::ZeroDuration();
  router_ = NewRouter(options);
  ASSERT_TRUE(Create("orders").ok());
  ASSERT_TRUE(Publish("orders", {Ev(IdText(1))}).ok());
  PublishResult again = Publish("orders", {Ev(IdText(1))});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(Offsets(*again), ElementsAre(2));
  EXPECT_THAT(Duplicates(*again), ElementsAre(false));
}

TEST_F(RouterTest, RestartKeepsDedupWindowAndContinuesAtHead) {
  ASSERT_TRUE(Create("orders", ExchangeKind::kTopic).ok());
  ASSERT_TRUE(Create("empty").ok());
  ASSERT_TRUE(Publish("orders", {Ev(IdText(1)), Ev(IdText(2))}).ok());
  clock_.Advance(absl::Seconds(30));  // still inside the window

  restarted_ = NewRouter(RouterOptions());
  ASSERT_TRUE(restarted_->Load().ok());
  std::vector<ExchangeInfo> list = restarted_->ListExchanges();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "empty");
  EXPECT_EQ(list[0].head_offset, 0u);
  EXPECT_EQ(list[1].name, "orders");
  EXPECT_EQ(list[1].kind, ExchangeKind::kTopic);
  EXPECT_EQ(list[1].head_offset, 2u);

  PublishResult duplicate = Publish(*restarted_, "orders", {Ev(IdText(2))});
  ASSERT_TRUE(duplicate.ok()) << duplicate.status();
  EXPECT_THAT(Offsets(*duplicate), ElementsAre(2));
  EXPECT_THAT(Duplicates(*duplicate), ElementsAre(true));

  PublishResult next = Publish(*restarted_, "orders", {Ev(IdText(3))});
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_THAT(Offsets(*next), ElementsAre(3));
  EXPECT_THAT(Duplicates(*next), ElementsAre(false));
  EXPECT_THAT(StoredOffsets("orders"), ElementsAre(1, 2, 3));
  EXPECT_THAT(OffsetsOf(Publish(*restarted_, "empty", {Ev()})), ElementsAre(1));
}

// stored_at never goes backwards in offset order, even when the clock does
// across a restart and the head event's id was generated by the server.
TEST_F(RouterTest, StoredAtNeverDecreasesAcrossRestartWhenTheClockStepsBack) {
  ASSERT_TRUE(Create("orders").ok());
  ASSERT_TRUE(Publish("orders", {Ev(), Ev()}).ok());
  clock_.Advance(-absl::Hours(1));

  restarted_ = NewRouter(RouterOptions());
  ASSERT_TRUE(restarted_->Load().ok());
  ASSERT_TRUE(Publish(*restarted_, "orders", {Ev()}).ok());
  std::vector<Event> stored = Stored("orders");
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[2].stored_at, stored[1].stored_at);
  EXPECT_GE(stored[1].stored_at, stored[0].stored_at);
}

TEST_F(RouterTest, RestartForgetsIdsOutsideTheWindow) {
  ASSERT_TRUE(Create("orders").ok());
  ASSERT_TRUE(Publish("orders", {Ev(IdText(1))}).ok());
  clock_.Advance(RouterOptions().log.dedup_window + absl::Seconds(1));

  restarted_ = NewRouter(RouterOptions());
  ASSERT_TRUE(restarted_->Load().ok());
  PublishResult again = Publish(*restarted_, "orders", {Ev(IdText(1))});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_THAT(Offsets(*again), ElementsAre(2));
  EXPECT_THAT(Duplicates(*again), ElementsAre(false));
}

// ---------------------------------------------------------------- limits

TEST_F(RouterTest, InvalidEventRejectsTheWholeBatch) {
  ASSERT_TRUE(Create("orders").ok());
  EventInput bad = Ev();
  bad.type = "order..placed";
  std::shared_ptr<PendingPublish> pending =
      PublishAsync("orders", {Ev(), Ev(), bad, Ev()});
  // Validation answers inline, before Publish returns.
  ASSERT_TRUE(pending->done.HasBeenNotified());
  EXPECT_EQ(pending->result.status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(pending->result.status().message()),
              StartsWith("events[2].type: "));
  EXPECT_THAT(StoredOffsets("orders"), IsEmpty());
  EXPECT_EQ(store_.append_calls(), 0);
  EXPECT_EQ(Head("orders"), 0u);

  // The next good publish still starts at 1.
  EXPECT_THAT(OffsetsOf(Publish("orders", {Ev()})), ElementsAre(1));
}

TEST_F(RouterTest, PendingBytesPastTheLimitAreResourceExhausted) {
  RouterOptions options;
  options.log.max_pending_bytes = 1000;
  router_ = NewRouter(options);
  ASSERT_TRUE(Create("orders").ok());

  store_.BlockNextAppend();
  std::shared_ptr<PendingPublish> in_flight = PublishAsync("orders", {Ev()});
  ASSERT_TRUE(store_.WaitUntilBlocked());

  std::shared_ptr<PendingPublish> queued =
      PublishAsync("orders", {Ev("", std::string(600, 'q'))});
  EXPECT_FALSE(queued->done.HasBeenNotified());
  std::shared_ptr<PendingPublish> refused =
      PublishAsync("orders", {Ev("", std::string(600, 'r'))});
  ASSERT_TRUE(refused->done.HasBeenNotified());  // refused inline
  EXPECT_EQ(refused->result.status().code(),
            absl::StatusCode::kResourceExhausted)
      << refused->result.status();

  store_.Release();
  EXPECT_THAT(OffsetsOf(in_flight->Wait()), ElementsAre(1));
  PublishResult second = queued->Wait();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(Offsets(*second), ElementsAre(2));
  std::vector<Event> stored = Stored("orders");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[1].payload, std::string(600, 'q'));

  // Once the queue drained, publishing works again.
  EXPECT_THAT(OffsetsOf(Publish("orders", {Ev("", std::string(600, 's'))})),
              ElementsAre(3));
}

TEST_F(RouterTest, DeleteWhoseReplyWasLostButCommittedIsADelete) {
  ASSERT_TRUE(Create("orders").ok());
  ASSERT_TRUE(Publish("orders", {Ev(), Ev()}).ok());
  store_.LoseNextDeleteReply();
  EXPECT_TRUE(Delete("orders").ok());
  EXPECT_EQ(router_->GetExchange("orders").status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(Create("orders").ok());
  EXPECT_THAT(OffsetsOf(Publish("orders", {Ev()})), ElementsAre(1));
}

TEST_F(RouterTest, DeleteFailsQueuedPublishesAndRecreateStartsAtOne) {
  ASSERT_TRUE(Create("orders").ok());
  ASSERT_TRUE(Publish("orders", {Ev(), Ev()}).ok());

  store_.BlockNextAppend();
  std::shared_ptr<PendingPublish> in_flight = PublishAsync("orders", {Ev()});
  ASSERT_TRUE(store_.WaitUntilBlocked());
  std::shared_ptr<PendingPublish> queued_a = PublishAsync("orders", {Ev()});
  std::shared_ptr<PendingPublish> queued_b =
      PublishAsync("orders", {Ev(), Ev()});

  ASSERT_TRUE(Delete("orders").ok());
  for (const auto& queued : {queued_a, queued_b}) {
    PublishResult result = queued->Wait();
    EXPECT_EQ(result.status().code(), absl::StatusCode::kNotFound)
        << result.status();
    EXPECT_THAT(std::string(result.status().message()),
                StartsWith("exchange: "));
  }
  EXPECT_THAT(router_->ListExchanges(), IsEmpty());
  EXPECT_EQ(router_->GetExchange("orders").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Publish("orders", {Ev()}).status().code(),
            absl::StatusCode::kNotFound);

  store_.Release();
  // Its exchange is gone, so the in-flight publish cannot be acknowledged.
  EXPECT_FALSE(in_flight->Wait().ok());

  absl::StatusOr<ExchangeInfo> recreated = Create("orders");
  ASSERT_TRUE(recreated.ok()) << recreated.status();
  EXPECT_EQ(recreated->head_offset, 0u);
  EXPECT_THAT(OffsetsOf(Publish("orders", {Ev()})), ElementsAre(1));
  EXPECT_THAT(StoredOffsets("orders"), ElementsAre(1));
}

}  // namespace
}  // namespace evrouter::core
