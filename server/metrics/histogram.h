#ifndef EVROUTER_SERVER_METRICS_HISTOGRAM_H_
#define EVROUTER_SERVER_METRICS_HISTOGRAM_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace evrouter::metrics {

// A Prometheus histogram: counts of observations at or below each upper
// bound, their sum and their count. Observe() is lock-free (a few relaxed
// atomic adds), so it may sit on hot paths; Get() may see an observation in
// the count but not yet in the sum, which Prometheus tolerates. Thread-safe.
class Histogram {
 public:
  struct Snapshot {
    std::vector<double> bounds;        // upper bounds, ascending, no +Inf
    std::vector<uint64_t> cumulative;  // per bound, then one for +Inf
    double sum = 0;
    uint64_t count = 0;
  };

  // `bounds` ascending and finite; +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);

  void Observe(double value);
  Snapshot Get() const;

  // Bounds for durations in seconds, 100 µs to 10 s.
  static std::vector<double> LatencyBounds();
  // Bounds for counts (batch sizes): 1, 2, 5, 10, ... 10000.
  static std::vector<double> CountBounds();

 private:
  const std::vector<double> bounds_;
  // One per bound and one for +Inf; not cumulative.
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
};

}  // namespace evrouter::metrics

#endif  // EVROUTER_SERVER_METRICS_HISTOGRAM_H_
