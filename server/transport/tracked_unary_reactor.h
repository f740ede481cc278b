#ifndef EVROUTER_SERVER_TRANSPORT_TRACKED_UNARY_REACTOR_H_
#define EVROUTER_SERVER_TRANSPORT_TRACKED_UNARY_REACTOR_H_

#include <grpcpp/grpcpp.h>

#include "server/transport/call_tracker.h"

namespace evrouter::transport {

// A unary reactor counted by a CallTracker from creation until gRPC is done
// with it (the response sent or the call cancelled). Deletes itself.
class TrackedUnaryReactor final : public grpc::ServerUnaryReactor {
 public:
  // Returns a reactor for the call, or one already finished with UNAVAILABLE
  // when the tracker is draining (then `*admitted` is false).
  static TrackedUnaryReactor* Start(CallTracker* tracker, bool* admitted) {
    auto* reactor = new TrackedUnaryReactor(tracker);
    *admitted = reactor->admitted_;
    if (!reactor->admitted_) {
      reactor->Finish(
          grpc::Status(grpc::StatusCode::UNAVAILABLE, kShuttingDown));
    }
    return reactor;
  }

  void OnDone() override {
    if (admitted_) tracker_->Leave();
    delete this;
  }

 private:
  explicit TrackedUnaryReactor(CallTracker* tracker)
      : tracker_(tracker), admitted_(tracker->Enter()) {}

  CallTracker* const tracker_;
  const bool admitted_;
};

}  // namespace evrouter::transport

#endif  // EVROUTER_SERVER_TRANSPORT_TRACKED_UNARY_REACTOR_H_
