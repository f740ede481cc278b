// Load and back-pressure: limits on open streams, a bounded publish queue
// when Postgres falls behind, and bounded memory for a subscriber that reads
// nothing (invariant 5).
#include <algorithm>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "tests/e2e/subscribe_fixture.h"

namespace evrouter::testing {
namespace {

// A client with a TCP connection of its own, so its streams count against
// the per-connection limit apart from every other client of the test.
std::unique_ptr<client::Client> OwnConnectionClient(
    const std::string& address) {
  client::ClientOptions options;
  options.server = address;
  options.token = testing::kTestAdminToken;
  options.stream_timeout = absl::Minutes(2);
  options.own_connection = true;
  return std::make_unique<client::Client>(options);
}

// A subscription the server accepted: its first response (the caught_up
// marker of an empty queue) has arrived.
std::unique_ptr<client::Subscription> Accepted(
    client::Client& client, const v1::SubscribeStart& start) {
  std::unique_ptr<client::Subscription> subscription = client.Subscribe(start);
  absl::StatusOr<v1::SubscribeResponse> first = subscription->Next();
  EXPECT_TRUE(first.ok()) << first.status();
  if (first.ok()) {
    EXPECT_TRUE(first->caught_up());
  }
  return subscription;
}

class StreamLimitsE2ETest : public SubscribeE2ETest {
 protected:
  void SetUp() override {
    StartServer({"--max-streams", "3", "--max-streams-per-connection", "2"});
  }
};

// A connection may hold two streams and the server three; past either limit
// a Subscribe, PublishStream or Fetch ends RESOURCE_EXHAUSTED naming the
// limit, unary calls still work, and a closed stream frees its place.
TEST_F(StreamLimitsE2ETest, StreamsPerConnectionAndOverallAreBounded) {
  CreateExchangeAndQueue("orders", v1::EXCHANGE_KIND_FANOUT, "audit");
  std::unique_ptr<client::Client> first =
      OwnConnectionClient(server_->address());
  std::unique_ptr<client::Client> second =
      OwnConnectionClient(server_->address());

  std::unique_ptr<client::Subscription> a1 =
      Accepted(*first, StartOf("audit", "a1"));
  std::unique_ptr<client::Subscription> a2 =
      Accepted(*first, StartOf("audit", "a2"));

  std::unique_ptr<client::Subscription> a3 =
      first->Subscribe(StartOf("audit", "a3"));
  absl::StatusOr<v1::SubscribeResponse> refused = a3->Next();
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted)
      << refused.status();
  EXPECT_NE(refused.status().message().find("max-streams-per-connection"),
            absl::string_view::npos)
      << refused.status();

  std::unique_ptr<client::PublishStream> publish = first->OpenPublishStream();
  publish->Send("orders", MakeEvents(1)).IgnoreError();
  absl::StatusOr<v1::PublishStreamResponse> ack = publish->NextAck();
  EXPECT_EQ(ack.status().code(), absl::StatusCode::kResourceExhausted)
      << ack.status();
  // Unary calls are not streams.
  EXPECT_TRUE(first->Publish("orders", MakeEvents(1)).ok());

  // The third stream of the server, on another connection.
  std::unique_ptr<client::Subscription> b1 =
      Accepted(*second, StartOf("audit", "b1"));
  absl::StatusOr<std::vector<v1::Event>> fetched =
      second->Fetch("audit", "b2", 1, absl::ZeroDuration());
  EXPECT_EQ(fetched.status().code(), absl::StatusCode::kResourceExhausted)
      << fetched.status();
  EXPECT_NE(fetched.status().message().find("(max-streams)"),
            absl::string_view::npos)
      << fetched.status();

  // A stream that ends frees its place (once the server is done with it).
  EXPECT_TRUE(a1->Close().ok());
  std::unique_ptr<client::Subscription> again;
  EXPECT_TRUE(PollUntil([&] {
    again = first->Subscribe(StartOf("audit", "a3"));
    absl::StatusOr<v1::SubscribeResponse> response = again->Next();
    return response.ok();
  }));
}

class BackPressureE2ETest : public E2ETest {
 protected:
  void SetUp() override { StartServer({"--max-pending-bytes", "100000"}); }
};

// Publishers outrunning Postgres: while a commit is stuck (the test holds a
// lock the append needs), publishes queue up to --max-pending-bytes; past it
// they are refused at once with RESOURCE_EXHAUSTED and store nothing, while
// the queued ones commit once Postgres moves again.
TEST_F(BackPressureE2ETest, PublishesPastThePendingBoundAreRefusedAtOnce) {
  ASSERT_TRUE(client().CreateExchange("orders", v1::EXCHANGE_KIND_FANOUT).ok());
  ASSERT_TRUE(client().Publish("orders", MakeEvents(1)).ok());
  const std::string payload(40000, 'x');
  auto batch = [&payload] {
    std::vector<v1::Event> events = {MakeEvent("t.big", payload)};
    return events;
  };

  pqxx::connection blocker(db_.dsn());
  pqxx::work lock(blocker);
  lock.exec("SELECT 1 FROM exchanges WHERE name = 'orders' FOR UPDATE");

  // Each publish runs on its own thread: an accepted one waits for the
  // commit, a refused one answers at once.
  absl::Mutex mu;
  std::vector<absl::Status> results;
  std::vector<std::thread> publishers;
  auto publish_in_background = [&] {
    publishers.emplace_back([&] {
      absl::Status status = client().Publish("orders", batch()).status();
      absl::MutexLock hold(&mu);
      results.push_back(status);
    });
  };
  publish_in_background();  // its commit waits for the lock
  ASSERT_TRUE(WaitForLockWaiter(db_, absl::Seconds(30)));

  // Three more: 120,000 bytes would wait, so at least one is refused, and
  // the first answer (nothing can commit yet) is that refusal.
  for (int i = 0; i < 3; ++i) publish_in_background();
  {
    absl::MutexLock hold(&mu);
    auto answered = [&] { return !results.empty(); };
    EXPECT_TRUE(
        mu.AwaitWithTimeout(absl::Condition(&answered), absl::Seconds(30)));
    ASSERT_FALSE(results.empty());
    EXPECT_EQ(results[0].code(), absl::StatusCode::kResourceExhausted)
        << results[0];
    EXPECT_NE(results[0].message().find("bytes waiting for commit"),
              absl::string_view::npos)
        << results[0];
  }
  lock.abort();
  for (std::thread& publisher : publishers) publisher.join();

  int ok = 0;
  int refused = 0;
  for (const absl::Status& status : results) {
    if (status.ok()) {
      ++ok;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
      ++refused;
    }
  }
  EXPECT_GE(refused, 1);
  EXPECT_GE(ok, 2);  // the stuck one and at least one queued behind it
  // Refused batches stored nothing; accepted ones got gapless offsets.
  EXPECT_EQ(StoredCount("orders"), std::to_string(1 + ok));
  EXPECT_EQ(client().GetExchange("orders")->head_offset(),
            static_cast<uint64_t>(1 + ok));
}

// Publishes `batches` batches of 1,000 events of 1 KiB through one stream,
// four batches in flight, calling `sample` after each ack.
void PublishKibEvents(client::Client& client, const std::string& exchange,
                      int batches, const std::function<void()>& sample) {
  const std::string payload(1024, 'p');
  std::unique_ptr<client::PublishStream> stream = client.OpenPublishStream();
  int sent = 0;
  for (int acked = 0; acked < batches; ++acked) {
    for (; sent < batches && sent - acked < 4; ++sent) {
      std::vector<v1::Event> events;
      for (int i = 0; i < 1000; ++i)
        events.push_back(MakeEvent("t.e", payload));
      ASSERT_TRUE(stream->Send(exchange, std::move(events)).ok());
    }
    absl::StatusOr<v1::PublishStreamResponse> ack = stream->NextAck();
    ASSERT_TRUE(ack.ok()) << ack.status();
    ASSERT_EQ(ack->error_code(), 0) << ack->error_message();
    sample();
  }
  ASSERT_TRUE(stream->Close().ok());
}

// Invariant 5 for a subscriber that stops reading: the server does not
// buffer the queue for it. After a warm-up (the publish path's own buffers
// reach their working size), 200 MiB are published while a subscriber that
// may have 100,000 events in flight reads nothing; server memory grows by
// far less than that, and when it reads again it gets every event in order,
// from Postgres (its queue holds only 1,000 in memory).
TEST_F(SubscribeE2ETest, SubscriberThatReadsNothingCostsBoundedMemory) {
  constexpr int kWarmupBatches = 100;
  constexpr int kStalledBatches = 200;
  constexpr uint64_t kEvents = (kWarmupBatches + kStalledBatches) * 1000;
  // Buffering for the subscriber would hold up to 100 MiB (its in-flight
  // allowance) or all 200. The publish path's own high-water mark varies by
  // up to ~40 MiB from run to run (malloc arenas of the storage threads),
  // hence the margin.
  constexpr int64_t kGrowthBoundKib = 64 * 1024;
  CreateExchangeAndQueue("orders", v1::EXCHANGE_KIND_FANOUT, "audit", {},
                         /*limit_size=*/1000);
  const pid_t pid = server_->pid();
  const int64_t rss_start = RssKib(pid);
  PublishKibEvents(client(), "orders", kWarmupBatches, [] {});
  const int64_t rss_before = RssKib(pid);
  ASSERT_GT(rss_before, 0);

  std::unique_ptr<client::Client> reader =
      OwnConnectionClient(server_->address());
  std::unique_ptr<client::Subscription> stalled =
      reader->Subscribe(StartOf("audit", "slow", v1::START_POSITION_RESUME,
                                /*max_in_flight=*/100000));
  absl::StatusOr<v1::SubscribeResponse> first = stalled->Next();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_GT(first->events_size(), 0);  // it is delivering; now it stalls
  int64_t rss_max = rss_before;
  PublishKibEvents(client(), "orders", kStalledBatches,
                   [&] { rss_max = std::max(rss_max, RssKib(pid)); });
  const std::string summary = absl::StrCat(
      "server RSS: ", rss_start / 1024, " MiB at start, ", rss_before / 1024,
      " MiB after the warm-up, up to ", rss_max / 1024,
      " MiB while 200 MiB were published to a subscriber that read nothing");
  std::cout << summary << "\n";
  EXPECT_LT(rss_max - rss_before, kGrowthBoundKib) << summary;

  Received received;
  for (v1::Event& event : *first->mutable_events())
    received.events.push_back(std::move(event));
  ASSERT_TRUE(ReadThrough(*stalled, &received, kEvents).ok());
  EXPECT_TRUE(SameOffsets(Offsets(received.events), Range(1, kEvents)));
}

}  // namespace
}  // namespace evrouter::testing
