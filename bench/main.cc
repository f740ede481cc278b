// evrouter-bench: see bench/README.md and `evrouter-bench --help`.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bench/bench_options.h"
#include "bench/pg_ceiling.h"
#include "bench/pg_session.h"
#include "bench/proc_stats.h"
#include "bench/workloads.h"
#include "client/evrouter_client.h"

namespace evrouter::bench {
namespace {

void Warn(const std::string& message) {
  std::fprintf(stderr, "evrouter-bench: warning: %s\n", message.c_str());
}

std::optional<int> PortOf(const std::string& address) {
  int port;
  size_t colon = address.rfind(':');
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return std::nullopt;
  }
  return port;
}

std::optional<int> DiscoverServerPid(const BenchOptions& options) {
  if (options.server_pid.has_value()) return options.server_pid;
  std::optional<int> port = PortOf(options.server);
  std::optional<int> pid = port ? FindListeningPid(*port) : std::nullopt;
  if (!pid.has_value()) {
    Warn(absl::StrCat("no process found listening on ", options.server,
                      " (pass --server-pid): server CPU and RSS are null"));
  }
  return pid;
}

std::optional<int> DiscoverPostmasterPid(const BenchOptions& options) {
  absl::StatusOr<int> port = DsnPort(options.pg_dsn);
  std::optional<int> pid =
      port.ok() ? FindListeningPid(*port) : std::optional<int>();
  if (!pid.has_value()) {
    Warn(absl::StrCat("no Postgres postmaster found listening on port ",
                      port.ok() ? absl::StrCat(*port) : "?",
                      ": postgres_peak_rss_mb is null"));
  }
  return pid;
}

absl::StatusOr<std::vector<BenchResult>> RunWorkload(
    const std::string& name, const WorkloadContext& context) {
  const BenchOptions& options = *context.options;
  std::vector<BenchResult> results;
  auto add = [&results](absl::StatusOr<BenchResult> result) {
    if (!result.ok()) return result.status();
    results.push_back(std::move(*result));
    return absl::OkStatus();
  };
  absl::Status status;
  if (name == "W1") {
    status = add(RunStreamingPublish(context, "W1", options.w1_events,
                                     options.w1_batch, options.w1_window));
    if (status.ok()) {
      status = add(RunStreamingPublish(context, "W1w1", options.w1w1_events,
                                       /*batch=*/1, /*window=*/1));
    }
  } else if (name == "W2") {
    status = add(RunUnaryPublish(context));
  } else if (name == "W3") {
    status = add(RunEndToEndLatency(context));
  } else if (name == "W4") {
    status = add(RunFanOut(context));
  } else if (name == "W5") {
    status = add(RunReplay(context));
  } else if (name == "W6") {
    status = add(RunScaleOfState(context));
  } else {
    status =
        absl::InvalidArgumentError(absl::StrCat("unknown workload ", name));
  }
  if (!status.ok()) return status;
  return results;
}

int Main(int argc, char** argv) {
  absl::StatusOr<BenchOptions> parsed = ParseBenchOptions(argc, argv);
  if (absl::IsCancelled(parsed.status())) {
    std::fputs(std::string(parsed.status().message()).c_str(), stdout);
    return 0;
  }
  if (!parsed.ok()) {
    std::fprintf(stderr, "evrouter-bench: %s\nTry 'evrouter-bench --help'.\n",
                 std::string(parsed.status().message()).c_str());
    return 2;
  }
  const BenchOptions& options = *parsed;
  std::FILE* human = options.json ? stderr : stdout;
  std::ofstream out_file;
  if (!options.out_file.empty()) {
    out_file.open(options.out_file, std::ios::trunc);
    if (!out_file) {
      std::fprintf(stderr, "evrouter-bench: cannot write %s\n",
                   options.out_file.c_str());
      return 2;
    }
  }

  client::Client client({.server = options.server,
                         .timeout = absl::Seconds(60),
                         .stream_timeout = absl::Hours(2),
                         .token = options.token});
  if (absl::Status serving = client.WaitUntilServing(absl::Seconds(30));
      !serving.ok()) {
    std::fprintf(stderr, "evrouter-bench: server %s not serving: %s\n",
                 options.server.c_str(), serving.ToString().c_str());
    return 1;
  }
  ExchangeCleanup cleanup(client);
  WorkloadContext context;
  context.options = &options;
  context.client = &client;
  context.cleanup = &cleanup;
  context.run_tag = absl::StrCat("bench-", getpid());
  context.server_pid = DiscoverServerPid(options);
  context.postmaster_pid = DiscoverPostmasterPid(options);

  if (options.ceiling_events > 0) {
    absl::StatusOr<CeilingResult> ceiling =
        MeasureCeiling(options.pg_dsn, options.ceiling_events);
    if (!ceiling.ok()) {
      std::fprintf(stderr, "evrouter-bench: Postgres ceiling failed: %s\n",
                   ceiling.status().ToString().c_str());
      return 1;
    }
    context.ceiling_events_per_sec = ceiling->rows_per_sec;
    std::fprintf(human,
                 "ceiling  %.0f rows/s (COPY of %llu rows in transactions "
                 "of 100, %.1f s)\n",
                 ceiling->rows_per_sec,
                 static_cast<unsigned long long>(ceiling->rows),
                 ceiling->seconds);
    std::fflush(human);
  }

  std::vector<std::string> failed;
  for (const std::string& name : options.workloads) {
    absl::StatusOr<std::vector<BenchResult>> results =
        RunWorkload(name, context);
    if (!results.ok()) {
      std::fprintf(stderr, "evrouter-bench: %s failed: %s\n", name.c_str(),
                   results.status().ToString().c_str());
      failed.push_back(name);
      continue;
    }
    for (const BenchResult& result : *results) {
      std::fprintf(human, "%s\n", result.HumanLine().c_str());
      std::fflush(human);
      const std::string json = result.ToJson();
      if (options.json) {
        std::fprintf(stdout, "%s\n", json.c_str());
        std::fflush(stdout);
      }
      if (out_file.is_open()) out_file << json << "\n" << std::flush;
    }
  }
  if (!failed.empty()) {
    std::string names;
    for (const std::string& name : failed) absl::StrAppend(&names, " ", name);
    std::fprintf(stderr, "evrouter-bench: FAILED:%s\n", names.c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace evrouter::bench

int main(int argc, char** argv) {
  // As in evrouterd: Debian's Abseil leaves Mutex deadlock detection on, a
  // global graph updated on every lock; the measuring tool should not pay it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return evrouter::bench::Main(argc, argv);
}
