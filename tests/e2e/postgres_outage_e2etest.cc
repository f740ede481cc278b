// Postgres going away under a running server: calls fail fast with
// UNAVAILABLE, health says NOT_SERVING, and the server recovers by itself.
#include <stdlib.h>

#include "absl/time/clock.h"
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
    std::vector<std::string> args = {"/bin/bash", EVROUTER_SOURCE_DIR "/scripts/pg.sh", verb,
                                     dir_};
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

TEST(PostgresOutageE2ETest, FailsFastThenRecoversWithoutGaps) {
  OwnCluster cluster;
  cluster.Start();
  ServerProcess server(cluster.dsn(), {"--health-check-interval", "200ms"});
  ASSERT_TRUE(server.Start().ok()) << server.Log();
  client::Client& client = server.client();
  ASSERT_TRUE(client.CreateExchange("orders", v1::EXCHANGE_KIND_FANOUT).ok());
  auto first = client.Publish("orders", MakeEvents(10));
  ASSERT_TRUE(first.ok()) << first.status();

  cluster.Stop();
  // Each call answers UNAVAILABLE well inside its 10 s deadline: no hang.
  for (int i = 0; i < 3; ++i) {
    absl::Time start = absl::Now();
    auto failed = client.Publish("orders", MakeEvents(1));
    EXPECT_EQ(failed.status().code(), absl::StatusCode::kUnavailable) << failed.status();
    EXPECT_LT(absl::Now() - start, absl::Seconds(9)) << "publish hung while Postgres was down";
  }
  EXPECT_TRUE(WaitForHealth(client, grpc::health::v1::HealthCheckResponse::NOT_SERVING,
                            absl::Seconds(20)));
  // Admin reads are served from memory even now.
  EXPECT_EQ(client.GetExchange("orders")->head_offset(), 10u);

  cluster.Start();
  EXPECT_TRUE(WaitForHealth(client, grpc::health::v1::HealthCheckResponse::SERVING,
                            absl::Seconds(20)));
  absl::StatusOr<std::vector<v1::PublishResult>> recovered;
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  do {
    recovered = client.Publish("orders", MakeEvents(1));
  } while (!recovered.ok() && absl::Now() < deadline);
  ASSERT_TRUE(recovered.ok()) << recovered.status();
  EXPECT_EQ((*recovered)[0].offset(), 11u) << "failed publishes must not use up offsets";
  EXPECT_EQ(QueryRows(cluster.dsn(), "SELECT count(*)::text FROM events")[0][0], "11");
}

}  // namespace
}  // namespace evrouter::testing
