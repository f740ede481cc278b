// Restart, shutdown, migrations and startup behaviour of the real binary.
#include <signal.h>

#include <thread>

#include "tests/e2e/e2e_fixture.h"

namespace evrouter::testing {
namespace {

using LifecycleE2ETest = E2ETest;

// Invariant 7: state comes back from Postgres and publishing continues at
// head+1.
TEST_F(LifecycleE2ETest, RestartKeepsHeadAndContinuesAtHeadPlusOne) {
  ASSERT_TRUE(client().CreateExchange("orders", v1::EXCHANGE_KIND_DIRECT).ok());
  ASSERT_TRUE(client().CreateExchange("empty", v1::EXCHANGE_KIND_FANOUT).ok());
  ASSERT_TRUE(client().Publish("orders", MakeEvents(100)).ok());
  absl::StatusOr<v1::Exchange> before = client().GetExchange("orders");
  ASSERT_TRUE(before.ok());

  EXPECT_EQ(server_->Stop(SIGTERM), 0) << server_->Log();
  ASSERT_TRUE(server_->Start().ok()) << server_->Log();

  absl::StatusOr<v1::Exchange> after = client().GetExchange("orders");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->head_offset(), 100u);
  EXPECT_EQ(after->kind(), v1::EXCHANGE_KIND_DIRECT);
  EXPECT_EQ(after->created_at().seconds(), before->created_at().seconds());
  EXPECT_EQ(after->created_at().nanos(), before->created_at().nanos());
  EXPECT_EQ(client().GetExchange("empty")->head_offset(), 0u);

  auto next = client().Publish("orders", MakeEvents(1));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ((*next)[0].offset(), 101u);
}

// SIGTERM while a PublishStream has batches in flight: each batch it took is
// acknowledged or refused UNAVAILABLE, the stream ends UNAVAILABLE, exactly
// the acknowledged events are stored; the server exits 0.
TEST_F(LifecycleE2ETest, SigtermEndsOpenStreamsAfterAckingWhatTheyTook) {
  ASSERT_TRUE(client().CreateExchange("orders", v1::EXCHANGE_KIND_FANOUT).ok());
  std::unique_ptr<client::PublishStream> stream = client().OpenPublishStream();
  int sent = 0;
  for (; sent < 30; ++sent) {
    if (!stream->Send("orders", MakeEvents(50)).ok()) break;
  }
  ASSERT_GT(sent, 0);
  std::thread stopper([this] { EXPECT_EQ(server_->Stop(SIGTERM), 0); });

  int acked_events = 0;
  absl::Status end;
  while (true) {
    absl::StatusOr<v1::PublishStreamResponse> ack = stream->NextAck();
    if (!ack.ok()) {
      end = ack.status();
      break;
    }
    if (ack->error_code() == 0) {
      acked_events += ack->results_size();
    } else {
      EXPECT_EQ(ack->error_code(), grpc::StatusCode::UNAVAILABLE);
    }
  }
  stopper.join();
  EXPECT_EQ(end.code(), absl::StatusCode::kUnavailable) << end;
  EXPECT_NE(end.message().find("shutting down"), absl::string_view::npos)
      << end;
  EXPECT_EQ(StoredCount("orders"), std::to_string(acked_events));
}

// Two servers on one database (a misconfiguration): the one whose head is
// stale gets ABORTED (retryable, nothing stored), re-reads the head, and
// continues after it; no offset is ever used twice.
TEST_F(LifecycleE2ETest, SecondWriterOnTheSameDatabaseNeverReusesOffsets) {
  ASSERT_TRUE(client().CreateExchange("orders", v1::EXCHANGE_KIND_FANOUT).ok());
  ServerProcess second(db_.dsn());
  ASSERT_TRUE(second.Start().ok()) << second.Log();
  ASSERT_TRUE(client().Publish("orders", MakeEvents(10)).ok());

  auto stale = second.client().Publish("orders", MakeEvents(5));
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted)
      << stale.status();
  auto retried = second.client().Publish("orders", MakeEvents(5));
  ASSERT_TRUE(retried.ok()) << retried.status();
  EXPECT_EQ(retried->front().offset(), 11u);
  EXPECT_EQ(QueryValue("SELECT concat_ws(',', count(*), count(DISTINCT "
                       "event_offset), max(event_offset)) FROM events"),
            "15,15,15");
}

TEST_F(LifecycleE2ETest, DedupWindowSurvivesRestart) {
  const std::string id = "0190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d";
  ASSERT_TRUE(client().CreateExchange("orders", v1::EXCHANGE_KIND_FANOUT).ok());
  ASSERT_TRUE(client().Publish("orders", {MakeEvent("a", "x", id)}).ok());
  EXPECT_EQ(server_->Stop(SIGTERM), 0);
  ASSERT_TRUE(server_->Start().ok()) << server_->Log();
  auto retry = client().Publish("orders", {MakeEvent("a", "x", id)});
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE((*retry)[0].duplicate());
  EXPECT_EQ((*retry)[0].offset(), 1u);
  EXPECT_EQ(StoredCount("orders"), "1");
}

TEST_F(LifecycleE2ETest, StartupLogNamesVersionAddressAndMasksThePassword) {
  std::string masked_dsn = db_.dsn();
  masked_dsn.replace(masked_dsn.find("postgres@"), 9, "postgres:s3cret@");
  ServerProcess server(masked_dsn);
  ASSERT_TRUE(server.Start().ok()) << server.Log();
  std::string log = server.Log();
  EXPECT_NE(log.find("evrouterd " EVROUTER_VERSION), std::string::npos) << log;
  EXPECT_NE(log.find(server.address()), std::string::npos) << log;
  EXPECT_NE(log.find("postgres:****@"), std::string::npos) << log;
  EXPECT_EQ(log.find("s3cret"), std::string::npos) << log;
  EXPECT_EQ(server.Stop(SIGINT), 0);
}

TEST_F(LifecycleE2ETest, MigrateOnlyAppliesAndExits) {
  PgTestDatabase fresh;
  std::string output;
  int code = RunCommand(
      {EVROUTERD_PATH, "--migrate-only", "--pg-dsn", fresh.dsn()}, &output);
  EXPECT_EQ(code, 0) << output;
  EXPECT_EQ(QueryRows(fresh.dsn(),
                      "SELECT min(version)::text FROM schema_migrations")[0][0],
            "1");
  // Running again is a no-op and still succeeds.
  EXPECT_EQ(
      RunCommand({EVROUTERD_PATH, "--migrate-only", "--pg-dsn", fresh.dsn()},
                 &output),
      0)
      << output;
}

TEST_F(LifecycleE2ETest, BadFlagsExitWithUsage) {
  std::string output;
  EXPECT_EQ(
      RunCommand({EVROUTERD_PATH, "--max-payload-bytes", "lots"}, &output), 2);
  EXPECT_NE(output.find("--max-payload-bytes"), std::string::npos) << output;
  EXPECT_EQ(RunCommand({EVROUTERD_PATH, "--help"}, &output), 0);
  for (const char* env :
       {"EVROUTER_LISTEN", "EVROUTER_PG_DSN", "EVROUTER_MAX_PAYLOAD_BYTES",
        "EVROUTER_DEDUP_WINDOW", "EVROUTER_LOG_LEVEL"}) {
    EXPECT_NE(output.find(env), std::string::npos) << env;
  }
}

// A stop request while startup waits for Postgres is a clean stop.
TEST_F(LifecycleE2ETest, SigtermWhileWaitingForPostgresAtStartExitsZero) {
  ServerProcess waiting(
      absl::StrCat("postgresql://postgres@127.0.0.1:", FreePort(), "/x"),
      {"--startup-timeout", "5m"});
  ASSERT_TRUE(waiting.Launch().ok());
  ASSERT_TRUE(waiting.WaitForLog("retrying", absl::Seconds(30)))
      << waiting.Log();
  EXPECT_EQ(waiting.Stop(SIGTERM), 0) << waiting.Log();
}

TEST_F(LifecycleE2ETest,
       UnreachablePostgresAtStartFailsAfterTheStartupTimeout) {
  std::string output;
  std::string dsn =
      absl::StrCat("postgresql://postgres@127.0.0.1:", FreePort(), "/x");
  int code =
      RunCommand({EVROUTERD_PATH, "--pg-dsn", dsn, "--listen",
                  absl::StrCat("127.0.0.1:", FreePort()), "--http-listen",
                  "127.0.0.1:0", "--startup-timeout", "1s"},
                 &output, absl::Seconds(30));
  EXPECT_EQ(code, 1) << output;
  EXPECT_NE(output.find("migrations failed"), std::string::npos) << output;
}

}  // namespace
}  // namespace evrouter::testing
