#ifndef EVROUTER_SERVER_TRANSPORT_SUBSCRIBER_SERVICE_H_
#define EVROUTER_SERVER_TRANSPORT_SUBSCRIBER_SERVICE_H_

#include <cstddef>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "evrouter/v1/subscriber.grpc.pb.h"
#include "server/core/queue_manager.h"
#include "server/transport/call_auth.h"
#include "server/transport/call_tracker.h"

namespace evrouter::transport {

// evrouter.v1.Subscriber over the callback API: streams and fetches read a
// queue through core::Subscription; acks go back to it. One write in flight
// per stream, the next delivery requested from OnWriteDone. Never blocks a
// reactor thread.
//
// Subscribe is registered raw (ByteBuffer): its responses are encoded from
// the events directly (event_wire.h); the wire format and the descriptors
// reflection serves are those of subscriber.proto. Every request is parsed
// here (request_parser.h), so a malformed one is INVALID_ARGUMENT naming the
// field.
class SubscriberService final
    : public v1::Subscriber::WithRawCallbackMethod_Subscribe<
          v1::Subscriber::WithCallbackMethod_Fetch<
              v1::Subscriber::WithCallbackMethod_Ack<
                  v1::Subscriber::Service>>> {
 public:
  // `queues`, `calls` and `auth` must outlive the service. A response
  // carries at most `max_response_bytes` of events (one event larger than
  // that goes alone). Subscribe, Fetch and Ack need subscribe rights on the
  // queue; a stream is authorized by its start request.
  SubscriberService(core::QueueManager* queues, CallTracker* calls,
                    CallAuth* auth, size_t max_response_bytes);

  // For shutdown, after calls->StartDrain(): open streams end UNAVAILABLE
  // after their write in flight (their consumers fall asleep, offsets kept);
  // waiting fetches answer with what they have.
  void EndStreams();

  // After access was taken away: the streams and fetches no longer allowed
  // end with UNAUTHENTICATED or PERMISSION_DENIED (their consumers sleep,
  // offsets kept; a fetch returns no events).
  void RecheckAccess();

  // A call that EndStreams and RecheckAccess can end.
  class Endable {
   public:
    virtual ~Endable() = default;
    virtual void End() = 0;
    // Ends the call with the reason when its caller may no longer make it.
    virtual void Recheck(const CallAuth& auth) = 0;
  };
  class StreamReactor;
  class FetchReactor;

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Subscribe(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* Fetch(grpc::CallbackServerContext* context,
                                  const v1::FetchRequest* request,
                                  v1::FetchResponse* response) override;
  grpc::ServerUnaryReactor* Ack(grpc::CallbackServerContext* context,
                                const v1::AckRequest* request,
                                v1::AckResponse* response) override;

 private:
  void Register(Endable* call);
  void Forget(Endable* call);

  core::QueueManager* const queues_;
  CallTracker* const calls_;
  CallAuth* const auth_;
  const size_t max_response_bytes_;
  absl::Mutex calls_mu_;
  absl::flat_hash_set<Endable*> open_ ABSL_GUARDED_BY(calls_mu_);
  bool ending_ ABSL_GUARDED_BY(calls_mu_) = false;
};

}  // namespace evrouter::transport

#endif  // EVROUTER_SERVER_TRANSPORT_SUBSCRIBER_SERVICE_H_
