// Postgres going away under a running server: calls fail fast with
// UNAVAILABLE, health says NOT_SERVING, and the server recovers by itself.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <stdlib.h>

#include <iostream>
#include <map>
#include <memory>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/e2e/e2e_fixture.h"

namespace evrouter::testing {
namespace {

// A private Postgres cluster of this test's own, driven by scripts/pg.sh.
class OwnCluster {
 public:
  OwnCluster() : port_(FreePort()) {
    char dir[] = "/tmp/evrouter-outage-XXXXXX";
    dir_ = mkdtemp(dir);
    Run("init", {});
  }
  ~OwnCluster() {
    Run("stop", {});
    std::string output;
    RunCommand({"/bin/rm", "-rf", dir_}, &output);
  }
  void Start() { Run("start", {std::to_string(port_)}); }
  void Stop() { Run("stop", {}); }
  std::string dsn() const {
    return absl::StrCat("postgresql://postgres@127.0.0.1:", port_, "/postgres");
  }

 private:
  void Run(const std::string& verb, std::vector<std::string> extra) {
    std::vector<std::string> args = {
        "/bin/bash", EVROUTER_SOURCE_DIR "/scripts/pg.sh", verb, dir_};
    args.insert(args.end(), extra.begin(), extra.end());
    std::string output;
    int code = RunCommand(args, &output);
    ASSERT_EQ(code, 0) << "pg.sh " << verb << ": " << output;
  }

  int port_;
  std::string dir_;
};

using Status = grpc::health::v1::HealthCheckResponse::ServingStatus;

bool WaitForHealth(client::Client& client, Status want, absl::Duration within) {
  absl::Time deadline = absl::Now() + within;
  while (absl::Now() < deadline) {
    auto status = client.Health();
    if (status.ok() && *status == want) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

// Collects what a grpc.health.v1.Health/Watch stream reports, in order.
class HealthWatch {
 public:
  explicit HealthWatch(const std::string& address)
      : stub_(grpc::health::v1::Health::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {
    context_.set_deadline(std::chrono::system_clock::now() +
                          std::chrono::minutes(2));
    reader_ = stub_->Watch(&context_, grpc::health::v1::HealthCheckRequest());
    thread_ = std::thread([this] {
      grpc::health::v1::HealthCheckResponse response;
      while (reader_->Read(&response)) {
        absl::MutexLock lock(&mu_);
        seen_.push_back(response.status());
      }
      grpc::Status status = reader_->Finish();
      absl::MutexLock lock(&mu_);
      ended_ = true;
      end_code_ = status.error_code();
    });
  }
  ~HealthWatch() {
    context_.TryCancel();
    thread_.join();
  }
  // True once the reports so far end with `want`.
  bool WaitForLast(Status want, absl::Duration within) {
    absl::MutexLock lock(&mu_);
    auto last_is = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !seen_.empty() && seen_.back() == want;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&last_is), within);
  }
  bool WaitForEnd(absl::Duration within, grpc::StatusCode* code) {
    absl::MutexLock lock(&mu_);
    bool ended = mu_.AwaitWithTimeout(absl::Condition(&ended_), within);
    *code = end_code_;
    return ended;
  }

 private:
  std::unique_ptr<grpc::health::v1::Health::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReader<grpc::health::v1::HealthCheckResponse>>
      reader_;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<Status> seen_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  grpc::StatusCode end_code_ ABSL_GUARDED_BY(mu_) = grpc::StatusCode::UNKNOWN;
};

TEST(PostgresOutageE2ETest, FailsFastThenRecoversWithoutGaps) {
  OwnCluster cluster;
  cluster.Start();
  ServerProcess server(cluster.dsn(), {"--health-check-interval", "200ms"});
  ASSERT_TRUE(server.Start().ok()) << server.Log();
  client::Client& client = server.client();
  HealthWatch watch(server.address());
  EXPECT_TRUE(watch.WaitForLast(grpc::health::v1::HealthCheckResponse::SERVING,
                                absl::Seconds(10)));
  ASSERT_TRUE(client.CreateExchange("orders", v1::EXCHANGE_KIND_FANOUT).ok());
  auto first = client.Publish("orders", MakeEvents(10));
  ASSERT_TRUE(first.ok()) << first.status();

  cluster.Stop();
  // Each call answers UNAVAILABLE; a hang would end in the client's 10 s
  // deadline as DEADLINE_EXCEEDED instead.
  for (int i = 0; i < 3; ++i) {
    auto failed = client.Publish("orders", MakeEvents(1));
    EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable)
        << failed.status();
  }
  EXPECT_TRUE(WaitForHealth(client,
                            grpc::health::v1::HealthCheckResponse::NOT_SERVING,
                            absl::Seconds(20)));
  EXPECT_TRUE(watch.WaitForLast(
      grpc::health::v1::HealthCheckResponse::NOT_SERVING, absl::Seconds(10)));
  // Admin reads are served from memory even now.
  absl::StatusOr<v1::Exchange> during = client.GetExchange("orders");
  ASSERT_TRUE(during.ok()) << during.status();
  EXPECT_EQ(during->head_offset(), 10u);

  cluster.Start();
  EXPECT_TRUE(WaitForHealth(client,
                            grpc::health::v1::HealthCheckResponse::SERVING,
                            absl::Seconds(20)));
  absl::StatusOr<std::vector<v1::PublishResult>> recovered;
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (true) {
    recovered = client.Publish("orders", MakeEvents(1));
    if (recovered.ok() || absl::Now() > deadline) break;
    absl::SleepFor(absl::Milliseconds(100));  // poll interval
  }
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  EXPECT_EQ((*recovered)[0].offset(), 11u)
      << "failed publishes must not use up offsets";
  EXPECT_EQ(QueryRows(cluster.dsn(), "SELECT count(*)::text FROM events")[0][0],
            "11");
  EXPECT_TRUE(watch.WaitForLast(grpc::health::v1::HealthCheckResponse::SERVING,
                                absl::Seconds(10)));

  // Shutdown ends open Watch streams instead of waiting out the grace period.
  EXPECT_EQ(server.Stop(SIGTERM), 0) << server.Log();
  grpc::StatusCode end_code;
  EXPECT_TRUE(watch.WaitForEnd(absl::Seconds(10), &end_code));
  EXPECT_EQ(end_code, grpc::StatusCode::OK);
}

// Publishes in a loop until told to stop, counting answers: even-numbered
// publishers with unary calls, odd ones over a stream (reopened when it
// breaks). Failures are retried after a short pause, as a client would.
class LoopingPublisher {
 public:
  LoopingPublisher(const client::ClientOptions& options, int index)
      : client_(options), index_(index) {
    thread_ = std::thread([this] { Run(); });
  }
  ~LoopingPublisher() { Stop(); }

  void Stop() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }
  // Waits until this publisher has had `failures` failed and then
  // `successes` acked calls counted from now on (0 = not waited for).
  bool WaitForAnswers(int failures, int successes, absl::Duration within) {
    absl::MutexLock lock(&mu_);
    const int failed_base = failed_;
    const int acked_base = acked_calls_;
    auto seen = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return failed_ - failed_base >= failures &&
             acked_calls_ - acked_base >= successes;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&seen), within);
  }
  std::map<std::string, uint64_t> acked() {
    absl::MutexLock lock(&mu_);
    return acked_;
  }
  // Codes of the failed calls or batches, with how often each came.
  std::map<absl::StatusCode, int> failure_codes() {
    absl::MutexLock lock(&mu_);
    return failure_codes_;
  }

 private:
  bool stopping() {
    absl::MutexLock lock(&mu_);
    return stop_;
  }
  template <typename Results>
  void RecordAcked(const Results& results) {
    absl::MutexLock lock(&mu_);
    ++acked_calls_;
    for (const v1::PublishResult& result : results)
      acked_[result.id()] = result.offset();
  }
  void RecordFailure(absl::StatusCode code) {
    absl::MutexLock lock(&mu_);
    ++failed_;
    ++failure_codes_[code];
  }

  void Run() {
    while (!stopping()) {
      if (index_ % 2 == 0) {
        auto results = client_.Publish("orders", MakeEvents(5));
        if (results.ok()) {
          RecordAcked(*results);
        } else {
          RecordFailure(results.status().code());
          absl::SleepFor(absl::Milliseconds(20));  // client backoff
        }
        continue;
      }
      std::unique_ptr<client::PublishStream> stream =
          client_.OpenPublishStream();
      while (!stopping()) {
        if (!stream->Send("orders", MakeEvents(20)).ok()) break;
        absl::StatusOr<v1::PublishStreamResponse> ack = stream->NextAck();
        if (!ack.ok()) {
          RecordFailure(ack.status().code());
          break;
        }
        if (ack->error_code() == 0) {
          RecordAcked(ack->results());
        } else {
          RecordFailure(static_cast<absl::StatusCode>(ack->error_code()));
          absl::SleepFor(absl::Milliseconds(20));
        }
      }
      absl::SleepFor(absl::Milliseconds(20));  // before reopening
    }
  }

  client::Client client_;
  const int index_;
  std::thread thread_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  int failed_ ABSL_GUARDED_BY(mu_) = 0;
  int acked_calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, uint64_t> acked_ ABSL_GUARDED_BY(mu_);
  std::map<absl::StatusCode, int> failure_codes_ ABSL_GUARDED_BY(mu_);
};

// Postgres stopped while four publishers (unary and streams) keep going:
// every call or batch fails with UNAVAILABLE before its deadline (a hang
// would show as DEADLINE_EXCEEDED), health goes NOT_SERVING, and once
// Postgres is back the same server takes publishes again by itself. No acked
// event is lost and no offset is used twice or skipped.
TEST(PostgresOutageE2ETest, StopUnderLoadFailsFastAndLosesNothing) {
  OwnCluster cluster;
  cluster.Start();
  ServerProcess server(cluster.dsn(), {"--health-check-interval", "200ms"});
  ASSERT_TRUE(server.Start().ok()) << server.Log();
  ASSERT_TRUE(
      server.client().CreateExchange("orders", v1::EXCHANGE_KIND_FANOUT).ok());
  std::vector<std::unique_ptr<LoopingPublisher>> publishers;
  for (int i = 0; i < 4; ++i) {
    client::ClientOptions options = server.client().options();
    options.own_connection = true;
    publishers.push_back(std::make_unique<LoopingPublisher>(options, i));
  }
  for (auto& publisher : publishers) {
    ASSERT_TRUE(publisher->WaitForAnswers(0, 50, absl::Seconds(60)));
  }

  cluster.Stop();
  for (auto& publisher : publishers) {
    EXPECT_TRUE(publisher->WaitForAnswers(5, 0, absl::Seconds(60)));
  }
  EXPECT_TRUE(WaitForHealth(server.client(),
                            grpc::health::v1::HealthCheckResponse::NOT_SERVING,
                            absl::Seconds(20)));

  cluster.Start();
  for (auto& publisher : publishers) {
    EXPECT_TRUE(publisher->WaitForAnswers(0, 50, absl::Seconds(60)));
  }
  EXPECT_TRUE(WaitForHealth(server.client(),
                            grpc::health::v1::HealthCheckResponse::SERVING,
                            absl::Seconds(20)));
  std::map<std::string, uint64_t> acked;
  int failures = 0;
  for (auto& publisher : publishers) {
    publisher->Stop();
    std::map<std::string, uint64_t> mine = publisher->acked();
    acked.insert(mine.begin(), mine.end());
    for (const auto& [code, count] : publisher->failure_codes()) {
      EXPECT_EQ(code, absl::StatusCode::kUnavailable)
          << count << " failures with " << absl::StatusCodeToString(code);
      failures += count;
    }
  }

  const std::map<std::string, uint64_t> stored = StoredOffsets(cluster.dsn());
  const size_t lost = CountLostAcks(acked, stored);
  EXPECT_TRUE(OffsetsAreOneTo(cluster.dsn(), stored.size()));
  std::cout << "outage under load: " << acked.size() << " events acked, "
            << failures << " calls or batches failed UNAVAILABLE, " << lost
            << " lost, " << stored.size() << " stored\n";
  EXPECT_EQ(server.Stop(SIGTERM), 0) << server.Log();
}

// Postgres restarted while a consumer reads its history: the history read
// fails, the stream ends UNAVAILABLE, and once Postgres is back the consumer
// subscribes again and resumes right after its committed offset: over both
// streams it sees every event, with no gap.
TEST(PostgresOutageE2ETest, RestartDuringCatchUpResumesWithoutAGap) {
  constexpr uint64_t kEvents = 30000;
  OwnCluster cluster;
  cluster.Start();
  ServerProcess server(cluster.dsn(), {"--health-check-interval", "200ms",
                                       "--catchup-chunk-events", "100"});
  ASSERT_TRUE(server.Start().ok()) << server.Log();
  client::Client& admin = server.client();
  ASSERT_TRUE(admin.CreateExchange("orders", v1::EXCHANGE_KIND_FANOUT).ok());
  ASSERT_TRUE(admin.CreateQueue("replay", "orders", {}, 1000).ok());
  for (uint64_t published = 0; published < kEvents; published += 1000) {
    ASSERT_TRUE(admin.Publish("orders", MakeEvents(1000)).ok());
  }
  client::ClientOptions options = admin.options();
  options.stream_timeout = absl::Minutes(2);
  client::Client reader(options);
  v1::SubscribeStart start;
  start.set_queue("replay");
  start.set_consumer("auditor");
  start.set_max_in_flight(500);

  // Reads (acking each response) until `last` was delivered or the stream
  // ends; returns how it ended (OK when `last` was reached).
  auto read = [](client::Subscription& subscription, uint64_t last,
                 std::vector<uint64_t>* offsets) -> absl::Status {
    while (offsets->empty() || offsets->back() < last) {
      absl::StatusOr<v1::SubscribeResponse> response = subscription.Next();
      if (!response.ok()) return response.status();
      for (const v1::Event& event : response->events())
        offsets->push_back(event.offset());
      if (response->events_size() > 0) {
        absl::Status acked = subscription.Ack(offsets->back());
        if (!acked.ok()) return acked;
      }
    }
    return absl::OkStatus();
  };

  std::vector<uint64_t> first;
  std::unique_ptr<client::Subscription> subscription = reader.Subscribe(start);
  ASSERT_TRUE(read(*subscription, 3000, &first).ok());
  cluster.Stop();
  absl::Status ended = read(*subscription, kEvents, &first);
  EXPECT_EQ(ended.code(), absl::StatusCode::kUnavailable) << ended;
  subscription.reset();
  ASSERT_LT(first.back(), kEvents) << "the history read never failed";
  cluster.Start();
  EXPECT_TRUE(WaitForHealth(admin,
                            grpc::health::v1::HealthCheckResponse::SERVING,
                            absl::Seconds(20)));

  // The consumer went to sleep with the acks the server had taken.
  absl::StatusOr<std::vector<v1::Consumer>> consumers =
      admin.ListConsumers("replay");
  ASSERT_TRUE(consumers.ok()) << consumers.status();
  ASSERT_EQ(consumers->size(), 1u);
  const uint64_t committed = (*consumers)[0].committed_offset();
  EXPECT_EQ((*consumers)[0].state(), v1::CONSUMER_STATE_SLEEPING);
  EXPECT_GE(committed, 3000u);
  EXPECT_LE(committed, first.back());

  std::vector<uint64_t> second;
  subscription = reader.Subscribe(start);
  ASSERT_TRUE(read(*subscription, kEvents, &second).ok());
  std::vector<uint64_t> want_first;
  for (uint64_t offset = 1; offset <= first.back(); ++offset)
    want_first.push_back(offset);
  std::vector<uint64_t> want_second;
  for (uint64_t offset = committed + 1; offset <= kEvents; ++offset)
    want_second.push_back(offset);
  EXPECT_EQ(first, want_first);
  EXPECT_EQ(second, want_second);
  EXPECT_EQ(server.Stop(SIGTERM), 0) << server.Log();
}

}  // namespace
}  // namespace evrouter::testing
