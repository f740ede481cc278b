// Subscription, Fetch and Ack of the client library, and the subscribe
// command's loop, against an in-process fake Subscriber (no evrouterd, no
// database).
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "client/cli/commands.h"
#include "client/cli/output_format.h"
#include "client/cli/subscribe_loop.h"
#include "client/evrouter_client.h"

namespace evrouter::client {
namespace {

using evrouter::v1::SubscribeRequest;
using evrouter::v1::SubscribeResponse;
using evrouter::v1::SubscribeStart;

constexpr absl::Duration kAwait = absl::Seconds(10);

evrouter::v1::Event MakeEvent(uint64_t offset) {
  evrouter::v1::Event event;
  event.set_id(absl::StrCat("id-", offset));
  event.set_type("t");
  event.set_payload(absl::StrCat("p", offset));
  event.set_exchange("orders");
  event.set_offset(offset);
  return event;
}

// Every stream: reads the start, sends the events 1..5 in batches [1 2]
// [3 4] [5] and a caught_up-only response, records the acks until the
// client half-closes, then ends with OK. Consumer "busy" is refused;
// consumer "stubborn" ignores the half-close until the test ends.
class FakeSubscriber final : public evrouter::v1::Subscriber::Service {
 public:
  grpc::Status Subscribe(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<SubscribeResponse, SubscribeRequest>* stream)
      override {
    SubscribeRequest request;
    if (!stream->Read(&request) || !request.has_start()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "the first request must be start");
    }
    const SubscribeStart start = request.start();
    {
      absl::MutexLock lock(&mu_);
      starts_.push_back(start);
    }
    if (start.consumer() == "busy") {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          "consumer \"busy\" is ACTIVE");
    }
    if (start.consumer() == "expiring") return Expiring(start, stream);
    for (const std::vector<uint64_t>& batch :
         std::vector<std::vector<uint64_t>>{{1, 2}, {3, 4}, {5}}) {
      SubscribeResponse response;
      for (uint64_t offset : batch) *response.add_events() = MakeEvent(offset);
      stream->Write(response);
    }
    SubscribeResponse caught_up;
    caught_up.set_caught_up(true);
    stream->Write(caught_up);
    while (stream->Read(&request)) {
      if (!request.has_ack()) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                            "only acks follow the start");
      }
      absl::MutexLock lock(&mu_);
      acks_.push_back(request.ack().offset());
    }
    {
      absl::MutexLock lock(&mu_);
      half_closed_ = true;
    }
    if (start.consumer() == "stubborn") {
      release_.WaitForNotificationWithTimeout(absl::Seconds(60));
    }
    return grpc::Status::OK;
  }

  // Consumer "expiring": the first stream delivers 1 and 2 and then runs
  // into the client's deadline; the next one delivers 3 and ends with OK.
  grpc::Status Expiring(
      const SubscribeStart& start,
      grpc::ServerReaderWriter<SubscribeResponse, SubscribeRequest>* stream) {
    bool first;
    {
      absl::MutexLock lock(&mu_);
      first = expiring_streams_++ == 0;
    }
    SubscribeResponse response;
    if (first) {
      *response.add_events() = MakeEvent(1);
      *response.add_events() = MakeEvent(2);
      stream->Write(response);
      SubscribeRequest request;
      while (stream->Read(&request)) {  // until the deadline cancels it
        absl::MutexLock lock(&mu_);
        acks_.push_back(request.ack().offset());
      }
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline");
    }
    if (start.position() != evrouter::v1::START_POSITION_RESUME) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "not RESUME");
    }
    *response.add_events() = MakeEvent(3);
    stream->Write(response);
    return grpc::Status::OK;
  }

  // One event whose offset is the milliseconds left until the deadline and
  // whose source is the requested wait.
  grpc::Status Fetch(grpc::ServerContext* context,
                     const evrouter::v1::FetchRequest* request,
                     evrouter::v1::FetchResponse* response) override {
    if (request->queue() == "missing") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no queue missing");
    }
    evrouter::v1::Event* event = response->add_events();
    event->set_offset(static_cast<uint64_t>(absl::ToInt64Milliseconds(
        absl::FromChrono(context->deadline()) - absl::Now())));
    event->set_source(absl::StrCat(request->wait().seconds(), "s",
                                   request->wait().nanos(), "n"));
    event->set_type(absl::StrCat(request->queue(), "/", request->consumer(),
                                 "/", request->max_events()));
    return grpc::Status::OK;
  }

  grpc::Status Ack(grpc::ServerContext*,
                   const evrouter::v1::AckRequest* request,
                   evrouter::v1::AckResponse* response) override {
    absl::MutexLock lock(&mu_);
    committed_ = std::max(committed_, request->offset());
    response->set_committed_offset(committed_);
    return grpc::Status::OK;
  }

  std::vector<uint64_t> acks() {
    absl::MutexLock lock(&mu_);
    return acks_;
  }
  std::vector<SubscribeStart> starts() {
    absl::MutexLock lock(&mu_);
    return starts_;
  }
  bool half_closed() {
    absl::MutexLock lock(&mu_);
    return half_closed_;
  }

  // Waits (up to kAwait) until `offset` was acknowledged.
  bool AwaitAck(uint64_t offset) {
    absl::MutexLock lock(&mu_);
    auto acked = [this, offset]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return std::find(acks_.begin(), acks_.end(), offset) != acks_.end();
    };
    return mu_.AwaitWithTimeout(absl::Condition(&acked), kAwait);
  }

  // Waits (up to kAwait) for a half-close.
  bool AwaitHalfClose() {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&half_closed_), kAwait);
  }

  void Release() {
    if (!release_.HasBeenNotified()) release_.Notify();
  }

 private:
  absl::Mutex mu_;
  std::vector<SubscribeStart> starts_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> acks_ ABSL_GUARDED_BY(mu_);
  bool half_closed_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t committed_ ABSL_GUARDED_BY(mu_) = 0;
  int expiring_streams_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Notification release_;
};

class SubscriptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&subscriber_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    ClientOptions options;
    options.server = absl::StrCat("127.0.0.1:", port);
    port_ = port;
    options.timeout = absl::Seconds(5);
    options.stream_timeout = absl::Seconds(30);
    client_ = std::make_unique<Client>(options);
  }

  void TearDown() override {
    subscriber_.Release();
    if (server_) server_->Shutdown();
  }

  static SubscribeStart Start(std::string consumer) {
    SubscribeStart start;
    start.set_queue("q1");
    start.set_consumer(std::move(consumer));
    return start;
  }

  static std::vector<uint64_t> Offsets(const SubscribeResponse& response) {
    std::vector<uint64_t> offsets;
    for (const evrouter::v1::Event& e : response.events()) {
      offsets.push_back(e.offset());
    }
    return offsets;
  }

  // The text lines FormatEvent prints for offsets first..last.
  static std::string Lines(uint64_t first, uint64_t last, bool json) {
    std::string out;
    for (uint64_t offset = first; offset <= last; ++offset) {
      absl::StrAppend(&out, cli::FormatEvent(MakeEvent(offset), json));
    }
    return out;
  }

  FakeSubscriber subscriber_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Client> client_;
  int port_ = 0;
};

TEST_F(SubscriptionTest, DeliversBatchesAndEndsAfterHalfClose) {
  SubscribeStart start = Start("c1");
  start.set_position(evrouter::v1::START_POSITION_OFFSET);
  start.set_offset(1);
  start.set_max_in_flight(7);
  start.set_takeover(true);
  std::unique_ptr<Subscription> subscription = client_->Subscribe(start);
  for (const std::vector<uint64_t>& want :
       std::vector<std::vector<uint64_t>>{{1, 2}, {3, 4}, {5}}) {
    absl::StatusOr<SubscribeResponse> response = subscription->Next();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(Offsets(*response), want);
    EXPECT_FALSE(response->caught_up());
  }
  absl::StatusOr<SubscribeResponse> caught_up = subscription->Next();
  ASSERT_TRUE(caught_up.ok()) << caught_up.status();
  EXPECT_TRUE(caught_up->caught_up());
  EXPECT_EQ(caught_up->events_size(), 0);
  EXPECT_TRUE(subscription->Ack(2).ok());
  EXPECT_TRUE(subscription->Ack(5).ok());
  subscription->HalfClose();
  subscription->HalfClose();  // idempotent
  EXPECT_EQ(subscription->Next().status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(subscription->Next().status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(subscription->Ack(5).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(subscription->Close().ok());
  EXPECT_EQ(subscriber_.acks(), (std::vector<uint64_t>{2, 5}));
  EXPECT_TRUE(subscriber_.half_closed());
  const std::vector<SubscribeStart> starts = subscriber_.starts();
  ASSERT_EQ(starts.size(), 1u);
  const SubscribeStart& got = starts[0];
  EXPECT_EQ(got.queue(), "q1");
  EXPECT_EQ(got.consumer(), "c1");
  EXPECT_EQ(got.position(), evrouter::v1::START_POSITION_OFFSET);
  EXPECT_EQ(got.offset(), 1u);
  EXPECT_EQ(got.max_in_flight(), 7u);
  EXPECT_TRUE(got.takeover());
}

TEST_F(SubscriptionTest, CloseDropsTheRestAndReturnsOk) {
  std::unique_ptr<Subscription> subscription = client_->Subscribe(Start("c1"));
  ASSERT_TRUE(subscription->Next().ok());
  ASSERT_TRUE(subscription->Ack(2).ok());
  EXPECT_TRUE(subscription->Close().ok());
  EXPECT_EQ(subscriber_.acks(), (std::vector<uint64_t>{2}));
  EXPECT_EQ(subscription->Next().status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST_F(SubscriptionTest, RefusedStartIsTheNextError) {
  std::unique_ptr<Subscription> subscription =
      client_->Subscribe(Start("busy"));
  absl::StatusOr<SubscribeResponse> response = subscription->Next();
  EXPECT_EQ(response.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(response.status().message(), "consumer \"busy\" is ACTIVE");
  EXPECT_EQ(subscription->Close().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(SubscriptionTest, CancelFromAnotherThreadEndsABlockedNext) {
  std::unique_ptr<Subscription> subscription = client_->Subscribe(Start("c1"));
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(subscription->Next().ok());
  absl::Status blocked;
  std::thread reader([&] { blocked = subscription->Next().status(); });
  subscription->Cancel();
  reader.join();
  EXPECT_EQ(blocked.code(), absl::StatusCode::kCancelled);
}

TEST_F(SubscriptionTest, DestroyingAnOpenSubscriptionCancelsIt) {
  std::unique_ptr<Subscription> subscription = client_->Subscribe(Start("c1"));
  ASSERT_TRUE(subscription->Next().ok());
  subscription.reset();  // must not block
  EXPECT_TRUE(subscriber_.acks().empty());
}

TEST_F(SubscriptionTest, FetchDeadlineIsExtendedByTheWait) {
  absl::StatusOr<std::vector<evrouter::v1::Event>> events =
      client_->Fetch("q1", "c1", 10, absl::Seconds(30) + absl::Milliseconds(5));
  ASSERT_TRUE(events.ok()) << events.status();
  ASSERT_EQ(events->size(), 1u);
  const evrouter::v1::Event& echo = (*events)[0];
  EXPECT_EQ(echo.source(), "30s5000000n");
  EXPECT_EQ(echo.type(), "q1/c1/10");
  // timeout (5 s) + wait (30 s), minus the time the call took; gRPC rounds
  // the timeout it sends up to a coarser unit.
  EXPECT_GT(echo.offset(), 30000u);
  EXPECT_LE(echo.offset(), 36000u);
  EXPECT_EQ(
      client_->Fetch("missing", "c1", 0, absl::ZeroDuration()).status().code(),
      absl::StatusCode::kNotFound);
}

TEST_F(SubscriptionTest, AckReturnsTheCommittedOffset) {
  absl::StatusOr<uint64_t> committed = client_->Ack("q1", "c1", 5);
  ASSERT_TRUE(committed.ok()) << committed.status();
  EXPECT_EQ(*committed, 5u);
  committed = client_->Ack("q1", "c1", 3);
  ASSERT_TRUE(committed.ok()) << committed.status();
  EXPECT_EQ(*committed, 5u);
}

using SubscribeLoopTest = SubscriptionTest;

TEST_F(SubscribeLoopTest, LimitPrintsAndAcksExactlyUpToTheNthEvent) {
  const struct {
    uint64_t limit;
    std::vector<uint64_t> acks;
  } cases[] = {{1, {1}}, {2, {2}}, {3, {2, 3}}, {5, {2, 4, 5}}, {6, {2, 4, 5}}};
  for (const auto& c : cases) {
    SCOPED_TRACE(absl::StrCat("limit ", c.limit));
    const std::string consumer = absl::StrCat("c", c.limit);
    std::unique_ptr<Subscription> subscription =
        client_->Subscribe(Start(consumer));
    // With limit 6 only the idle wait ends it.
    cli::SubscribeLoop loop(
        *subscription,
        {.limit = c.limit, .idle_wait = absl::Milliseconds(200)});
    std::ostringstream out, err;
    ASSERT_TRUE(loop.Run(out, err).ok());
    EXPECT_EQ(out.str(), Lines(1, std::min<uint64_t>(c.limit, 5), false));
    ASSERT_TRUE(subscriber_.AwaitHalfClose());
  }
  // Every stream's acks, in stream order.
  std::vector<uint64_t> want;
  for (const auto& c : cases) {
    want.insert(want.end(), c.acks.begin(), c.acks.end());
  }
  EXPECT_EQ(subscriber_.acks(), want);
}

TEST_F(SubscribeLoopTest, IdleWaitEndsAfterAckingEveryBatch) {
  std::unique_ptr<Subscription> subscription = client_->Subscribe(Start("c1"));
  cli::SubscribeLoop loop(*subscription,
                          {.idle_wait = absl::Milliseconds(200)});
  std::ostringstream out, err;
  ASSERT_TRUE(loop.Run(out, err).ok());
  EXPECT_EQ(out.str(), Lines(1, 5, false));
  EXPECT_EQ(err.str(), "caught up at offset 5\n");
  EXPECT_EQ(subscriber_.acks(), (std::vector<uint64_t>{2, 4, 5}));
  EXPECT_TRUE(subscriber_.half_closed());
}

TEST_F(SubscribeLoopTest, JsonPrintsEventsOnlyAndNoCaughtUpNote) {
  std::unique_ptr<Subscription> subscription = client_->Subscribe(Start("c1"));
  cli::SubscribeLoop loop(*subscription,
                          {.json = true, .idle_wait = absl::Milliseconds(200)});
  std::ostringstream out, err;
  ASSERT_TRUE(loop.Run(out, err).ok());
  EXPECT_EQ(out.str(), Lines(1, 5, true));
  EXPECT_NE(out.str().find("\"offset\":\"5\""), std::string::npos);
  EXPECT_EQ(err.str(), "");
}

TEST_F(SubscribeLoopTest, StopEndsGracefullyOnceTheAcksAreSent) {
  std::unique_ptr<Subscription> subscription = client_->Subscribe(Start("c1"));
  cli::SubscribeLoop loop(*subscription, {});
  std::ostringstream out, err;
  absl::Status status = absl::UnknownError("not run");
  std::thread runner([&] { status = loop.Run(out, err); });
  ASSERT_TRUE(subscriber_.AwaitAck(5));
  loop.Stop();
  runner.join();
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(out.str(), Lines(1, 5, false));
  EXPECT_TRUE(subscriber_.half_closed());
}

TEST_F(SubscribeLoopTest, StreamErrorIsReturned) {
  std::unique_ptr<Subscription> subscription =
      client_->Subscribe(Start("busy"));
  cli::SubscribeLoop loop(*subscription, {.limit = 1});
  std::ostringstream out, err;
  const absl::Status status = loop.Run(out, err);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(out.str(), "");
}

TEST_F(SubscribeLoopTest, ServerIgnoringTheHalfCloseIsCancelledAfterGrace) {
  std::unique_ptr<Subscription> subscription =
      client_->Subscribe(Start("stubborn"));
  cli::SubscribeLoop loop(*subscription,
                          {.limit = 1, .close_grace = absl::Milliseconds(200)});
  std::ostringstream out, err;
  const absl::Status status = loop.Run(out, err);
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_EQ(out.str(), Lines(1, 1, false));
  EXPECT_EQ(subscriber_.acks(), (std::vector<uint64_t>{1}));
}

TEST_F(SubscribeLoopTest, StopIsIdempotentAndStopsBeforeRun) {
  std::unique_ptr<Subscription> subscription = client_->Subscribe(Start("c1"));
  cli::SubscribeLoop loop(*subscription, {});
  loop.Stop();
  loop.Stop();
  std::ostringstream out, err;
  EXPECT_TRUE(loop.Run(out, err).ok());
  EXPECT_TRUE(subscriber_.half_closed());
  // Whatever was printed before the half-close was acknowledged.
  const std::string printed_lines = out.str();
  const uint64_t printed =
      std::count(printed_lines.begin(), printed_lines.end(), '\n');
  EXPECT_EQ(out.str(), Lines(1, printed, false));
  const std::vector<uint64_t> acks = subscriber_.acks();
  EXPECT_EQ(acks.empty() ? 0 : acks.back(), printed);
}

TEST_F(SubscribeLoopTest, StopWaitsAtMostTheGrace) {
  std::unique_ptr<Subscription> subscription =
      client_->Subscribe(Start("stubborn"));
  cli::SubscribeLoop loop(*subscription,
                          {.close_grace = absl::Milliseconds(200)});
  std::ostringstream out, err;
  absl::Status status;
  std::thread runner([&] { status = loop.Run(out, err); });
  ASSERT_TRUE(subscriber_.AwaitAck(5));
  loop.Stop();
  loop.Stop();
  runner.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_TRUE(subscriber_.half_closed());
}

TEST_F(SubscribeLoopTest, EndlessSubscribeResumesAfterTheStreamDeadline) {
  ClientOptions options;
  options.server = absl::StrCat("127.0.0.1:", port_);
  options.stream_timeout = absl::Seconds(1);
  Client client(options);
  cli::CliArgs args;
  args.command = cli::Command::kSubscribe;
  args.start = Start("expiring");
  args.start.set_position(evrouter::v1::START_POSITION_EARLIEST);
  std::istringstream in;
  std::ostringstream out, err;
  EXPECT_EQ(cli::RunCommand(args, client, in, out, err), cli::kExitOk)
      << err.str();
  EXPECT_EQ(out.str(), Lines(1, 3, false));
  std::vector<SubscribeStart> starts = subscriber_.starts();
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[0].position(), evrouter::v1::START_POSITION_EARLIEST);
  EXPECT_EQ(starts[1].position(), evrouter::v1::START_POSITION_RESUME);
  EXPECT_TRUE(subscriber_.AwaitAck(2));
}

}  // namespace
}  // namespace evrouter::client
