// Postgres going away under a running server: calls fail fast with
// UNAVAILABLE, health says NOT_SERVING, and the server recovers by itself.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <stdlib.h>

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
    auto last_is = [&] { return !seen_.empty() && seen_.back() == want; };
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

}  // namespace
}  // namespace evrouter::testing
