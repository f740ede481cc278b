#ifndef EVROUTER_SERVER_LOGGING_LOG_THROTTLE_H_
#define EVROUTER_SERVER_LOGGING_LOG_THROTTLE_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace evrouter::logging {

// Lets at most `lines_per_second` lines through per one-second window and
// counts the rest, for log lines a client can cause at will (failed
// authentications, gRPC's handshake errors). Thread-safe.
class LogThrottle {
 public:
  explicit LogThrottle(int lines_per_second)
      : lines_per_second_(lines_per_second) {}

  // Whether a line may be logged at `now`. When it may, `*suppressed` is
  // how many lines were held back since the last one let through (log
  // "N more ... were not logged" first when not 0).
  bool Allow(absl::Time now, uint64_t* suppressed);

 private:
  const int lines_per_second_;
  absl::Mutex mu_;
  absl::Time window_start_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  int allowed_in_window_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t suppressed_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace evrouter::logging

#endif  // EVROUTER_SERVER_LOGGING_LOG_THROTTLE_H_
