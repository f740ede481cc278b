#ifndef EVROUTER_BENCH_LATENCY_RECORDER_H_
#define EVROUTER_BENCH_LATENCY_RECORDER_H_

#include <cstdint>
#include <optional>
#include <vector>

namespace evrouter::bench {

// Percentiles of a set of latency samples, in milliseconds.
struct LatencySummary {
  uint64_t count = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
  double max_ms = 0;
};

// Keeps every latency sample (nanoseconds) and sorts them once at the end:
// exact percentiles, no histogram buckets. Not thread-safe: one per thread,
// merged afterwards.
class LatencyRecorder {
 public:
  void Add(int64_t latency_ns) { samples_.push_back(latency_ns); }
  // `count` samples of the same latency (every event of one batch).
  void AddMany(int64_t latency_ns, uint64_t count) {
    samples_.insert(samples_.end(), count, latency_ns);
  }
  void Reserve(size_t count) { samples_.reserve(count); }
  // Moves the samples of `other` into this one.
  void Merge(LatencyRecorder& other);
  size_t size() const { return samples_.size(); }

  // Nearest-rank p50/p99/p99.9 and max; nullopt without samples. Sorts.
  std::optional<LatencySummary> Summarize();

 private:
  std::vector<int64_t> samples_;
};

}  // namespace evrouter::bench

#endif  // EVROUTER_BENCH_LATENCY_RECORDER_H_
