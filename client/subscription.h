#ifndef EVROUTER_CLIENT_SUBSCRIPTION_H_
#define EVROUTER_CLIENT_SUBSCRIPTION_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include <cstdint>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "evrouter/v1/subscriber.grpc.pb.h"

namespace evrouter::client {

// One Subscriber.Subscribe stream of a consumer, started by
// Client::Subscribe(). Threading: Next() and Close() belong to one reader
// thread (never concurrently with each other); Ack() and HalfClose() may run
// on any thread, also while Next() blocks; Cancel() from any thread at any
// time. Destroying it unfinished cancels the call.
class Subscription {
 public:
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription();

  // Blocks for the next batch of events (or a caught_up marker). The call's
  // error status when the stream failed (a refused start included), or
  // OUT_OF_RANGE when the server ended the stream with OK.
  absl::StatusOr<evrouter::v1::SubscribeResponse> Next();

  // Acknowledges every event up to and including `offset`. Returns once the
  // ack is handed to the transport, not when the server stored it; to know
  // that, half-close and read until the stream ends (Close()). An error
  // after HalfClose(), or when the stream broke (Next() then reports why).
  absl::Status Ack(uint64_t offset);

  // Tells the server no more acks follow; it then ends the stream, and Next()
  // returns the responses still under way, then OUT_OF_RANGE. Idempotent.
  void HalfClose();

  // Ends the call at once (Next() then returns CANCELLED); acks not yet
  // processed by the server may be lost.
  void Cancel();

  // HalfClose(), then drops the responses still under way (the server
  // delivers them again to the next subscription) and returns the final
  // status of the call: OK when the server ended the stream normally.
  absl::Status Close();

 private:
  friend class Client;
  Subscription(evrouter::v1::Subscriber::Stub& stub,
               std::shared_ptr<grpc::Channel> channel,
               const evrouter::v1::SubscribeStart& start,
               absl::Duration stream_timeout);

  // Collects the call's final status once reading has ended.
  absl::Status Finish();

  std::shared_ptr<grpc::Channel> channel_;  // outlives the call
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<evrouter::v1::SubscribeRequest,
                                           evrouter::v1::SubscribeResponse>>
      stream_;
  // Serializes the writes (start, acks, half-close) and Finish().
  absl::Mutex write_mu_;
  bool writes_done_ ABSL_GUARDED_BY(write_mu_) = false;
  bool finished_ = false;      // reader side only
  absl::Status final_status_;  // reader side only
};

}  // namespace evrouter::client

#endif  // EVROUTER_CLIENT_SUBSCRIPTION_H_
