#ifndef EVROUTER_BENCH_WORKLOAD_CONTEXT_H_
#define EVROUTER_BENCH_WORKLOAD_CONTEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "bench/bench_options.h"
#include "bench/latency_recorder.h"
#include "bench/resource_meter.h"
#include "bench/result_json.h"
#include "client/evrouter_client.h"

namespace evrouter::bench {

// Deletes, at the end of the run, every exchange the workloads created. Not
// one by one as each workload ends: deleting a million events leaves dead
// rows whose autovacuum would then run during the next workload's
// measurement (seen as 150-300 ms publish stalls on 2 cores).
class ExchangeCleanup {
 public:
  explicit ExchangeCleanup(client::Client& client) : client_(client) {}
  ExchangeCleanup(const ExchangeCleanup&) = delete;
  ExchangeCleanup& operator=(const ExchangeCleanup&) = delete;
  ~ExchangeCleanup();

  void Add(std::string name) { names_.push_back(std::move(name)); }

 private:
  client::Client& client_;
  std::vector<std::string> names_;
};

// What every workload gets: the options, a client of the server under test,
// the processes to measure (nullopt when not found) and the ceiling.
struct WorkloadContext {
  const BenchOptions* options = nullptr;
  client::Client* client = nullptr;
  ExchangeCleanup* cleanup = nullptr;
  std::optional<int> server_pid;
  std::optional<int> postmaster_pid;
  std::optional<double> ceiling_events_per_sec;
  // Prefix of every name the run creates ("bench-<pid>"), so runs against
  // one server do not collide.
  std::string run_tag;

  // "<run_tag>-<suffix>".
  std::string Name(absl::string_view suffix) const;
  // A ResourceMeter over the server and Postgres processes.
  ResourceMeter StartMeter() const {
    return ResourceMeter(server_pid, postmaster_pid);
  }
};

// Creates a fanout exchange that the context's cleanup deletes (with its
// queues and events) at the end of the run, whatever the outcome.
class ScopedExchange {
 public:
  static absl::StatusOr<std::unique_ptr<ScopedExchange>> Create(
      const WorkloadContext& context, std::string name);
  ScopedExchange(const ScopedExchange&) = delete;
  ScopedExchange& operator=(const ScopedExchange&) = delete;

  const std::string& name() const { return name_; }

 private:
  explicit ScopedExchange(std::string name) : name_(std::move(name)) {}

  std::string name_;
};

// The fields every result has: events, duration_s, events_per_sec, the
// ceiling and the ratio to it, p50/p99/p999 of `latency` (null without
// samples), CPU seconds per million of `cpu_events` and the memory peaks.
void SetCommonFields(BenchResult& result, const WorkloadContext& context,
                     uint64_t events, double duration_s,
                     std::optional<double> events_per_sec,
                     const std::optional<LatencySummary>& latency,
                     const ResourceUsage& usage, uint64_t cpu_events);

// Options for a client like `client` but over a TCP connection of its own:
// publishers and subscribers of different services do not share one.
client::ClientOptions OwnConnection(const client::Client& client);

// CPU seconds per million `count`, or nullopt.
std::optional<double> CpuPerMillion(const ResourceUsage& usage, uint64_t count);

}  // namespace evrouter::bench

#endif  // EVROUTER_BENCH_WORKLOAD_CONTEXT_H_
