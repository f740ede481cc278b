// libFuzzer target: random bytes as serialized requests to the real gRPC
// services (server/transport) over the in-memory store, served in-process on
// 127.0.0.1 (port 0, started once). The first byte picks the RPC; for unary
// RPCs the rest is the request as sent, for streams it is a sequence of
// messages, each a 2-byte little-endian length and that many bytes (the last
// one takes whatever is left). Requests go out through grpc::GenericStub as
// raw bytes, so malformed messages reach the server's deserializer.
//
// Invariants: the server never crashes (ASan/UBSan watch it) and stays
// SERVING; every call ends with an expected status: never UNKNOWN,
// UNAVAILABLE or DATA_LOSS; INTERNAL or UNIMPLEMENTED only for a health
// request that does not parse (gRPC parses those itself; our services parse
// their own requests, request_parser.h); INVALID_ARGUMENT with a message that
// starts with the field it names. Rejected PublishStream batches carry such
// codes and messages too.
//
// State stays bounded: names come from the input, so every 256 inputs every
// exchange (and with it its queues, consumers and events) is deleted and the
// fixed ones the seeds use are created again.
#include <google/protobuf/stubs/logging.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "evrouter/v1/admin.grpc.pb.h"
#include "evrouter/v1/publisher.pb.h"
#include "evrouter/v1/subscriber.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "server/core/access_control.h"
#include "server/core/clock.h"
#include "server/core/executor.h"
#include "server/core/queue_manager.h"
#include "server/core/router.h"
#include "server/transport/admin_service.h"
#include "server/transport/call_auth.h"
#include "server/transport/call_tracker.h"
#include "server/transport/health_service.h"
#include "server/transport/publisher_service.h"
#include "server/transport/subscriber_service.h"
#include "storage/event_store.h"
#include "storage/user_store.h"
#include "tests/fuzz/fuzz_check.h"

namespace evrouter::fuzz {
namespace {

using grpc::StatusCode;

// How long a call may take; a slower one ends DEADLINE_EXCEEDED (accepted:
// no assertion on time). Streams are cancelled after this long without news.
constexpr auto kCallDeadline = std::chrono::seconds(10);
constexpr auto kStreamIdle = std::chrono::milliseconds(20);
// Fetch waits are cut to this, so an input does not sit in a long poll.
constexpr int32_t kMaxFetchWaitNanos = 10'000'000;
constexpr int kResetEvery = 256;
constexpr size_t kMaxStreamMessages = 8;
constexpr int kMaxStreamReads = 64;

// Which message type a method reads, to tell gRPC's answer to unparseable
// bytes (INTERNAL) from a server bug.
enum class Request {
  kPublish,
  kPublishStream,
  kCreateExchange,
  kName,  // Get/Delete exchange and queue: one string field
  kEmpty,
  kCreateQueue,
  kListQueues,
  kConsumer,  // CreateConsumer, DeleteConsumer
  kListConsumers,
  kSeekConsumer,
  kSubscribe,
  kFetch,
  kAck,
  kHealth,
};

struct Method {
  const char* path;
  Request request;
  bool stream;
};

constexpr Method kMethods[] = {
    {"/evrouter.v1.Publisher/Publish", Request::kPublish, false},
    {"/evrouter.v1.Publisher/PublishStream", Request::kPublishStream, true},
    {"/evrouter.v1.Admin/CreateExchange", Request::kCreateExchange, false},
    {"/evrouter.v1.Admin/GetExchange", Request::kName, false},
    {"/evrouter.v1.Admin/ListExchanges", Request::kEmpty, false},
    {"/evrouter.v1.Admin/DeleteExchange", Request::kName, false},
    {"/evrouter.v1.Admin/CreateQueue", Request::kCreateQueue, false},
    {"/evrouter.v1.Admin/GetQueue", Request::kName, false},
    {"/evrouter.v1.Admin/ListQueues", Request::kListQueues, false},
    {"/evrouter.v1.Admin/DeleteQueue", Request::kName, false},
    {"/evrouter.v1.Admin/CreateConsumer", Request::kConsumer, false},
    {"/evrouter.v1.Admin/ListConsumers", Request::kListConsumers, false},
    {"/evrouter.v1.Admin/SeekConsumer", Request::kSeekConsumer, false},
    {"/evrouter.v1.Admin/DeleteConsumer", Request::kConsumer, false},
    {"/evrouter.v1.Admin/GetStats", Request::kEmpty, false},
    {"/evrouter.v1.Subscriber/Subscribe", Request::kSubscribe, true},
    {"/evrouter.v1.Subscriber/Fetch", Request::kFetch, false},
    {"/evrouter.v1.Subscriber/Ack", Request::kAck, false},
    {"/grpc.health.v1.Health/Check", Request::kHealth, false},
    {"/grpc.health.v1.Health/Watch", Request::kHealth, true},
};
constexpr size_t kMethodCount = sizeof(kMethods) / sizeof(kMethods[0]);

template <typename Message>
bool ParsesAs(const std::string& bytes) {
  Message message;
  return message.ParseFromString(bytes);
}

bool Parses(Request request, const std::string& bytes) {
  switch (request) {
    case Request::kPublish:
      return ParsesAs<v1::PublishRequest>(bytes);
    case Request::kPublishStream:
      return ParsesAs<v1::PublishStreamRequest>(bytes);
    case Request::kCreateExchange:
      return ParsesAs<v1::CreateExchangeRequest>(bytes);
    case Request::kName:
      return ParsesAs<v1::GetExchangeRequest>(bytes);
    case Request::kEmpty:
      return ParsesAs<v1::ListExchangesRequest>(bytes);
    case Request::kCreateQueue:
      return ParsesAs<v1::CreateQueueRequest>(bytes);
    case Request::kListQueues:
      return ParsesAs<v1::ListQueuesRequest>(bytes);
    case Request::kConsumer:
      return ParsesAs<v1::CreateConsumerRequest>(bytes);
    case Request::kListConsumers:
      return ParsesAs<v1::ListConsumersRequest>(bytes);
    case Request::kSeekConsumer:
      return ParsesAs<v1::SeekConsumerRequest>(bytes);
    case Request::kSubscribe:
      return ParsesAs<v1::SubscribeRequest>(bytes);
    case Request::kFetch:
      return ParsesAs<v1::FetchRequest>(bytes);
    case Request::kAck:
      return ParsesAs<v1::AckRequest>(bytes);
    case Request::kHealth:
      return ParsesAs<grpc::health::v1::HealthCheckRequest>(bytes);
  }
  return false;
}

// A Fetch that would wait long waits at most kMaxFetchWaitNanos instead.
std::string ShortenFetchWait(std::string bytes) {
  v1::FetchRequest fetch;
  if (!fetch.ParseFromString(bytes)) return bytes;
  if (fetch.wait().seconds() == 0 &&
      fetch.wait().nanos() <= kMaxFetchWaitNanos) {
    return bytes;
  }
  if (fetch.wait().seconds() < 0 || fetch.wait().nanos() < 0) return bytes;
  fetch.mutable_wait()->set_seconds(0);
  fetch.mutable_wait()->set_nanos(kMaxFetchWaitNanos);
  return fetch.SerializeAsString();
}

grpc::ByteBuffer ToBuffer(const std::string& bytes) {
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// "field: problem" or "field[...]...: problem": starts with a lower-case
// field name and has a colon.
bool NamesField(const std::string& message) {
  return !message.empty() && message[0] >= 'a' && message[0] <= 'z' &&
         message.find(": ") != std::string::npos;
}

// `grpc_refused`: gRPC, not our code, parsed the request and could not.
void CheckCode(StatusCode code, const std::string& message, bool grpc_refused,
               const std::string& what) {
  const std::string text =
      absl::StrCat(what, " ended with code ", code, ": '", message, "'");
  switch (code) {
    case StatusCode::OK:
    case StatusCode::CANCELLED:
    case StatusCode::DEADLINE_EXCEEDED:
    case StatusCode::NOT_FOUND:
    case StatusCode::ALREADY_EXISTS:
    case StatusCode::FAILED_PRECONDITION:
    case StatusCode::ABORTED:
    case StatusCode::OUT_OF_RANGE:
    case StatusCode::RESOURCE_EXHAUSTED:
      return;
    case StatusCode::INVALID_ARGUMENT:
      Check(NamesField(message), "INVALID_ARGUMENT names no field: " + text);
      return;
    case StatusCode::INTERNAL:
    case StatusCode::UNIMPLEMENTED:
      // gRPC's own answer to a request it cannot deserialize (the callback
      // API finishes such unary calls UNIMPLEMENTED with no message).
      Check(grpc_refused,
            "INTERNAL or UNIMPLEMENTED for a request gRPC did not refuse: " +
                text);
      return;
    default:
      Check(false, "unexpected status: " + text);
  }
}

// Only the health service's requests are parsed by gRPC; every evrouter
// service parses its own (request_parser.h).
bool ParsedByGrpc(const Method& method) {
  return method.request == Request::kHealth;
}

// evrouterd's wiring (server/main.cc) over the in-memory store, and a client.
class Harness {
 public:
  Harness()
      : store_(NewMemoryEventStore()),
        executor_(2),
        reads_(1),
        router_(core::RouterOptions{}, store_.get(), &executor_, &clock_),
        queues_(core::QueueManagerOptions{}, &router_, store_.get(), &executor_,
                &reads_, &clock_),
        users_(NewMemoryUserStore()),
        access_(users_.get(), &clock_),
        // Authentication is off: the inputs reach the request handlers.
        auth_(&access_, /*enabled=*/false),
        publisher_(&router_, &calls_, &auth_, /*max_stream_batches=*/8),
        admin_(&router_, &queues_, &access_, &executor_, &calls_, &auth_),
        subscriber_(&queues_, &calls_, &auth_,
                    /*max_response_bytes=*/1 << 20),
        health_({"evrouter.v1.Publisher", "evrouter.v1.Admin",
                 "evrouter.v1.Subscriber"}) {
    Check(router_.Load().ok() && queues_.Load().ok(), "cannot load state");
    health_.SetServing(true);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    builder.SetMaxReceiveMessageSize(4 << 20);
    builder.RegisterService(&publisher_);
    builder.RegisterService(&admin_);
    builder.RegisterService(&subscriber_);
    builder.RegisterService(&health_);
    server_ = builder.BuildAndStart();
    Check(server_ != nullptr && port != 0, "cannot start the server");
    std::shared_ptr<grpc::Channel> channel = grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
    generic_ = std::make_unique<grpc::GenericStub>(channel);
    admin_stub_ = v1::Admin::NewStub(channel);
    health_stub_ = grpc::health::v1::Health::NewStub(channel);
    Reset();
  }

  void Run(const uint8_t* data, size_t size) {
    if (size == 0) return;
    if (++inputs_ % kResetEvery == 0) Reset();
    const Method& method = kMethods[data[0] % kMethodCount];
    std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    if (method.stream) {
      RunStream(method, Split(rest));
    } else {
      if (method.request == Request::kFetch) rest = ShortenFetchWait(rest);
      RunUnary(method, rest);
    }
    CheckServing();
  }

 private:
  static std::vector<std::string> Split(const std::string& bytes) {
    std::vector<std::string> messages;
    size_t at = 0;
    while (at < bytes.size() && messages.size() < kMaxStreamMessages) {
      size_t length = static_cast<uint8_t>(bytes[at]);
      if (at + 1 < bytes.size())
        length |= size_t{static_cast<uint8_t>(bytes[at + 1])} << 8;
      at += 2;
      if (at > bytes.size()) at = bytes.size();
      length = std::min(length, bytes.size() - at);
      messages.push_back(bytes.substr(at, length));
      at += length;
    }
    return messages;
  }

  void RunUnary(const Method& method, const std::string& bytes) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    std::unique_ptr<grpc::GenericClientAsyncResponseReader> call =
        generic_->PrepareUnaryCall(&context, method.path, ToBuffer(bytes),
                                   &cq_);
    call->StartCall();
    grpc::ByteBuffer response;
    grpc::Status status;
    call->Finish(&response, &status, this);
    Await();
    CheckCode(status.error_code(), status.error_message(),
              ParsedByGrpc(method) && !Parses(method.request, bytes),
              method.path);
  }

  void RunStream(const Method& method,
                 const std::vector<std::string>& messages) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
        generic_->PrepareCall(&context, method.path, &cq_);
    call->StartCall(this);
    bool ok = Await();
    bool parses = true;
    // A server-streaming method takes exactly one request (gRPC itself
    // answers UNIMPLEMENTED to none).
    std::vector<std::string> requests = messages;
    if (method.request == Request::kHealth) requests.resize(1);
    for (size_t i = 0; ok && i < requests.size(); ++i) {
      parses = parses && Parses(method.request, requests[i]);
      call->Write(ToBuffer(requests[i]), this);
      ok = Await();
    }
    if (ok) {
      call->WritesDone(this);
      Await();
    }
    // Read until the server ends the stream, or cancel it once it is quiet
    // (streams that acknowledge themselves or watch health run until then).
    // Also after a failed write: Finish only completes once every message
    // the server sent has been read.
    ok = true;
    for (int reads = 0; ok; ++reads) {
      if (reads == kMaxStreamReads) context.TryCancel();
      grpc::ByteBuffer buffer;
      call->Read(&buffer, this);
      if (!AwaitFor(kStreamIdle, &ok)) {
        context.TryCancel();
        ok = Await();
      }
      if (ok && method.request == Request::kPublishStream)
        CheckAck(buffer, method.path);
    }
    grpc::Status status;
    call->Finish(&status, this);
    Await();
    CheckCode(status.error_code(), status.error_message(),
              ParsedByGrpc(method) && !parses, method.path);
  }

  // A rejected batch carries a code and a message like a call status.
  static void CheckAck(grpc::ByteBuffer& buffer, const char* path) {
    v1::PublishStreamResponse ack;
    grpc::Status parsed =
        grpc::SerializationTraits<v1::PublishStreamResponse>::Deserialize(
            &buffer, &ack);
    Check(parsed.ok(), "the server sent an unparseable PublishStream ack");
    if (ack.error_code() == 0) return;
    CheckCode(static_cast<StatusCode>(ack.error_code()), ack.error_message(),
              false, absl::StrCat(path, " batch ", ack.batch_id()));
  }

  // Waits for the one operation in flight; returns its `ok`.
  bool Await() {
    void* tag;
    bool ok = false;
    Check(cq_.Next(&tag, &ok), "the completion queue shut down");
    return ok;
  }

  // Like Await, but false when nothing completed within `idle`.
  bool AwaitFor(std::chrono::milliseconds idle, bool* ok) {
    void* tag;
    grpc::CompletionQueue::NextStatus next =
        cq_.AsyncNext(&tag, ok, std::chrono::system_clock::now() + idle);
    Check(next != grpc::CompletionQueue::SHUTDOWN,
          "the completion queue shut down");
    return next == grpc::CompletionQueue::GOT_EVENT;
  }

  void CheckServing() {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    grpc::health::v1::HealthCheckResponse response;
    grpc::Status status = health_stub_->Check(
        &context, grpc::health::v1::HealthCheckRequest(), &response);
    Check(status.ok() && response.status() ==
                             grpc::health::v1::HealthCheckResponse::SERVING,
          absl::StrCat("the server is not SERVING after the input: ",
                       status.error_code(), " ", status.error_message()));
  }

  // Deletes every exchange, then creates the ones the seeds name: exchanges
  // x (topic), d (direct) and f (fanout); queue q on x (every event) with
  // consumer c, queue qf on f; a few events in x.
  void Reset() {
    v1::ListExchangesResponse list;
    Admin([&](grpc::ClientContext* c) {
      return admin_stub_->ListExchanges(c, v1::ListExchangesRequest(), &list);
    });
    for (const v1::Exchange& exchange : list.exchanges()) {
      v1::DeleteExchangeRequest request;
      request.set_name(exchange.name());
      v1::DeleteExchangeResponse response;
      Admin([&](grpc::ClientContext* c) {
        return admin_stub_->DeleteExchange(c, request, &response);
      });
    }
    for (auto [name, kind] : {std::pair{"x", v1::EXCHANGE_KIND_TOPIC},
                              std::pair{"d", v1::EXCHANGE_KIND_DIRECT},
                              std::pair{"f", v1::EXCHANGE_KIND_FANOUT}}) {
      v1::CreateExchangeRequest request;
      request.set_name(name);
      request.set_kind(kind);
      v1::Exchange response;
      Admin([&](grpc::ClientContext* c) {
        return admin_stub_->CreateExchange(c, request, &response);
      });
    }
    for (auto [name, exchange, binding] :
         {std::tuple{"q", "x", "#"}, std::tuple{"qf", "f", ""}}) {
      v1::CreateQueueRequest request;
      request.set_name(name);
      request.set_exchange(exchange);
      if (*binding != '\0') request.add_bindings(binding);
      request.set_limit_size(16);
      v1::Queue response;
      Admin([&](grpc::ClientContext* c) {
        return admin_stub_->CreateQueue(c, request, &response);
      });
    }
    v1::CreateConsumerRequest consumer;
    consumer.set_queue("q");
    consumer.set_name("c");
    v1::Consumer created;
    Admin([&](grpc::ClientContext* c) {
      return admin_stub_->CreateConsumer(c, consumer, &created);
    });
    v1::PublishRequest publish;
    publish.set_exchange("x");
    for (const char* type : {"a.b", "a.c", "b"}) {
      v1::Event* event = publish.add_events();
      event->set_type(type);
      event->set_payload("p");
    }
    RunUnary(kMethods[0], publish.SerializeAsString());
  }

  template <typename Call>
  void Admin(Call call) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    grpc::Status status = call(&context);
    Check(status.ok(), "resetting the state failed: " + status.error_message());
  }

  core::SystemClock clock_;
  std::unique_ptr<EventStore> store_;
  core::ThreadPoolExecutor executor_;
  core::ThreadPoolExecutor reads_;
  core::Router router_;
  core::QueueManager queues_;
  transport::CallTracker calls_;
  std::unique_ptr<UserStore> users_;
  core::AccessControl access_;
  transport::CallAuth auth_;
  transport::PublisherService publisher_;
  transport::AdminService admin_;
  transport::SubscriberService subscriber_;
  transport::HealthService health_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::GenericStub> generic_;
  std::unique_ptr<v1::Admin::Stub> admin_stub_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_stub_;
  grpc::CompletionQueue cq_;
  int inputs_ = 0;
};

// Started once and never destroyed: the process ends with it.
Harness* harness = nullptr;

}  // namespace
}  // namespace evrouter::fuzz

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // Proto3 parsing logs an error for every string field that is not UTF-8.
  google::protobuf::SetLogHandler(nullptr);
  evrouter::fuzz::harness = new evrouter::fuzz::Harness();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  evrouter::fuzz::harness->Run(data, size);
  return 0;
}
