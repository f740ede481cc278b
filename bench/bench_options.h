#ifndef EVROUTER_BENCH_BENCH_OPTIONS_H_
#define EVROUTER_BENCH_BENCH_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace evrouter::bench {

// Everything evrouter-bench takes on its command line, with the defaults of
// the issue-4 workloads.
struct BenchOptions {
  std::string server;  // --server HOST:PORT (required)
  std::string pg_dsn;  // --pg-dsn (required)
  // --token, else env EVROUTER_TOKEN: the bearer token (an admin's: the
  // workloads create and delete exchanges and queues).
  std::string token;
  std::vector<std::string> workloads;  // --workload W1,W2,...
  bool json = false;                   // --json
  std::string out_file;                // --out FILE
  std::string evrouterd;               // --evrouterd PATH (W6)
  std::optional<int> server_pid;       // --server-pid PID

  uint64_t ceiling_events = 300'000;

  uint64_t w1_events = 1'000'000;
  uint32_t w1_batch = 100;
  uint32_t w1_window = 10;
  uint64_t w1w1_events = 20'000;

  uint64_t w2_events = 400'000;
  uint32_t w2_publishers = 8;
  uint32_t w2_in_flight = 64;

  double w3_seconds = 30;
  double w3_rate = 5'000;

  uint32_t w4_queues = 50;
  double w4_rate = 2'000;
  double w4_seconds = 20;

  uint64_t w5_events = 1'000'000;
  double w5_rate = 1'000;

  uint32_t w6_queues = 1'000;
  uint32_t w6_consumers = 10'000;
  uint32_t w6_restarts = 3;
};

// The known workload names, in the order they run.
const std::vector<std::string>& KnownWorkloads();

// Parses argv (flags as "--name value" or "--name=value"). "--help" yields
// a status of kind Cancelled carrying the usage text.
absl::StatusOr<BenchOptions> ParseBenchOptions(int argc, char** argv);

// The --help text.
std::string UsageText();

}  // namespace evrouter::bench

#endif  // EVROUTER_BENCH_BENCH_OPTIONS_H_
