// The fault suite: evrouterd killed with SIGKILL at random points while
// eight publishers and three subscribers run, several times over
// (invariants 1, 2, 4 and 7). Every run prints its seed and totals.
#include <signal.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "tests/e2e/subscribe_fixture.h"

namespace evrouter::testing {
namespace {

using FaultE2ETest = SubscribeE2ETest;

// A consumer of the test and what it must see: every event of `type` ("" =
// all) in its queue.
struct ConsumerSpec {
  std::string queue;
  std::string name;
  std::string type;
};

// What one subscription delivered before the server died.
struct Session {
  std::vector<uint64_t> offsets;
  absl::Status end;
};

// Records what the publishers were told: event id -> offset.
class AckLedger {
 public:
  void Record(
      const google::protobuf::RepeatedPtrField<v1::PublishResult>& results) {
    absl::MutexLock lock(&mu_);
    for (const v1::PublishResult& result : results)
      acked_[result.id()] = result.offset();
  }
  void Record(const std::vector<v1::PublishResult>& results) {
    absl::MutexLock lock(&mu_);
    for (const v1::PublishResult& result : results)
      acked_[result.id()] = result.offset();
  }
  // Blocks until at least `count` events were acked in total.
  bool WaitFor(size_t count, absl::Duration within) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return acked_.size() >= count;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), within);
  }
  std::map<std::string, uint64_t> Snapshot() {
    absl::MutexLock lock(&mu_);
    return acked_;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, uint64_t> acked_ ABSL_GUARDED_BY(mu_);
};

std::vector<v1::Event> MixedEvents(int count, std::mt19937& rng) {
  std::vector<v1::Event> events;
  for (int i = 0; i < count; ++i) {
    events.push_back(MakeEvent(rng() % 3 == 0 ? "order.created" : "order.paid",
                               absl::StrCat("payload-", rng())));
  }
  return events;
}

// Publishes until the server is gone: even-numbered publishers with unary
// calls, odd ones over a stream with eight batches in flight.
void RunPublisher(client::Client& client, int index, uint32_t seed,
                  AckLedger* ledger) {
  std::mt19937 rng(seed);
  if (index % 2 == 0) {
    while (true) {
      auto results = client.Publish("orders", MixedEvents(1 + rng() % 20, rng));
      if (!results.ok()) return;
      ledger->Record(*results);
    }
  }
  std::unique_ptr<client::PublishStream> stream = client.OpenPublishStream();
  for (int window = 0;;) {
    while (window < 8) {
      if (!stream->Send("orders", MixedEvents(10 + rng() % 41, rng)).ok())
        return;
      ++window;
    }
    absl::StatusOr<v1::PublishStreamResponse> ack = stream->NextAck();
    if (!ack.ok()) return;
    --window;
    if (ack->error_code() == 0) ledger->Record(ack->results());
  }
}

// Reads one consumer until the stream breaks, acking every response.
void RunSubscriber(client::Client& client, const ConsumerSpec& consumer,
                   Session* session) {
  v1::SubscribeStart start;
  start.set_queue(consumer.queue);
  start.set_consumer(consumer.name);
  start.set_position(v1::START_POSITION_RESUME);
  start.set_max_in_flight(2000);
  std::unique_ptr<client::Subscription> subscription = client.Subscribe(start);
  while (true) {
    absl::StatusOr<v1::SubscribeResponse> response = subscription->Next();
    if (!response.ok()) {
      session->end = response.status();
      return;
    }
    if (response->events_size() == 0) continue;
    for (const v1::Event& event : response->events())
      session->offsets.push_back(event.offset());
    if (!subscription->Ack(session->offsets.back()).ok()) {
      // The stream broke. Responses that arrived before it did may still be
      // read first (they are not recorded: nothing after them is acked).
      absl::StatusOr<v1::SubscribeResponse> rest = subscription->Next();
      while (rest.ok()) rest = subscription->Next();
      session->end = rest.status();
      return;
    }
  }
}

// Invariants 1, 2, 4 and 7 under SIGKILL at random points, several times:
// every acked event is stored at the offset it was acked with, offsets stay
// gapless, publishing continues at head+1, and every consumer resumes at the
// first event after its stored committed offset (repeating at most what
// came after it), never skipping one.
TEST_F(FaultE2ETest, SigkillAtRandomPointsLosesNoAckedEventAndNoDelivery) {
  constexpr int kCycles = 10;
  constexpr int kPublishers = 8;
  const uint32_t seed = std::random_device()();
  std::cout << "fault suite seed " << seed << "\n";
  SCOPED_TRACE(absl::StrCat("seed ", seed));
  std::mt19937 rng(seed);

  ASSERT_TRUE(client().CreateExchange("orders", v1::EXCHANGE_KIND_TOPIC).ok());
  ASSERT_TRUE(client().CreateQueue("all", "orders", {"#"}, 2000).ok());
  ASSERT_TRUE(
      client().CreateQueue("created", "orders", {"order.created"}, 2000).ok());
  const std::vector<ConsumerSpec> consumers = {
      {"all", "billing", ""},
      {"all", "audit", ""},
      {"created", "shipping", "order.created"},
  };
  for (const ConsumerSpec& consumer : consumers) {
    ASSERT_TRUE(client().CreateConsumer(consumer.queue, consumer.name).ok());
  }
  // The committed offset each consumer had when its session started.
  std::vector<uint64_t> committed(consumers.size(), 0);
  // Every offset each consumer was ever delivered.
  std::vector<std::vector<uint64_t>> delivered(consumers.size());

  // The stored offsets a consumer must see in [from, to].
  auto matching = [&](const ConsumerSpec& consumer, uint64_t from,
                      uint64_t to) {
    std::vector<uint64_t> offsets;
    std::string sql = absl::StrCat(
        "SELECT event_offset FROM events WHERE event_offset BETWEEN ", from,
        " AND ", to,
        consumer.type.empty()
            ? ""
            : absl::StrCat(" AND type = '", consumer.type, "'"),
        " ORDER BY event_offset");
    for (const auto& row : QueryRows(db_.dsn(), sql)) {
      offsets.push_back(std::stoull(row[0]));
    }
    return offsets;
  };

  size_t total_acked = 0;
  size_t total_lost = 0;
  uint64_t head = 0;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    SCOPED_TRACE(absl::StrCat("cycle ", cycle));
    AckLedger ledger;
    std::vector<std::unique_ptr<client::Client>> clients;
    std::vector<std::thread> threads;
    for (int p = 0; p < kPublishers; ++p) {
      client::ClientOptions options = client().options();
      options.own_connection = p % 2 == 1;
      clients.push_back(std::make_unique<client::Client>(options));
      threads.emplace_back(RunPublisher, std::ref(*clients.back()), p,
                           static_cast<uint32_t>(rng()), &ledger);
    }
    std::vector<Session> sessions(consumers.size());
    for (size_t c = 0; c < consumers.size(); ++c) {
      client::ClientOptions options = client().options();
      options.own_connection = true;
      options.stream_timeout = absl::Minutes(2);
      clients.push_back(std::make_unique<client::Client>(options));
      threads.emplace_back(RunSubscriber, std::ref(*clients.back()),
                           std::cref(consumers[c]), &sessions[c]);
    }
    // The kill point: after a random number of acked events.
    const size_t kill_after = 200 + rng() % 30000;
    ASSERT_TRUE(ledger.WaitFor(kill_after, absl::Minutes(2)));
    ASSERT_EQ(server_->Stop(SIGKILL), 128 + SIGKILL);
    for (std::thread& thread : threads) thread.join();
    clients.clear();

    // Invariants 1 and 2: acked means stored, at that offset; no gap.
    const std::map<std::string, uint64_t> stored = StoredOffsets(db_.dsn());
    const std::map<std::string, uint64_t> acked = ledger.Snapshot();
    total_lost += CountLostAcks(acked, stored);
    total_acked += acked.size();
    ASSERT_TRUE(OffsetsAreOneTo(db_.dsn(), stored.size()));
    ASSERT_GE(stored.size(), head) << "a stored event disappeared";
    head = stored.size();

    // Invariant 4: each session started right after the committed offset
    // and went on without a gap; the stored offset never passes what was
    // delivered.
    for (size_t c = 0; c < consumers.size(); ++c) {
      const ConsumerSpec& consumer = consumers[c];
      const Session& session = sessions[c];
      EXPECT_EQ(session.end.code(), absl::StatusCode::kUnavailable)
          << consumer.name << ": " << session.end;
      if (!session.offsets.empty()) {
        std::vector<uint64_t> want =
            matching(consumer, committed[c] + 1, session.offsets.back());
        EXPECT_TRUE(SameOffsets(session.offsets, want))
            << consumer.name << " after committed " << committed[c];
      }
      uint64_t now_committed = 0;
      ASSERT_TRUE(absl::SimpleAtoi(
          StoredCommitted(consumer.queue, consumer.name), &now_committed));
      EXPECT_GE(now_committed, committed[c]) << consumer.name;
      EXPECT_LE(now_committed,
                session.offsets.empty() ? committed[c] : session.offsets.back())
          << consumer.name;
      committed[c] = now_committed;
      delivered[c].insert(delivered[c].end(), session.offsets.begin(),
                          session.offsets.end());
    }
    std::cout << "cycle " << cycle << ": killed after " << acked.size()
              << " acked events (kill point " << kill_after << "), head "
              << head << ", delivered " << sessions[0].offsets.size() << "/"
              << sessions[1].offsets.size() << "/" << sessions[2].offsets.size()
              << "\n";

    // Invariant 7: everything comes back; publishing continues at head+1.
    ASSERT_TRUE(server_->Start().ok()) << server_->Log();
    absl::StatusOr<v1::Exchange> restored = client().GetExchange("orders");
    ASSERT_TRUE(restored.ok()) << restored.status();
    EXPECT_EQ(restored->head_offset(), head);
  }
  auto next = client().Publish("orders", MakeEvents(1, "order.created"));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ((*next)[0].offset(), head + 1);
  ++head;

  // Every consumer, resumed once more, reads to the head: over all its
  // sessions it saw every event of its queue.
  for (size_t c = 0; c < consumers.size(); ++c) {
    const ConsumerSpec& consumer = consumers[c];
    std::vector<uint64_t> want = matching(consumer, committed[c] + 1, head);
    std::unique_ptr<client::Subscription> last =
        Subscribe(consumer.queue, consumer.name);
    Received rest;
    if (!want.empty()) {
      ASSERT_TRUE(ReadThrough(*last, &rest, want.back()).ok());
    }
    EXPECT_TRUE(SameOffsets(Offsets(rest.events), want)) << consumer.name;
    std::vector<uint64_t> seen = delivered[c];
    seen.insert(seen.end(), want.begin(), want.end());
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    EXPECT_TRUE(SameOffsets(seen, matching(consumer, 1, head)))
        << consumer.name;
  }
  std::cout << "fault suite: " << kCycles << " SIGKILL cycles, " << total_acked
            << " events acked, " << total_lost << " lost, head " << head
            << "\n";
  EXPECT_EQ(total_lost, 0u);
}

// SIGTERM with --shutdown-grace 1s while a subscriber reads and acks and a
// PublishStream's batch is stuck in a commit (the test holds a lock the
// append needs): the subscriber ends UNAVAILABLE with its acks stored, the
// stuck publish is never acknowledged and its stream is cancelled once the
// grace period is over, and the server exits 0 when the commit returns.
TEST_F(FaultE2ETest, SigtermEndsStreamsFlushesOffsetsAndExitsAfterTheGrace) {
  EXPECT_EQ(server_->Stop(SIGTERM), 0);
  StartServer({"--shutdown-grace", "1s"});
  CreateExchangeAndQueue("orders", v1::EXCHANGE_KIND_FANOUT, "audit");
  PublishEvents("orders", 5000);
  std::unique_ptr<client::Subscription> reading = Subscribe("audit", "reader");
  Received got;
  ASSERT_TRUE(ReadThrough(*reading, &got, 5000).ok());
  ASSERT_TRUE(PollUntil([&] {
    std::optional<v1::Consumer> consumer = FindConsumer("audit", "reader");
    return consumer && consumer->committed_offset() == got.acked;
  }));

  pqxx::connection blocker(db_.dsn());
  pqxx::work lock(blocker);
  lock.exec("SELECT 1 FROM exchanges WHERE name = 'orders' FOR UPDATE");
  std::unique_ptr<client::PublishStream> stuck = client().OpenPublishStream();
  ASSERT_TRUE(stuck->Send("orders", MakeEvents(10)).ok());
  ASSERT_TRUE(WaitForLockWaiter(db_, absl::Seconds(30)));

  int exit_code = -1;
  std::thread stopper([&] { exit_code = server_->Stop(SIGTERM); });
  EXPECT_TRUE(server_->WaitForLog("still in progress after 1s; cancelling",
                                  absl::Seconds(30)))
      << server_->Log();
  absl::StatusOr<v1::PublishStreamResponse> ack = stuck->NextAck();
  EXPECT_FALSE(ack.ok() && ack->error_code() == 0)
      << "a batch whose commit had not returned was acknowledged";
  Received rest;
  absl::Status reader_end = ReadToEnd(*reading, &rest);
  EXPECT_EQ(reader_end.code(), absl::StatusCode::kUnavailable) << reader_end;
  EXPECT_NE(reader_end.message().find("shutting down"), absl::string_view::npos)
      << reader_end;

  lock.abort();  // the commit returns; the server can finish its exit
  stopper.join();
  EXPECT_EQ(exit_code, 0) << server_->Log();
  EXPECT_EQ(StoredCommitted("audit", "reader"), std::to_string(got.acked));
}

}  // namespace
}  // namespace evrouter::testing
