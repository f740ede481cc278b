#ifndef EVROUTER_SERVER_CORE_CLOCK_H_
#define EVROUTER_SERVER_CORE_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace evrouter::core {

// Source of wall-clock time, injected so tests can control it. Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
};

// The system clock.
class SystemClock : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
};

}  // namespace evrouter::core

#endif  // EVROUTER_SERVER_CORE_CLOCK_H_
