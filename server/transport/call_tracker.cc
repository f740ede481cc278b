#include "server/transport/call_tracker.h"

namespace evrouter::transport {

bool CallTracker::Enter() {
  absl::MutexLock lock(&mu_);
  if (draining_) return false;
  ++active_;
  return true;
}

void CallTracker::Leave() {
  absl::MutexLock lock(&mu_);
  --active_;
}

void CallTracker::StartDrain() {
  absl::MutexLock lock(&mu_);
  draining_ = true;
}

bool CallTracker::draining() const {
  absl::MutexLock lock(&mu_);
  return draining_;
}

bool CallTracker::WaitIdle(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto idle = [this]()
                  ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return active_ == 0; };
  return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

}  // namespace evrouter::transport
