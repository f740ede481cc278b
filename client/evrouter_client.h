#ifndef EVROUTER_CLIENT_EVROUTER_CLIENT_H_
#define EVROUTER_CLIENT_EVROUTER_CLIENT_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/sync_stream.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/channel.h"
#include "client/subscription.h"
#include "evrouter/v1/admin.grpc.pb.h"
#include "evrouter/v1/event.pb.h"
#include "evrouter/v1/publisher.grpc.pb.h"
#include "evrouter/v1/subscriber.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace evrouter::client {

// Where to connect and how long calls may take. Every call gets a deadline.
struct ClientOptions {
  std::string server = "127.0.0.1:50051";
  absl::Duration timeout = absl::Seconds(10);      // per unary call
  absl::Duration stream_timeout = absl::Hours(1);  // per stream
  // A TCP connection of its own. By default gRPC shares one connection among
  // the clients of a process that talk to the same server, so a large
  // subscription and a publisher would queue behind each other in it.
  bool own_connection = false;
  // Sent as "authorization: Bearer <token>" on every call (see
  // ChannelOptions); the server refuses calls without one unless its auth is
  // disabled.
  std::string token;
  TlsOptions tls;  // plaintext unless tls.enabled
};

// A pipelined publish stream: Send() does not wait for acks; acks arrive in
// send order. Call Send() from one thread and NextAck() from one (possibly
// other) thread; Close() must not run concurrently with either. Obtained
// from Client::OpenPublishStream(); destroying it unclosed cancels the call.
class PublishStream {
 public:
  PublishStream(const PublishStream&) = delete;
  PublishStream& operator=(const PublishStream&) = delete;
  ~PublishStream();

  // Sends one batch with the next batch_id (1, 2, ...) and returns that id.
  // An error when the stream is closed or broke (NextAck() then reports why).
  absl::StatusOr<uint64_t> Send(std::string_view exchange,
                                std::vector<evrouter::v1::Event> events);

  // Blocks for the next ack; an error status when the stream broke, or
  // OUT_OF_RANGE when the server ended the stream normally. A rejected batch
  // is a normal ack with a nonzero error_code.
  absl::StatusOr<evrouter::v1::PublishStreamResponse> NextAck();

  // Half-closes, drains remaining acks (returned in order), and returns the
  // final status of the call (its error when the call failed).
  absl::StatusOr<std::vector<evrouter::v1::PublishStreamResponse>> Close();

 private:
  friend class Client;
  PublishStream(evrouter::v1::Publisher::Stub& stub,
                std::shared_ptr<grpc::Channel> channel,
                absl::Duration stream_timeout);

  // Collects the call's final status once reading has ended.
  absl::Status Finish();

  std::shared_ptr<grpc::Channel> channel_;  // outlives the call
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<evrouter::v1::PublishStreamRequest,
                                           evrouter::v1::PublishStreamResponse>>
      stream_;
  uint64_t next_batch_id_ = 1;  // sender side only
  bool writes_done_ = false;    // sender side only
  bool finished_ = false;       // reader side only
  absl::Status final_status_;   // reader side only
};

// A client for one evrouter server over one insecure channel. Thread-safe:
// calls may come from many threads at once. Every call carries a deadline
// from ClientOptions; errors keep the gRPC code and message.
class Client {
 public:
  explicit Client(ClientOptions options);

  const ClientOptions& options() const { return options_; }

  // Creates an exchange; the same spec again returns the existing one, a
  // different kind for an existing name is ALREADY_EXISTS.
  absl::StatusOr<evrouter::v1::Exchange> CreateExchange(
      std::string_view name, evrouter::v1::ExchangeKind kind);
  absl::StatusOr<evrouter::v1::Exchange> GetExchange(std::string_view name);
  // All exchanges, sorted by name.
  absl::StatusOr<std::vector<evrouter::v1::Exchange>> ListExchanges();
  // Deletes an exchange and all its stored events.
  absl::Status DeleteExchange(std::string_view name);

  // Creates a queue on `exchange` (NOT_FOUND when it does not exist) with
  // `bindings` (none for fanout); limit_size 0 means the server default. By
  // default the queue starts at the exchange head; `from_earliest` includes
  // the stored events. The same spec again returns the existing queue.
  absl::StatusOr<evrouter::v1::Queue> CreateQueue(
      std::string_view name, std::string_view exchange,
      const std::vector<std::string>& bindings, uint32_t limit_size = 0,
      bool from_earliest = false);
  absl::StatusOr<evrouter::v1::Queue> GetQueue(std::string_view name);
  // Queues sorted by name; only those of `exchange` unless it is empty.
  absl::StatusOr<std::vector<evrouter::v1::Queue>> ListQueues(
      std::string_view exchange = "");
  // Deletes a queue and its consumers.
  absl::Status DeleteQueue(std::string_view name);

  // Creates a SLEEPING consumer at the start of `queue`, or returns the
  // existing one unchanged.
  absl::StatusOr<evrouter::v1::Consumer> CreateConsumer(std::string_view queue,
                                                        std::string_view name);
  // Consumers sorted by queue and name; only those of `queue` unless empty.
  absl::StatusOr<std::vector<evrouter::v1::Consumer>> ListConsumers(
      std::string_view queue = "");
  // Moves a SLEEPING consumer so that its next delivery is the first queue
  // event at or after `offset` (>= 1), or stored at or after `time`.
  // FAILED_PRECONDITION while the consumer is ACTIVE.
  absl::StatusOr<evrouter::v1::Consumer> SeekConsumer(std::string_view queue,
                                                      std::string_view name,
                                                      uint64_t offset);
  absl::StatusOr<evrouter::v1::Consumer> SeekConsumer(std::string_view queue,
                                                      std::string_view name,
                                                      absl::Time time);
  // Deletes a consumer; an open stream of it ends with NOT_FOUND.
  absl::Status DeleteConsumer(std::string_view queue, std::string_view name);

  // Rates, heads, buffer fill and consumer lag of the whole server.
  absl::StatusOr<evrouter::v1::Stats> GetStats();

  // Pull: up to `max_events` (0 = server default) events after the
  // consumer's committed offset, waiting up to `wait` for the first one; the
  // call's deadline is the unary timeout plus `wait`. Commits nothing.
  absl::StatusOr<std::vector<evrouter::v1::Event>> Fetch(
      std::string_view queue, std::string_view consumer, uint32_t max_events,
      absl::Duration wait);
  // Commits `offset` for the consumer (cumulative) and returns the committed
  // offset afterwards (unchanged when `offset` is not above it).
  absl::StatusOr<uint64_t> Ack(std::string_view queue,
                               std::string_view consumer, uint64_t offset);

  // Opens a subscription stream (deadline: stream_timeout) and sends `start`.
  // Errors, including a refused start, arrive through Subscription::Next().
  std::unique_ptr<Subscription> Subscribe(
      const evrouter::v1::SubscribeStart& start);

  // Stores `events` in `exchange`, all or nothing; results in event order.
  absl::StatusOr<std::vector<evrouter::v1::PublishResult>> Publish(
      std::string_view exchange, std::vector<evrouter::v1::Event> events);

  // SERVING / NOT_SERVING / ... for `service` ("" = the whole server).
  absl::StatusOr<grpc::health::v1::HealthCheckResponse::ServingStatus> Health(
      std::string_view service = "");

  // Blocks until the server answers SERVING or `within` passed (polls with a
  // short backoff). DEADLINE_EXCEEDED names the last answer otherwise.
  absl::Status WaitUntilServing(absl::Duration within);

  // Opens a pipelined publish stream with the stream_timeout deadline.
  std::unique_ptr<PublishStream> OpenPublishStream();

 private:
  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<evrouter::v1::Admin::Stub> admin_;
  std::unique_ptr<evrouter::v1::Publisher::Stub> publisher_;
  std::unique_ptr<evrouter::v1::Subscriber::Stub> subscriber_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

}  // namespace evrouter::client

#endif  // EVROUTER_CLIENT_EVROUTER_CLIENT_H_
