#ifndef EVROUTER_SERVER_TRANSPORT_CALL_TRACKER_H_
#define EVROUTER_SERVER_TRANSPORT_CALL_TRACKER_H_

#include <cstddef>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace evrouter::transport {

// Bounds on the long-lived calls (PublishStream, Subscribe, Fetch, Health
// Watch) open at once. A connection is a client's TCP connection (the gRPC
// peer address); every channel of a process may share one.
struct StreamLimits {
  size_t max_streams = 10000;
  size_t max_streams_per_connection = 1000;
};

// Counts the calls in progress so that shutdown can wait for exactly those,
// instead of gRPC's Shutdown(deadline), which also waits for idle client
// connections until the deadline; and admits long-lived calls within
// StreamLimits. Thread-safe.
class CallTracker {
 public:
  explicit CallTracker(StreamLimits limits = {}) : limits_(limits) {}

  // Registers a call; false once draining (answer UNAVAILABLE instead).
  bool Enter();
  // The call registered by a successful Enter() is over.
  void Leave();

  // Registers a long-lived call of `connection` (the peer address): OK, or
  // UNAVAILABLE once draining, or RESOURCE_EXHAUSTED naming the limit that
  // is reached. Every OK is paired with one LeaveStream(connection).
  absl::Status EnterStream(absl::string_view connection);
  void LeaveStream(absl::string_view connection);
  // Long-lived calls open now (all, and of `connection`).
  size_t streams() const;
  size_t streams_of(absl::string_view connection) const;

  // Refuses new calls from now on.
  void StartDrain();
  bool draining() const;
  // Waits until no call is in progress or `timeout` passed; true if drained.
  bool WaitIdle(absl::Duration timeout);

 private:
  const StreamLimits limits_;
  mutable absl::Mutex mu_;
  int active_ ABSL_GUARDED_BY(mu_) = 0;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  size_t streams_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, size_t> streams_by_connection_
      ABSL_GUARDED_BY(mu_);
};

// The status for calls refused while the server shuts down.
inline constexpr char kShuttingDown[] =
    "server is shutting down; retry on another instance or after restart";

}  // namespace evrouter::transport

#endif  // EVROUTER_SERVER_TRANSPORT_CALL_TRACKER_H_
