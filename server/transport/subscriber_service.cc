#include "server/transport/subscriber_service.h"

#include <grpcpp/alarm.h>

#include <deque>
#include <memory>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/transport/convert.h"
#include "server/transport/event_wire.h"
#include "server/transport/parsing_unary_handler.h"
#include "server/transport/request_parser.h"
#include "server/transport/status.h"
#include "server/transport/tracked_unary_reactor.h"

namespace evrouter::transport {
namespace {

constexpr absl::Duration kMaxFetchWait = absl::Seconds(60);
constexpr uint32_t kDefaultFetchEvents = 100;
constexpr uint32_t kMaxFetchEvents = 10000;

absl::StatusOr<core::SubscribeSpec::Position> ToPosition(
    v1::StartPosition position) {
  // proto3 keeps numbers it does not know: those end up in `default`.
  switch (position) {
    case v1::START_POSITION_RESUME:
      return core::SubscribeSpec::Position::kResume;
    case v1::START_POSITION_EARLIEST:
      return core::SubscribeSpec::Position::kEarliest;
    case v1::START_POSITION_LATEST:
      return core::SubscribeSpec::Position::kLatest;
    case v1::START_POSITION_OFFSET:
      return core::SubscribeSpec::Position::kOffset;
    case v1::START_POSITION_TIME:
      return core::SubscribeSpec::Position::kTime;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "start.position: ", static_cast<int>(position),
          " is not a known StartPosition (START_POSITION_RESUME, _EARLIEST, "
          "_LATEST, _OFFSET or _TIME)"));
  }
}

absl::StatusOr<core::SubscribeSpec> ToSubscribeSpec(
    const v1::SubscribeStart& start) {
  core::SubscribeSpec spec;
  spec.field_prefix = "start.";
  spec.queue = start.queue();
  spec.consumer = start.consumer();
  absl::StatusOr<core::SubscribeSpec::Position> position =
      ToPosition(start.position());
  if (!position.ok()) return position.status();
  spec.position = *position;
  // A field the position does not read is a mistake (most often a forgotten
  // position), not something to ignore.
  if (start.offset() != 0 &&
      spec.position != core::SubscribeSpec::Position::kOffset) {
    return absl::InvalidArgumentError(
        "start.offset: only with START_POSITION_OFFSET");
  }
  if (start.has_time() &&
      spec.position != core::SubscribeSpec::Position::kTime) {
    return absl::InvalidArgumentError(
        "start.time: only with START_POSITION_TIME");
  }
  spec.offset = start.offset();
  if (spec.position == core::SubscribeSpec::Position::kTime) {
    if (!start.has_time()) {
      return absl::InvalidArgumentError(
          "start.time: required for START_POSITION_TIME");
    }
    absl::StatusOr<absl::Time> time = FromProto(start.time(), "start.time");
    if (!time.ok()) return time.status();
    spec.time = *time;
  }
  spec.max_in_flight = start.max_in_flight();
  spec.takeover = start.takeover();
  return spec;
}

}  // namespace

// One Subscribe stream. The first request attaches a subscription; then the
// reactor alternates between asking it for a delivery and writing that
// delivery (split into responses of bounded size), while acks are read
// concurrently and handed to the subscription, which releases credit. It
// deletes itself once gRPC is done with it and no callback of the
// subscription is outstanding.
//
// The method is registered raw (ByteBuffer in and out): requests are parsed
// here, and responses are written straight from the events in wire format
// (event_wire.h), with no v1::Event in between.
class SubscriberService::StreamReactor final
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>,
      public SubscriberService::Endable {
 public:
  // `caller` is the authenticated caller, or why there is none.
  StreamReactor(SubscriberService* service, std::string connection,
                absl::StatusOr<core::Caller> caller)
      : service_(service),
        connection_(std::move(connection)),
        caller_(caller.ok() ? *std::move(caller) : core::Caller{}),
        admission_(caller.ok() ? service->calls_->EnterStream(connection_)
                               : caller.status()) {
    if (!admission_.ok()) {
      absl::MutexLock lock(&mu_);
      EndLocked(ToGrpcStatus(admission_));
      return;
    }
    service_->Register(this);
    StartRead(&read_buffer_);
  }

  void End() override {
    EndWith(grpc::Status(grpc::StatusCode::UNAVAILABLE, kShuttingDown));
  }

  void Recheck(const CallAuth& auth) override {
    std::optional<std::string> queue;
    {
      absl::MutexLock lock(&mu_);
      queue = queue_;
    }
    absl::Status allowed =
        queue.has_value() ? auth.Authorize(caller_, SubscribeAccess(*queue))
                          : auth.Verify(caller_);
    if (!allowed.ok()) EndWith(ToGrpcStatus(allowed));
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client half-closed, or the stream broke
      bool keep_going;
      {
        absl::MutexLock lock(&mu_);
        // Without acks to wait for, a half-closed stream keeps delivering
        // (a broken one is cancelled: OnCancel ends it).
        keep_going = auto_ack_ && subscription_ != nullptr;
      }
      if (!keep_going) EndWith(grpc::Status::OK);
      return;
    }
    absl::Status parsed = ParseRequest(read_buffer_, &request_);
    read_buffer_.Clear();
    if (!parsed.ok()) {
      EndWith(ToGrpcStatus(parsed));
      return;
    }
    switch (request_.request_case()) {
      case v1::SubscribeRequest::kStart:
        OnStart();
        return;
      case v1::SubscribeRequest::kAck:
        OnAck(request_.ack().offset());
        return;
      default:
        EndWith(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                             "request: set start or ack"));
        return;
    }
  }

  void OnWriteDone(bool ok) override {
    bool next = false;
    uint64_t auto_ack = 0;
    std::shared_ptr<core::Subscription> subscription;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!ok) {
        EndLocked(grpc::Status(grpc::StatusCode::CANCELLED,
                               "stream broken while writing events"));
      } else if (!writes_.empty()) {
        const PendingResponse& written = writes_.front();
        if (auto_ack_ && written.last_offset > 0) {
          auto_ack = written.last_offset;
          subscription = subscription_;
        }
        writes_.pop_front();
      }
      if (!final_.has_value() && writes_.empty()) {
        next = true;
        ++refs_;
      }
      WriteNextLocked();
      MaybeFinishLocked();
    }
    // Before the next delivery is asked for, so the credit is back.
    if (auto_ack > 0) subscription->Ack(auto_ack).IgnoreError();
    if (next) RequestNext();
    if (!ok) CloseSubscription();
  }

  void OnCancel() override {
    {
      absl::MutexLock lock(&mu_);
      EndLocked(grpc::Status::CANCELLED);
    }
    CloseSubscription();
  }

  void OnDone() override {
    if (admission_.ok()) {
      service_->Forget(this);
      service_->calls_->LeaveStream(connection_);
    }
    CloseSubscription();
    Unref();
  }

 private:
  void OnStart() {
    bool duplicate;
    {
      absl::MutexLock lock(&mu_);
      duplicate = started_;
      if (!duplicate) {
        started_ = true;
        auto_ack_ = request_.start().auto_ack();
        ++refs_;  // held by the Subscribe callback
      }
    }
    if (duplicate) {
      EndWith(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                           "start: only the first request may be start"));
      return;
    }
    const std::string& queue = request_.start().queue();
    if (absl::Status allowed =
            service_->auth_->Authorize(caller_, SubscribeAccess(queue));
        !allowed.ok()) {
      OnSubscribed(allowed);
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      queue_ = queue;  // from now on RecheckAccess checks the queue
    }
    absl::StatusOr<core::SubscribeSpec> spec =
        ToSubscribeSpec(request_.start());
    if (!spec.ok()) {
      OnSubscribed(spec.status());
      return;
    }
    service_->queues_->Subscribe(
        *std::move(spec),
        [this](absl::StatusOr<std::shared_ptr<core::Subscription>> result) {
          OnSubscribed(std::move(result));
        });
  }

  void OnSubscribed(
      absl::StatusOr<std::shared_ptr<core::Subscription>> result) {
    bool close = false;
    bool next = false;
    {
      absl::MutexLock lock(&mu_);
      if (!result.ok()) {
        EndLocked(ToGrpcStatus(result.status()));
      } else {
        subscription_ = *result;
        if (final_.has_value()) {
          close = true;  // ended while attaching
        } else {
          StartRead(&read_buffer_);  // acks from now on
          next = true;
          ++refs_;
        }
      }
    }
    if (close) CloseSubscription();
    if (next) RequestNext();
    Unref();
  }

  void OnAck(uint64_t offset) {
    std::shared_ptr<core::Subscription> subscription;
    {
      absl::MutexLock lock(&mu_);
      subscription = subscription_;
    }
    if (subscription == nullptr) {
      EndWith(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                           "request: the first request must be start"));
      return;
    }
    // Outside the lock: a freed credit may deliver inline.
    absl::Status status = subscription->Ack(offset);
    if (!status.ok()) {
      EndWith(ToGrpcStatus(status));
      return;
    }
    absl::MutexLock lock(&mu_);
    if (final_.has_value()) return;
    StartRead(&read_buffer_);
  }

  // Caller holds a ref for the delivery callback.
  void RequestNext() {
    std::shared_ptr<core::Subscription> subscription;
    {
      absl::MutexLock lock(&mu_);
      subscription = subscription_;
    }
    subscription->Next([this](absl::StatusOr<core::Delivery> delivery) {
      OnDelivery(std::move(delivery));
    });
  }

  void OnDelivery(absl::StatusOr<core::Delivery> delivery) {
    {
      absl::MutexLock lock(&mu_);
      if (!delivery.ok()) {
        EndLocked(ToGrpcStatus(delivery.status()));
      } else if (!final_.has_value()) {
        QueueResponsesLocked(*delivery);
        WriteNextLocked();
      }
      MaybeFinishLocked();
    }
    // Ended by the subscription (takeover, deletion, a failed read): it is
    // detached already; this lets the stream finish.
    if (!delivery.ok()) CloseSubscription();
    Unref();
  }

  void QueueResponsesLocked(const core::Delivery& delivery)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const std::string& exchange = subscription_->exchange();
    SubscribeResponseBuilder response;
    for (const std::shared_ptr<const Event>& event : delivery.events) {
      if (response.events() > 0 && response.bytes() + event->payload.size() >
                                       service_->max_response_bytes_) {
        PushResponseLocked(response);
      }
      response.AddEvent(*event, exchange);
    }
    if (delivery.caught_up) response.SetCaughtUp();
    PushResponseLocked(response);
  }

  void PushResponseLocked(SubscribeResponseBuilder& response)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const uint64_t last_offset = response.last_offset();
    writes_.push_back({response.Release(), last_offset});
  }

  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finishing_ || final_.has_value() || writes_.empty()) return;
    writing_ = true;
    StartWrite(&writes_.front().bytes);
  }

  // Ends the stream with `status` (the first reason wins) once no write is
  // outstanding.
  void EndLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!final_.has_value()) final_ = std::move(status);
    // Unsent responses are dropped; the one being written completes.
    while (writes_.size() > (writing_ ? 1u : 0u)) writes_.pop_back();
    MaybeFinishLocked();
  }

  void EndWith(grpc::Status status) {
    {
      absl::MutexLock lock(&mu_);
      EndLocked(std::move(status));
    }
    CloseSubscription();
  }

  // Finishes once the stream should end, no write is outstanding and the
  // consumer is detached: a client that sees the end can subscribe again at
  // once without finding its consumer still ACTIVE.
  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finishing_ || writing_ || !final_.has_value()) return;
    if (subscription_ != nullptr && !detached_) return;
    finishing_ = true;
    Finish(*final_);
  }

  // Detaches the subscription (idempotent); every path that ends the stream
  // calls it.
  void CloseSubscription() {
    std::shared_ptr<core::Subscription> subscription;
    {
      absl::MutexLock lock(&mu_);
      subscription = subscription_;
    }
    if (subscription == nullptr) return;
    subscription->Close();
    absl::MutexLock lock(&mu_);
    detached_ = true;
    MaybeFinishLocked();
  }

  void Unref() {
    bool last;
    {
      absl::MutexLock lock(&mu_);
      last = --refs_ == 0;
    }
    if (last) delete this;
  }

  SubscriberService* const service_;
  const std::string connection_;  // the peer: its streams are counted
  const core::Caller caller_;
  const absl::Status admission_;  // or why the caller was not authenticated
  grpc::ByteBuffer read_buffer_;  // one read in flight
  v1::SubscribeRequest request_;  // the last one read, parsed

  struct PendingResponse {
    grpc::ByteBuffer bytes;  // a SubscribeResponse
    uint64_t last_offset;    // of its last event, 0 when it has none
  };

  absl::Mutex mu_;
  std::shared_ptr<core::Subscription> subscription_ ABSL_GUARDED_BY(mu_);
  // The queue of the start request, once it was authorized.
  std::optional<std::string> queue_ ABSL_GUARDED_BY(mu_);
  std::deque<PendingResponse> writes_ ABSL_GUARDED_BY(mu_);
  std::optional<grpc::Status> final_ ABSL_GUARDED_BY(mu_);
  int refs_ ABSL_GUARDED_BY(mu_) = 1;  // gRPC's, plus outstanding callbacks
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool auto_ack_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  bool detached_ ABSL_GUARDED_BY(mu_) = false;
};

// One Fetch: attaches a subscription for the call, takes one delivery
// (waiting up to `wait` for live events), and detaches.
class SubscriberService::FetchReactor final
    : public grpc::ServerUnaryReactor,
      public SubscriberService::Endable {
 public:
  // `caller` was authorized for the request's queue.
  FetchReactor(SubscriberService* service, v1::FetchResponse* response,
               std::string connection, core::Caller caller)
      : service_(service),
        response_(response),
        connection_(std::move(connection)),
        caller_(std::move(caller)),
        admission_(service->calls_->EnterStream(connection_)) {}

  void Start(const v1::FetchRequest& request) {
    if (!admission_.ok()) {
      Finish(ToGrpcStatus(admission_));
      return;
    }
    service_->Register(this);
    uint32_t max_events = request.max_events();
    if (max_events == 0) max_events = kDefaultFetchEvents;
    if (absl::Status status =
            core::ValidateAtMost("max_events", max_events, kMaxFetchEvents);
        !status.ok()) {
      Finish(ToGrpcStatus(status));
      return;
    }
    absl::StatusOr<absl::Duration> wait =
        FromProto(request.wait(), kMaxFetchWait, "wait");
    if (!wait.ok()) {
      Finish(ToGrpcStatus(wait.status()));
      return;
    }
    wait_ = *wait;
    queue_ = request.queue();
    core::SubscribeSpec spec;
    spec.queue = request.queue();
    spec.consumer = request.consumer();
    spec.max_in_flight = max_events;
    spec.report_caught_up = false;
    {
      absl::MutexLock lock(&mu_);
      ++refs_;
    }
    service_->queues_->Subscribe(
        std::move(spec),
        [this](absl::StatusOr<std::shared_ptr<core::Subscription>> result) {
          OnSubscribed(std::move(result));
        });
  }

  void End() override { Wake(); }
  void OnCancel() override { Wake(); }

  void Recheck(const CallAuth& auth) override {
    absl::Status allowed = auth.Authorize(caller_, SubscribeAccess(queue_));
    if (allowed.ok()) return;
    {
      absl::MutexLock lock(&mu_);
      denied_ = std::move(allowed);
    }
    Wake();
  }

  void OnDone() override {
    if (admission_.ok()) {
      service_->Forget(this);
      service_->calls_->LeaveStream(connection_);
    }
    Unref();
  }

 private:
  void OnSubscribed(
      absl::StatusOr<std::shared_ptr<core::Subscription>> result) {
    if (!result.ok()) {
      Finish(ToGrpcStatus(result.status()));
      Unref();
      return;
    }
    std::shared_ptr<core::Subscription> subscription = *result;
    bool woken;
    {
      absl::MutexLock lock(&mu_);
      subscription_ = subscription;
      woken = woken_;
      ++refs_;  // the delivery callback
      if (wait_ > absl::ZeroDuration() && !woken) {
        ++refs_;  // the alarm callback
        alarm_set_ = true;
        alarm_.Set(absl::ToChronoTime(absl::Now() + wait_),
                   [this](bool /*fired*/) {
                     Wake();
                     Unref();
                   });
      }
    }
    subscription->Next([this](absl::StatusOr<core::Delivery> delivery) {
      OnDelivery(std::move(delivery));
    });
    if (wait_ == absl::ZeroDuration() || woken) subscription->Wake();
    Unref();
  }

  void Wake() {
    std::shared_ptr<core::Subscription> subscription;
    {
      absl::MutexLock lock(&mu_);
      woken_ = true;
      subscription = subscription_;
    }
    if (subscription) subscription->Wake();
  }

  void OnDelivery(absl::StatusOr<core::Delivery> delivery) {
    std::shared_ptr<core::Subscription> subscription;
    bool alarm_set;
    {
      absl::MutexLock lock(&mu_);
      subscription = subscription_;
      alarm_set = alarm_set_;
    }
    if (alarm_set) alarm_.Cancel();
    subscription->Close();  // the consumer sleeps again, nothing committed
    absl::Status denied;
    {
      absl::MutexLock lock(&mu_);
      denied = denied_;
    }
    if (!denied.ok()) {  // access was taken away while it waited
      Finish(ToGrpcStatus(denied));
      Unref();
      return;
    }
    if (delivery.ok()) {
      for (const std::shared_ptr<const Event>& event : delivery->events)
        ToProto(*event, subscription->exchange(), response_->add_events());
    }
    Finish(ToGrpcStatus(delivery.status()));
    Unref();
  }

  void Unref() {
    bool last;
    {
      absl::MutexLock lock(&mu_);
      last = --refs_ == 0;
    }
    if (last) delete this;
  }

 private:
  SubscriberService* const service_;
  v1::FetchResponse* const response_;
  const std::string connection_;  // the peer: its streams are counted
  const core::Caller caller_;
  const absl::Status admission_;
  absl::Duration wait_;
  std::string queue_;  // set by Start, before Register
  grpc::Alarm alarm_;

  absl::Mutex mu_;
  std::shared_ptr<core::Subscription> subscription_ ABSL_GUARDED_BY(mu_);
  int refs_ ABSL_GUARDED_BY(mu_) = 1;  // gRPC's, plus outstanding callbacks
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  bool alarm_set_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status denied_ ABSL_GUARDED_BY(mu_);  // set by Recheck
};

SubscriberService::SubscriberService(core::QueueManager* queues,
                                     CallTracker* calls, CallAuth* auth,
                                     size_t max_response_bytes)
    : queues_(queues),
      calls_(calls),
      auth_(auth),
      max_response_bytes_(max_response_bytes) {
  const char* const service = v1::Subscriber::service_full_name();
  for (auto [index, handler] : {
           ParsingUnaryMethod(
               this, auth, service, "Fetch", &SubscriberService::Fetch,
               +[](const v1::FetchRequest& request) {
                 return SubscribeAccess(request.queue());
               }),
           ParsingUnaryMethod(
               this, auth, service, "Ack", &SubscriberService::Ack,
               +[](const v1::AckRequest& request) {
                 return SubscribeAccess(request.queue());
               }),
       }) {
    MarkMethodCallback(index, handler);
  }
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>*
SubscriberService::Subscribe(grpc::CallbackServerContext* context) {
  return new StreamReactor(
      this, context->peer(),
      auth_->Authenticate(*context, "/evrouter.v1.Subscriber/Subscribe"));
}

grpc::ServerUnaryReactor* SubscriberService::Fetch(
    grpc::CallbackServerContext* context, const v1::FetchRequest* request,
    v1::FetchResponse* response) {
  // Authorized already (the constructor's rule); the caller is kept so that
  // a revocation while it waits ends it.
  absl::StatusOr<core::Caller> caller =
      auth_->Authenticate(*context, "/evrouter.v1.Subscriber/Fetch");
  auto* reactor = new FetchReactor(this, response, context->peer(),
                                   caller.ok() ? *caller : core::Caller{});
  reactor->Start(*request);
  return reactor;
}

grpc::ServerUnaryReactor* SubscriberService::Ack(
    grpc::CallbackServerContext* /*context*/, const v1::AckRequest* request,
    v1::AckResponse* response) {
  bool admitted;
  TrackedUnaryReactor* reactor = TrackedUnaryReactor::Start(calls_, &admitted);
  if (!admitted) return reactor;
  queues_->Ack(request->queue(), request->consumer(), request->offset(),
               [reactor, response](absl::StatusOr<uint64_t> committed) {
                 if (committed.ok()) response->set_committed_offset(*committed);
                 reactor->Finish(ToGrpcStatus(committed.status()));
               });
  return reactor;
}

void SubscriberService::Register(Endable* call) {
  bool end;
  {
    absl::MutexLock lock(&calls_mu_);
    open_.insert(call);
    end = ending_;
  }
  if (end) call->End();
}

void SubscriberService::Forget(Endable* call) {
  absl::MutexLock lock(&calls_mu_);
  open_.erase(call);
}

void SubscriberService::EndStreams() {
  absl::MutexLock lock(&calls_mu_);
  ending_ = true;
  for (Endable* call : open_) call->End();
}

void SubscriberService::RecheckAccess() {
  absl::MutexLock lock(&calls_mu_);
  for (Endable* call : open_) call->Recheck(*auth_);
}

}  // namespace evrouter::transport
