#include "server/core/rate_counter.h"

#include <algorithm>

namespace evrouter::core {
namespace {

// The ring slot of a Unix second (also for seconds before 1970).
int SlotOf(int64_t second, int buckets) {
  int64_t slot = second % buckets;
  return static_cast<int>(slot < 0 ? slot + buckets : slot);
}

}  // namespace

RateCounter::RateCounter(Clock* clock)
    : clock_(clock), created_(clock->Now()) {}

void RateCounter::Add(uint64_t n) {
  absl::MutexLock lock(&mu_);
  // Read under the lock so that buckets only ever move forward in time.
  int64_t second = absl::ToUnixSeconds(clock_->Now());
  Bucket& bucket = buckets_[SlotOf(second, kBuckets)];
  if (bucket.second != second) {
    bucket.second = second;
    bucket.count = 0;
  }
  bucket.count += n;
  total_ += n;
}

RateCounter::Rates RateCounter::Get() const {
  absl::MutexLock lock(&mu_);
  absl::Time now = clock_->Now();
  return Rates{RateOver(10, now), RateOver(60, now), total_};
}

double RateCounter::RateOver(int window_seconds, absl::Time now) const {
  // absl::ToUnixSeconds rounds down, so `now - FromUnixSeconds(current)` is
  // the part of the current second that has passed.
  int64_t current = absl::ToUnixSeconds(now);
  uint64_t events = 0;
  for (const Bucket& bucket : buckets_) {
    if (bucket.second <= current && bucket.second > current - window_seconds) {
      events += bucket.count;
    }
  }
  absl::Duration span = absl::Seconds(window_seconds - 1) +
                        (now - absl::FromUnixSeconds(current));
  absl::Duration age = now - created_;
  absl::Duration divisor = std::max(std::min(span, age), absl::Seconds(1));
  return static_cast<double>(events) / absl::ToDoubleSeconds(divisor);
}

}  // namespace evrouter::core
