#ifndef EVROUTER_SERVER_CORE_RATE_COUNTER_H_
#define EVROUTER_SERVER_CORE_RATE_COUNTER_H_

#include <array>
#include <cstdint>
#include <limits>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/core/clock.h"

namespace evrouter::core {

// Counts events and reports their rate over the last 10 seconds and the last
// minute, and their total, for stats. Counts go into 60 one-second buckets
// keyed by the Unix second of the clock; a bucket is reused (reset) when its
// second comes round again, so memory is fixed. Thread-safe; `clock` is not
// owned and must outlive the counter.
//
// A window of W seconds (10 or 60) holds the current, partial second plus the
// W - 1 complete seconds before it, so it spans (W - 1) s + the part of the
// current second that has passed. The rate is the events counted in those
// buckets divided by that span, or by the counter's age when it is younger
// than the span (so a new counter is not underestimated), but never by less
// than one second. A clock that steps back loses at most the counts of the
// seconds it steps over.
class RateCounter {
 public:
  struct Rates {
    double per_sec_10s = 0;  // events per second over the last 10 s
    double per_sec_1m = 0;   // events per second over the last minute
    uint64_t total = 0;      // events counted since the counter was made
  };

  explicit RateCounter(Clock* clock);

  // Counts `n` events now. Cheap (one short lock); meant to be called once
  // per batch rather than per event.
  void Add(uint64_t n);

  // The current rates.
  Rates Get() const;

 private:
  static constexpr int kBuckets = 60;

  struct Bucket {
    // The Unix second counted here; min() when never used.
    int64_t second = std::numeric_limits<int64_t>::min();
    uint64_t count = 0;
  };

  // Events per second over the `window_seconds` ending at `now`.
  double RateOver(int window_seconds, absl::Time now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock* const clock_;
  const absl::Time created_;
  mutable absl::Mutex mu_;
  std::array<Bucket, kBuckets> buckets_ ABSL_GUARDED_BY(mu_);
  uint64_t total_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace evrouter::core

#endif  // EVROUTER_SERVER_CORE_RATE_COUNTER_H_
