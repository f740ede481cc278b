#ifndef EVROUTER_SERVER_TRANSPORT_PUBLISHER_SERVICE_H_
#define EVROUTER_SERVER_TRANSPORT_PUBLISHER_SERVICE_H_

#include <cstddef>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "evrouter/v1/publisher.grpc.pb.h"
#include "server/core/router.h"
#include "server/transport/call_auth.h"
#include "server/transport/call_tracker.h"

namespace evrouter::transport {

// evrouter.v1.Publisher over the callback API: converts, forwards to the
// router, and answers from the storage thread once the commit is known.
// Never blocks a reactor thread.
//
// Requests are parsed here (request_parser.h), not by gRPC: a malformed
// Publish is INVALID_ARGUMENT naming the field, and a malformed stream batch
// gets an ack with that error (PublishStream is registered raw, ByteBuffer in
// and out) where gRPC would end the stream as if the client had half-closed.
class PublisherService final
    : public v1::Publisher::WithRawCallbackMethod_PublishStream<
          v1::Publisher::WithCallbackMethod_Publish<v1::Publisher::Service>> {
 public:
  // `router`, `calls` and `auth` must outlive the service. A stream reads
  // ahead at most `max_stream_batches` batches that are not yet acknowledged.
  // Publish needs publish rights on the exchange; a stream authenticates
  // once and each batch is authorized on its own (a refused batch gets an
  // ack with the error).
  PublisherService(core::Router* router, CallTracker* calls, CallAuth* auth,
                   size_t max_stream_batches);

  // For shutdown, after calls->StartDrain(): every open stream stops reading,
  // writes the acks of the batches it already took, and ends UNAVAILABLE.
  void EndStreams();

  // After access was taken away: the streams whose token was revoked (or
  // whose user was deleted) end the same way, with UNAUTHENTICATED.
  void RecheckAccess();

  class StreamReactor;

  grpc::ServerUnaryReactor* Publish(grpc::CallbackServerContext* context,
                                    const v1::PublishRequest* request,
                                    v1::PublishResponse* response) override;

  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* PublishStream(
      grpc::CallbackServerContext* context) override;

 private:
  friend class StreamReactor;
  void Forget(StreamReactor* stream);

  core::Router* const router_;
  CallTracker* const calls_;
  CallAuth* const auth_;
  const size_t max_stream_batches_;
  absl::Mutex streams_mu_;
  absl::flat_hash_set<StreamReactor*> streams_ ABSL_GUARDED_BY(streams_mu_);
};

}  // namespace evrouter::transport

#endif  // EVROUTER_SERVER_TRANSPORT_PUBLISHER_SERVICE_H_
