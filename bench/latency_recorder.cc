#include "bench/latency_recorder.h"

#include <algorithm>
#include <cmath>

namespace evrouter::bench {
namespace {

double NsToMs(int64_t ns) { return static_cast<double>(ns) / 1e6; }

// The nearest-rank percentile q (0 < q <= 1) of sorted samples.
int64_t Percentile(const std::vector<int64_t>& sorted, double q) {
  size_t rank =
      static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

}  // namespace

void LatencyRecorder::Merge(LatencyRecorder& other) {
  samples_.insert(samples_.end(), other.samples_.begin(), other.samples_.end());
  other.samples_.clear();
  other.samples_.shrink_to_fit();
}

std::optional<LatencySummary> LatencyRecorder::Summarize() {
  if (samples_.empty()) return std::nullopt;
  std::sort(samples_.begin(), samples_.end());
  LatencySummary summary;
  summary.count = samples_.size();
  summary.p50_ms = NsToMs(Percentile(samples_, 0.50));
  summary.p99_ms = NsToMs(Percentile(samples_, 0.99));
  summary.p999_ms = NsToMs(Percentile(samples_, 0.999));
  summary.max_ms = NsToMs(samples_.back());
  return summary;
}

}  // namespace evrouter::bench
