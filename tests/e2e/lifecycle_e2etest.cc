// Restart, shutdown, migrations and startup behaviour of the real binary.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "absl/synchronization/mutex.h"
#include "tests/e2e/e2e_fixture.h"

namespace evrouter::testing {
namespace {

using LifecycleE2ETest = E2ETest;

// A one-connection TCP proxy on 127.0.0.1 in front of a server on
// 127.0.0.1:`upstream_port`, standing for a client slow to read: client to
// server bytes pass at once, server to client bytes only while not held.
// Its socket to the server has a small receive buffer, so what the server
// sends while held stays unacknowledged in the server's socket.
class HoldingProxy {
 public:
  explicit HoldingProxy(int upstream_port) : upstream_port_(upstream_port) {
    listener_ = Socket();
    sockaddr_in address = Loopback(0);
    bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    listen(listener_, 1);
    socklen_t length = sizeof(address);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { Accept(); });
  }
  ~HoldingProxy() {
    {
      absl::MutexLock lock(&mu_);
      stopping_ = true;
    }
    shutdown(listener_, SHUT_RDWR);  // ends an accept still waiting
    acceptor_.join();
    for (int fd : {client_, server_}) {
      if (fd >= 0) shutdown(fd, SHUT_RDWR);
    }
    for (std::thread& pump : pumps_) pump.join();
    for (int fd : {listener_, client_, server_}) {
      if (fd >= 0) close(fd);
    }
  }

  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  void Hold() {
    absl::MutexLock lock(&mu_);
    held_ = true;
  }
  void Release() {
    absl::MutexLock lock(&mu_);
    held_ = false;
  }

 private:
  static int Socket() { return socket(AF_INET, SOCK_STREAM, 0); }
  static sockaddr_in Loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(port));
    return address;
  }

  void Accept() {
    const int client = accept(listener_, nullptr, nullptr);
    if (client < 0) return;
    const int server = Socket();
    const int buffer = 2048;  // the kernel doubles it; its minimum is ~4 KiB
    setsockopt(server, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
    sockaddr_in address = Loopback(upstream_port_);
    if (connect(server, reinterpret_cast<sockaddr*>(&address),
                sizeof(address)) != 0) {
      close(server);
      close(client);
      return;
    }
    client_ = client;
    server_ = server;
    pumps_.emplace_back([this] { Pump(client_, server_, false); });
    pumps_.emplace_back([this] { Pump(server_, client_, true); });
  }

  void Pump(int from, int to, bool holdable) {
    char buffer[16 * 1024];
    while (true) {
      if (holdable) {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(
            +[](HoldingProxy* proxy) ABSL_EXCLUSIVE_LOCKS_REQUIRED(proxy->mu_) {
              return !proxy->held_ || proxy->stopping_;
            },
            this));
      }
      const ssize_t n = recv(from, buffer, sizeof(buffer), 0);
      if (n <= 0) break;  // closed or reset: pass the end on
      for (ssize_t sent = 0; sent < n;) {
        const ssize_t m = send(to, buffer + sent, n - sent, MSG_NOSIGNAL);
        if (m <= 0) return;
        sent += m;
      }
    }
    shutdown(to, SHUT_WR);
  }

  const int upstream_port_;
  int listener_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  // Set by the acceptor thread before the pumps start; read by the
  // destructor after it joined the acceptor.
  int client_ = -1;
  int server_ = -1;
  std::vector<std::thread> pumps_;
  absl::Mutex mu_;
  bool held_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

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
// the acknowledged events are stored; the server exits 0. Under load this
// also checks that closing connections loses no ack (connection_drain.h).
TEST_F(LifecycleE2ETest, SigtermEndsOpenStreamsAfterAckingWhatTheyTook) {
  ASSERT_TRUE(client().CreateExchange("orders", v1::EXCHANGE_KIND_FANOUT).ok());
  std::unique_ptr<client::PublishStream> stream = client().OpenPublishStream();
  int sent = 0;
  for (; sent < 30; ++sent) {
    if (!stream->Send("orders", MakeEvents(50)).ok()) break;
  }
  ASSERT_GT(sent, 1);
  // The server has taken the stream (a stream gRPC accepted but had not yet
  // handed to evrouter when shutdown closes it ends CANCELLED instead).
  absl::StatusOr<v1::PublishStreamResponse> first = stream->NextAck();
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->error_code(), 0) << first->error_message();
  int acked_events = first->results_size();
  std::thread stopper([this] { EXPECT_EQ(server_->Stop(SIGTERM), 0); });

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

// A client slow to read when SIGTERM comes: its acks and the stream's status
// are still in the server's socket when every call has ended. Shutdown waits
// for them to be delivered before closing; closing at once lost them once
// the client read again (its flow-control updates reset the closed socket).
TEST_F(LifecycleE2ETest, SigtermLosesNoAckForAClientSlowToRead) {
  constexpr int kBatches = 5;  // acks of ~2 KiB each, held
  ASSERT_TRUE(client().CreateExchange("orders", v1::EXCHANGE_KIND_FANOUT).ok());
  const std::string& address = server_->address();
  HoldingProxy proxy(std::stoi(address.substr(address.rfind(':') + 1)));
  client::ClientOptions options = client().options();
  options.server = proxy.address();
  client::Client slow(options);
  std::unique_ptr<client::PublishStream> stream = slow.OpenPublishStream();
  ASSERT_TRUE(stream->Send("orders", MakeEvents(50)).ok());
  absl::StatusOr<v1::PublishStreamResponse> first = stream->NextAck();
  ASSERT_TRUE(first.ok()) << first.status();
  int acked_events = first->results_size();

  proxy.Hold();
  for (int batch = 1; batch < kBatches; ++batch) {
    ASSERT_TRUE(stream->Send("orders", MakeEvents(50)).ok());
  }
  const std::string all = std::to_string(kBatches * 50);
  for (absl::Time deadline = absl::Now() + absl::Seconds(30);
       StoredCount("orders") != all && absl::Now() < deadline;) {
    absl::SleepFor(absl::Milliseconds(20));  // poll interval
  }
  ASSERT_EQ(StoredCount("orders"), all);  // so every ack has been written
  std::thread stopper([this] { EXPECT_EQ(server_->Stop(SIGTERM), 0); });
  EXPECT_TRUE(server_->WaitForLog("client connections to take what was sent",
                                  absl::Seconds(30)))
      << server_->Log();
  proxy.Release();

  absl::Status end;
  while (true) {
    absl::StatusOr<v1::PublishStreamResponse> ack = stream->NextAck();
    if (!ack.ok()) {
      end = ack.status();
      break;
    }
    EXPECT_EQ(ack->error_code(), 0) << ack->error_message();
    acked_events += ack->results_size();
  }
  stopper.join();
  EXPECT_EQ(end.code(), absl::StatusCode::kUnavailable) << end;
  EXPECT_NE(end.message().find("shutting down"), absl::string_view::npos)
      << end;
  EXPECT_EQ(std::to_string(acked_events), all);
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
