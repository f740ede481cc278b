#ifndef EVROUTER_SERVER_TRANSPORT_PUBLISHER_SERVICE_H_
#define EVROUTER_SERVER_TRANSPORT_PUBLISHER_SERVICE_H_

#include <cstddef>

#include "evrouter/v1/publisher.grpc.pb.h"
#include "server/core/router.h"

namespace evrouter::transport {

// evrouter.v1.Publisher over the callback API: converts, forwards to the
// router, and answers from the storage thread once the commit is known.
// Never blocks a reactor thread.
class PublisherService final : public v1::Publisher::CallbackService {
 public:
  // `router` must outlive the service. A stream reads ahead at most
  // `max_stream_batches` batches that are not yet acknowledged.
  PublisherService(core::Router* router, size_t max_stream_batches)
      : router_(router), max_stream_batches_(max_stream_batches) {}

  grpc::ServerUnaryReactor* Publish(grpc::CallbackServerContext* context,
                                    const v1::PublishRequest* request,
                                    v1::PublishResponse* response) override;

  grpc::ServerBidiReactor<v1::PublishStreamRequest, v1::PublishStreamResponse>*
  PublishStream(grpc::CallbackServerContext* context) override;

 private:
  core::Router* const router_;
  const size_t max_stream_batches_;
};

}  // namespace evrouter::transport

#endif  // EVROUTER_SERVER_TRANSPORT_PUBLISHER_SERVICE_H_
