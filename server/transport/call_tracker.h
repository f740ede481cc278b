#ifndef EVROUTER_SERVER_TRANSPORT_CALL_TRACKER_H_
#define EVROUTER_SERVER_TRANSPORT_CALL_TRACKER_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace evrouter::transport {

// Counts the calls in progress so that shutdown can wait for exactly those,
// instead of gRPC's Shutdown(deadline), which also waits for idle client
// connections until the deadline. Thread-safe.
class CallTracker {
 public:
  // Registers a call; false once draining (answer UNAVAILABLE instead).
  bool Enter();
  // The call registered by a successful Enter() is over.
  void Leave();
  // Refuses new calls from now on.
  void StartDrain();
  bool draining() const;
  // Waits until no call is in progress or `timeout` passed; true if drained.
  bool WaitIdle(absl::Duration timeout);

 private:
  mutable absl::Mutex mu_;
  int active_ ABSL_GUARDED_BY(mu_) = 0;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
};

// The status for calls refused while the server shuts down.
inline constexpr char kShuttingDown[] =
    "server is shutting down; retry on another instance or after restart";

}  // namespace evrouter::transport

#endif  // EVROUTER_SERVER_TRANSPORT_CALL_TRACKER_H_
