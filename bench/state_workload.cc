// W6: scale of state. Its own evrouterd on a fresh database, many queues and
// consumers, and the time from restart to SERVING.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bench/bench_payload.h"
#include "bench/pg_session.h"
#include "bench/proc_stats.h"
#include "bench/server_process.h"
#include "bench/workloads.h"

namespace evrouter::bench {
namespace {

constexpr uint32_t kExchanges = 10;
constexpr uint32_t kAdminThreads = 8;
constexpr absl::Duration kStartTimeout = absl::Seconds(120);
constexpr absl::Duration kStopTimeout = absl::Seconds(60);

// Drops the W6 database when it goes out of scope.
class ScopedDatabase {
 public:
  ScopedDatabase(std::string admin_dsn, std::string name)
      : admin_dsn_(std::move(admin_dsn)), name_(std::move(name)) {}
  ScopedDatabase(const ScopedDatabase&) = delete;
  ScopedDatabase& operator=(const ScopedDatabase&) = delete;
  ~ScopedDatabase() {
    absl::StatusOr<std::unique_ptr<PgSession>> pg =
        PgSession::Connect(admin_dsn_);
    absl::Status dropped =
        pg.ok() ? (*pg)->Exec(absl::StrCat("DROP DATABASE IF EXISTS \"", name_,
                                           "\" WITH (FORCE)"))
                : pg.status();
    if (!dropped.ok()) {
      std::fprintf(stderr, "evrouter-bench: warning: dropping %s: %s\n",
                   name_.c_str(), dropped.ToString().c_str());
    }
  }

 private:
  std::string admin_dsn_;
  std::string name_;
};

// True once something accepts TCP connections on 127.0.0.1:`port`.
bool Accepting(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok =
      connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return ok;
}

// Polls every 2 ms (first the TCP port, then Health/Check on a fresh
// channel) until the server answers SERVING.
absl::Status WaitForServing(ServerProcess& server, const std::string& address,
                            int port) {
  const absl::Time deadline = absl::Now() + kStartTimeout;
  auto check_alive = [&]() -> absl::Status {
    if (!server.Running()) {
      return absl::InternalError(
          absl::StrCat("evrouterd exited during restart:", server.LogTail()));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("evrouterd not SERVING within ",
                       absl::FormatDuration(kStartTimeout), server.LogTail()));
    }
    return absl::OkStatus();
  };
  while (!Accepting(port)) {
    if (absl::Status alive = check_alive(); !alive.ok()) return alive;
    absl::SleepFor(absl::Milliseconds(2));
  }
  client::Client health({.server = address, .timeout = absl::Seconds(2)});
  while (true) {
    auto status = health.Health();
    if (status.ok() &&
        *status == grpc::health::v1::HealthCheckResponse::SERVING) {
      return absl::OkStatus();
    }
    if (absl::Status alive = check_alive(); !alive.ok()) return alive;
    absl::SleepFor(absl::Milliseconds(2));
  }
}

// Creates the exchanges, then queues and consumers from several threads.
absl::Status CreateState(client::Client& client, uint32_t queues,
                         uint32_t consumers) {
  for (uint32_t x = 0; x < kExchanges; ++x) {
    absl::StatusOr<evrouter::v1::Exchange> exchange = client.CreateExchange(
        absl::StrCat("x", x), evrouter::v1::EXCHANGE_KIND_FANOUT);
    if (!exchange.ok()) return exchange.status();
  }
  absl::Mutex mu;
  absl::Status error;
  auto fail = [&](absl::Status status, absl::string_view what) {
    absl::MutexLock lock(&mu);
    if (error.ok()) {
      error = absl::Status(status.code(),
                           absl::StrCat(what, ": ", status.message()));
    }
  };
  auto failed = [&] {
    absl::MutexLock lock(&mu);
    return !error.ok();
  };
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < kAdminThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint32_t q = t; q < queues && !failed(); q += kAdminThreads) {
        const std::string queue = absl::StrCat("q", q);
        absl::StatusOr<evrouter::v1::Queue> created =
            client.CreateQueue(queue, absl::StrCat("x", q % kExchanges), {});
        if (!created.ok())
          return fail(created.status(), "CreateQueue " + queue);
        for (uint32_t c = q; c < consumers; c += queues) {
          absl::StatusOr<evrouter::v1::Consumer> consumer =
              client.CreateConsumer(queue, absl::StrCat("c", c));
          if (!consumer.ok()) {
            return fail(consumer.status(), "CreateConsumer on " + queue);
          }
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  absl::MutexLock lock(&mu);
  return error;
}

// ListQueues and ListConsumers after a restart: every queue and consumer is
// back, every consumer SLEEPING.
absl::Status VerifyState(client::Client& client, uint32_t queues,
                         uint32_t consumers) {
  absl::StatusOr<std::vector<evrouter::v1::Queue>> listed = client.ListQueues();
  if (!listed.ok()) return listed.status();
  if (listed->size() != queues) {
    return absl::DataLossError(absl::StrCat("after restart ListQueues has ",
                                            listed->size(), " queues, not ",
                                            queues));
  }
  absl::StatusOr<std::vector<evrouter::v1::Consumer>> listed_consumers =
      client.ListConsumers();
  if (!listed_consumers.ok()) return listed_consumers.status();
  if (listed_consumers->size() != consumers) {
    return absl::DataLossError(absl::StrCat("after restart ListConsumers has ",
                                            listed_consumers->size(),
                                            " consumers, not ", consumers));
  }
  for (const evrouter::v1::Consumer& consumer : *listed_consumers) {
    if (consumer.state() != evrouter::v1::CONSUMER_STATE_SLEEPING) {
      return absl::DataLossError(
          absl::StrCat("after restart consumer ", consumer.queue(), "/",
                       consumer.name(), " is not SLEEPING"));
    }
  }
  return absl::OkStatus();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace

absl::StatusOr<BenchResult> RunScaleOfState(const WorkloadContext& context) {
  const BenchOptions& options = *context.options;
  if (options.evrouterd.empty()) {
    return absl::FailedPreconditionError(
        "W6 launches its own server: pass --evrouterd PATH (W6 skipped)");
  }
  const int64_t start_ns = SteadyNowNs();
  const std::string database = absl::StrCat("evrouter_bench_w6_", getpid());
  {
    absl::StatusOr<std::unique_ptr<PgSession>> pg =
        PgSession::Connect(options.pg_dsn);
    if (!pg.ok()) return pg.status();
    if (absl::Status created =
            (*pg)->Exec(absl::StrCat("CREATE DATABASE \"", database, "\""));
        !created.ok()) {
      return created;
    }
  }
  ScopedDatabase drop_at_end(options.pg_dsn, database);
  absl::StatusOr<std::string> dsn = DsnWithDatabase(options.pg_dsn, database);
  if (!dsn.ok()) return dsn.status();
  const std::string log_path =
      absl::StrCat("/tmp/evrouter-bench-w6-", getpid(), ".log");
  std::remove(log_path.c_str());

  // First run: create the state.
  absl::StatusOr<std::unique_ptr<ServerProcess>> server = ServerProcess::Spawn(
      options.evrouterd,
      // Only the state and the restore time matter here: no users or tokens.
      {"--listen", "127.0.0.1:0", "--http-listen", "off", "--pg-dsn", *dsn,
       "--no-auth"},
      log_path);
  if (!server.ok()) return server.status();
  absl::StatusOr<std::string> address =
      (*server)->WaitForServingAddress(kStartTimeout);
  if (!address.ok()) return address.status();
  int port = 0;
  if (!absl::SimpleAtoi(address->substr(address->rfind(':') + 1), &port)) {
    return absl::InternalError(absl::StrCat("bad address ", *address));
  }
  const int64_t create_start_ns = SteadyNowNs();
  {
    client::Client client({.server = *address, .timeout = absl::Seconds(60)});
    if (absl::Status serving = client.WaitUntilServing(kStartTimeout);
        !serving.ok()) {
      return serving;
    }
    if (absl::Status created =
            CreateState(client, options.w6_queues, options.w6_consumers);
        !created.ok()) {
      return created;
    }
  }
  const double create_s =
      static_cast<double>(SteadyNowNs() - create_start_ns) / 1e9;
  // A server that crashes on the way out is reported, not fatal: the
  // restart time is measured all the same.
  uint32_t unclean_exits = 0;
  auto stop = [&unclean_exits](ServerProcess& process) {
    if (absl::Status stopped = process.Stop(kStopTimeout); !stopped.ok()) {
      std::fprintf(stderr, "evrouter-bench: warning: W6: %s\n",
                   stopped.ToString().c_str());
      ++unclean_exits;
    }
  };
  stop(**server);

  // Restarts: time from just before the spawn to the first SERVING.
  std::vector<double> serving_ms;
  std::optional<double> peak_rss_mb;
  ResourceMeter postgres_meter(std::nullopt, context.postmaster_pid);
  for (uint32_t r = 0; r < options.w6_restarts; ++r) {
    const int64_t spawn_ns = SteadyNowNs();
    server = ServerProcess::Spawn(
        options.evrouterd,
        // Only the restore time is measured: no users or tokens needed.
        {"--listen", *address, "--http-listen", "off", "--pg-dsn", *dsn,
         "--no-auth"},
        log_path);
    if (!server.ok()) return server.status();
    if (absl::Status serving = WaitForServing(**server, *address, port);
        !serving.ok()) {
      return serving;
    }
    serving_ms.push_back(static_cast<double>(SteadyNowNs() - spawn_ns) / 1e6);
    client::Client client({.server = *address, .timeout = absl::Seconds(60)});
    if (absl::Status verified =
            VerifyState(client, options.w6_queues, options.w6_consumers);
        !verified.ok()) {
      return verified;
    }
    if (std::optional<uint64_t> rss = ReadRssBytes((*server)->pid())) {
      peak_rss_mb = std::max(peak_rss_mb.value_or(0),
                             static_cast<double>(*rss) / (1024.0 * 1024.0));
    }
    stop(**server);
  }
  ResourceUsage usage = postgres_meter.Finish();
  usage.server_peak_rss_mb = peak_rss_mb;
  std::remove(log_path.c_str());

  BenchResult result("W6");
  SetCommonFields(result, context, 0,
                  static_cast<double>(SteadyNowNs() - start_ns) / 1e9,
                  std::nullopt, std::nullopt, usage, 0);
  result.SetNumber("serving_ms", Median(serving_ms));
  result.Set("serving_ms_all", serving_ms);
  result.SetInt("restarts", options.w6_restarts);
  result.SetInt("queues", options.w6_queues);
  result.SetInt("consumers", options.w6_consumers);
  result.SetNumber("state_create_s", create_s);
  result.SetInt("server_unclean_exits", unclean_exits);
  return result;
}

}  // namespace evrouter::bench
