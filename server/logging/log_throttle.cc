#include "server/logging/log_throttle.h"

namespace evrouter::logging {

bool LogThrottle::Allow(absl::Time now, uint64_t* suppressed) {
  absl::MutexLock lock(&mu_);
  *suppressed = 0;
  if (now - window_start_ >= absl::Seconds(1)) {
    window_start_ = now;
    allowed_in_window_ = 0;
  }
  if (allowed_in_window_ >= lines_per_second_) {
    ++suppressed_;
    return false;
  }
  ++allowed_in_window_;
  *suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

}  // namespace evrouter::logging
