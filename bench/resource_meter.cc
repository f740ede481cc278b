#include "bench/resource_meter.h"

#include <algorithm>
#include <cstdint>

#include "bench/proc_stats.h"

namespace evrouter::bench {
namespace {

constexpr double kMb = 1024.0 * 1024.0;

void KeepMax(std::optional<double>& peak, std::optional<double> value) {
  if (value.has_value() && (!peak.has_value() || *value > *peak)) peak = value;
}

}  // namespace

std::optional<double> PostgresPssMb(int postmaster_pid) {
  std::optional<uint64_t> total = ReadPssBytes(postmaster_pid);
  if (!total.has_value()) return std::nullopt;
  for (int child : ChildPids(postmaster_pid)) {
    *total += ReadPssBytes(child).value_or(0);
  }
  return static_cast<double>(*total) / kMb;
}

ResourceMeter::ResourceMeter(std::optional<int> server_pid,
                             std::optional<int> postmaster_pid,
                             absl::Duration interval)
    : server_pid_(server_pid),
      postmaster_pid_(postmaster_pid),
      interval_(interval) {
  if (server_pid_.has_value()) cpu_start_ = ReadCpuSeconds(*server_pid_);
  SampleOnce();
  thread_ = std::thread([this] { SampleLoop(); });
}

ResourceMeter::~ResourceMeter() {
  if (!finished_) Finish();
}

void ResourceMeter::SampleLoop() {
  while (!stop_.WaitForNotificationWithTimeout(interval_)) SampleOnce();
}

void ResourceMeter::SampleOnce() {
  std::optional<double> server_mb;
  if (server_pid_.has_value()) {
    if (std::optional<uint64_t> rss = ReadRssBytes(*server_pid_)) {
      server_mb = static_cast<double>(*rss) / kMb;
    }
  }
  std::optional<double> postgres_mb;
  if (postmaster_pid_.has_value())
    postgres_mb = PostgresPssMb(*postmaster_pid_);
  absl::MutexLock lock(&mu_);
  KeepMax(server_peak_mb_, server_mb);
  KeepMax(postgres_peak_mb_, postgres_mb);
}

ResourceUsage ResourceMeter::Finish() {
  finished_ = true;
  stop_.Notify();
  thread_.join();
  SampleOnce();
  ResourceUsage usage;
  if (cpu_start_.has_value()) {
    if (std::optional<double> end = ReadCpuSeconds(*server_pid_)) {
      usage.server_cpu_s = std::max(0.0, *end - *cpu_start_);
    }
  }
  absl::MutexLock lock(&mu_);
  usage.server_peak_rss_mb = server_peak_mb_;
  usage.postgres_peak_pss_mb = postgres_peak_mb_;
  return usage;
}

}  // namespace evrouter::bench
