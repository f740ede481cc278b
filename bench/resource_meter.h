#ifndef EVROUTER_BENCH_RESOURCE_METER_H_
#define EVROUTER_BENCH_RESOURCE_METER_H_

#include <optional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace evrouter::bench {

// What a ResourceMeter saw over one phase; nullopt where the process was not
// known or could not be read.
struct ResourceUsage {
  std::optional<double> server_cpu_s;
  std::optional<double> server_peak_rss_mb;
  std::optional<double> postgres_peak_pss_mb;
};

// Measures one phase of a workload: the server's CPU seconds between
// construction and Finish(), and, from a thread sampling every `interval`,
// the server's peak RSS and the peak of the Postgres memory (Pss summed over
// the postmaster and its children). One-shot; Finish() is called once, from
// the thread that constructed it.
class ResourceMeter {
 public:
  ResourceMeter(std::optional<int> server_pid,
                std::optional<int> postmaster_pid,
                absl::Duration interval = absl::Milliseconds(50));
  ResourceMeter(const ResourceMeter&) = delete;
  ResourceMeter& operator=(const ResourceMeter&) = delete;
  ~ResourceMeter();

  ResourceUsage Finish();

 private:
  void SampleLoop();
  void SampleOnce();

  const std::optional<int> server_pid_;
  const std::optional<int> postmaster_pid_;
  const absl::Duration interval_;
  std::optional<double> cpu_start_;
  absl::Notification stop_;
  absl::Mutex mu_;
  std::optional<double> server_peak_mb_ ABSL_GUARDED_BY(mu_);
  std::optional<double> postgres_peak_mb_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
  bool finished_ = false;
};

// The Postgres memory now: Pss of the postmaster and its children, in MB.
std::optional<double> PostgresPssMb(int postmaster_pid);

}  // namespace evrouter::bench

#endif  // EVROUTER_BENCH_RESOURCE_METER_H_
