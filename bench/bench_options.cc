#include "bench/bench_options.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <limits>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace evrouter::bench {
namespace {

using Setter = std::function<absl::Status(BenchOptions&, absl::string_view)>;

template <typename Int>
Setter IntSetter(Int BenchOptions::*field, Int min) {
  return [field, min](BenchOptions& options, absl::string_view value) {
    uint64_t parsed;
    if (!absl::SimpleAtoi(value, &parsed) || parsed < min ||
        parsed > static_cast<uint64_t>(std::numeric_limits<Int>::max())) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", value, "' is not an integer >= ", min));
    }
    options.*field = static_cast<Int>(parsed);
    return absl::OkStatus();
  };
}

Setter PositiveDouble(double BenchOptions::*field) {
  return [field](BenchOptions& options, absl::string_view value) {
    double parsed;
    if (!absl::SimpleAtod(value, &parsed) || !(parsed > 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", value, "' is not a number > 0"));
    }
    options.*field = parsed;
    return absl::OkStatus();
  };
}

Setter StringSetter(std::string BenchOptions::*field) {
  return [field](BenchOptions& options, absl::string_view value) {
    if (value.empty()) return absl::InvalidArgumentError("empty value");
    options.*field = std::string(value);
    return absl::OkStatus();
  };
}

absl::Status SetWorkloads(BenchOptions& options, absl::string_view value) {
  options.workloads.clear();
  for (absl::string_view name : absl::StrSplit(value, ',', absl::SkipEmpty())) {
    const auto& known = KnownWorkloads();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown workload '", name, "' (known: W1..W6)"));
    }
    if (std::find(options.workloads.begin(), options.workloads.end(), name) ==
        options.workloads.end()) {
      options.workloads.emplace_back(name);
    }
  }
  if (options.workloads.empty()) {
    return absl::InvalidArgumentError("no workload named");
  }
  return absl::OkStatus();
}

absl::Status SetServerPid(BenchOptions& options, absl::string_view value) {
  int pid;
  if (!absl::SimpleAtoi(value, &pid) || pid <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("'", value, "' is no pid"));
  }
  options.server_pid = pid;
  return absl::OkStatus();
}

const std::map<std::string, Setter, std::less<>>& ValueFlags() {
  static const auto* const kFlags =
      new std::map<std::string, Setter, std::less<>>{
          {"server", StringSetter(&BenchOptions::server)},
          {"pg-dsn", StringSetter(&BenchOptions::pg_dsn)},
          {"token", StringSetter(&BenchOptions::token)},
          {"workload", SetWorkloads},
          {"out", StringSetter(&BenchOptions::out_file)},
          {"evrouterd", StringSetter(&BenchOptions::evrouterd)},
          {"server-pid", SetServerPid},
          {"ceiling-events",
           IntSetter<uint64_t>(&BenchOptions::ceiling_events, 0)},
          {"w1-events", IntSetter<uint64_t>(&BenchOptions::w1_events, 1)},
          {"w1-batch", IntSetter<uint32_t>(&BenchOptions::w1_batch, 1)},
          {"w1-window", IntSetter<uint32_t>(&BenchOptions::w1_window, 1)},
          {"w1w1-events", IntSetter<uint64_t>(&BenchOptions::w1w1_events, 1)},
          {"w2-events", IntSetter<uint64_t>(&BenchOptions::w2_events, 1)},
          {"w2-publishers",
           IntSetter<uint32_t>(&BenchOptions::w2_publishers, 1)},
          {"w2-in-flight", IntSetter<uint32_t>(&BenchOptions::w2_in_flight, 1)},
          {"w3-seconds", PositiveDouble(&BenchOptions::w3_seconds)},
          {"w3-rate", PositiveDouble(&BenchOptions::w3_rate)},
          {"w4-queues", IntSetter<uint32_t>(&BenchOptions::w4_queues, 1)},
          {"w4-rate", PositiveDouble(&BenchOptions::w4_rate)},
          {"w4-seconds", PositiveDouble(&BenchOptions::w4_seconds)},
          {"w5-events", IntSetter<uint64_t>(&BenchOptions::w5_events, 1)},
          {"w5-rate", PositiveDouble(&BenchOptions::w5_rate)},
          {"w6-queues", IntSetter<uint32_t>(&BenchOptions::w6_queues, 1)},
          {"w6-consumers", IntSetter<uint32_t>(&BenchOptions::w6_consumers, 0)},
          {"w6-restarts", IntSetter<uint32_t>(&BenchOptions::w6_restarts, 1)},
      };
  return *kFlags;
}

}  // namespace

const std::vector<std::string>& KnownWorkloads() {
  static const auto* const kNames =
      new std::vector<std::string>{"W1", "W2", "W3", "W4", "W5", "W6"};
  return *kNames;
}

std::string UsageText() {
  return R"(usage: evrouter-bench --server HOST:PORT --pg-dsn DSN --workload W1[,W2...]
                      [--json] [--out FILE] [--evrouterd PATH] [--server-pid PID]
                      [--token TOKEN] [size flags]

Drives a running evrouterd and prints one line per workload (with --json: one
JSON object per line on stdout, the human lines on stderr). Before the
workloads it measures the Postgres ceiling: the same rows written with COPY
over libpq in transactions of 100 rows.

workloads:
  W1  streaming publish (PublishStream, batches in flight); also reports W1w1
      (window 1, batch 1)
  W2  unary publish, several publishers with many calls in flight
  W3  end-to-end latency at a fixed rate, 1 subscriber
  W4  fan-out: one exchange, many queues with one subscriber each
  W5  replay: catch-up rate of a consumer reading a stored backlog
  W6  scale of state: restart time with many queues and consumers
      (launches its own evrouterd, with --no-auth: needs --evrouterd)

--token (default: env EVROUTER_TOKEN) is an admin's bearer token.

size flags (defaults in brackets):
  --ceiling-events N   [300000]   rows written for the Postgres ceiling
  --w1-events N        [1000000]  --w1-batch N [100]  --w1-window N [10]
  --w1w1-events N      [20000]
  --w2-events N        [400000]   --w2-publishers N [8]  --w2-in-flight N [64]
  --w3-seconds S       [30]       --w3-rate EV/S [5000]
  --w4-queues N        [50]       --w4-rate EV/S [2000]  --w4-seconds S [20]
  --w5-events N        [1000000]  --w5-rate EV/S [1000]  (background publisher)
  --w6-queues N        [1000]     --w6-consumers N [10000]  --w6-restarts N [3]

The server's PID (for CPU and RSS) comes from --server-pid or from the process
listening on the --server port; Postgres memory from the postmaster listening on
the DSN's port and its children. Not found: those fields are null.
)";
}

absl::StatusOr<BenchOptions> ParseBenchOptions(int argc, char** argv) {
  BenchOptions options;
  if (const char* token = std::getenv("EVROUTER_TOKEN"); token != nullptr) {
    options.token = token;
  }
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h")
      return absl::CancelledError(UsageText());
    if (arg == "--json") {
      options.json = true;
      continue;
    }
    if (arg.substr(0, 2) != "--") {
      return absl::InvalidArgumentError(absl::StrCat("unexpected '", arg, "'"));
    }
    absl::string_view name = arg.substr(2);
    absl::string_view value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != absl::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    auto flag = ValueFlags().find(name);
    if (flag == ValueFlags().end()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " needs a value"));
      }
      value = argv[++i];
    }
    if (absl::Status status = flag->second(options, value); !status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, ": ", status.message()));
    }
  }
  if (options.server.empty()) {
    return absl::InvalidArgumentError("--server HOST:PORT is required");
  }
  if (options.pg_dsn.empty()) {
    return absl::InvalidArgumentError("--pg-dsn DSN is required");
  }
  if (options.workloads.empty()) {
    return absl::InvalidArgumentError("--workload W1[,W2...] is required");
  }
  // Run in the canonical order whatever the order given.
  std::vector<std::string> ordered;
  for (const std::string& name : KnownWorkloads()) {
    if (std::find(options.workloads.begin(), options.workloads.end(), name) !=
        options.workloads.end()) {
      ordered.push_back(name);
    }
  }
  options.workloads = std::move(ordered);
  return options;
}

}  // namespace evrouter::bench
