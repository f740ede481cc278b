#include "server/transport/publisher_service.h"

#include <deque>
#include <utility>

#include "server/transport/convert.h"
#include "server/transport/parsing_unary_handler.h"
#include "server/transport/request_parser.h"
#include "server/transport/status.h"
#include "server/transport/tracked_unary_reactor.h"

namespace evrouter::transport {

// One PublishStream. Reads batches ahead (up to a bound), publishes each as
// it arrives, and writes the acks strictly in arrival order, one write in
// flight. It deletes itself once gRPC is done with it and every publish it
// started has called back. Counted by the CallTracker while gRPC holds it.
class PublisherService::StreamReactor final
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  // `caller` is the authenticated caller, or why there is none.
  StreamReactor(PublisherService* service, std::string connection,
                absl::StatusOr<core::Caller> caller)
      : service_(service),
        connection_(std::move(connection)),
        caller_(caller.ok() ? *std::move(caller) : core::Caller{}),
        admission_(caller.ok() ? service->calls_->EnterStream(connection_)
                               : caller.status()) {
    if (!admission_.ok()) {
      absl::MutexLock lock(&mu_);
      FinishLocked(ToGrpcStatus(admission_));
      return;
    }
    // Registered before anything can finish it, so End() never sees a
    // deleted stream: OnDone unregisters it.
    {
      absl::MutexLock lock(&service_->streams_mu_);
      service_->streams_.insert(this);
    }
    StartRead(&read_buffer_);
  }

  // Stops taking batches; ends with `status` once the taken ones are acked
  // (the first reason wins).
  void EndWith(absl::Status status) {
    absl::MutexLock lock(&mu_);
    if (ending_) return;
    ending_ = true;
    end_status_ = std::move(status);
    MaybeFinishLocked();
  }

  const core::Caller& caller() const { return caller_; }

  void OnReadDone(bool ok) override {
    if (!ok) {  // half-close by the client, or the stream broke
      absl::MutexLock lock(&mu_);
      reads_done_ = true;
      MaybeFinishLocked();
      return;
    }
    absl::Status parsed = ParseRequest(read_buffer_, &request_);
    if (parsed.ok()) {
      parsed = service_->auth_->Authorize(caller_,
                                          PublishAccess(request_.exchange()));
    }
    const uint64_t batch_id =
        parsed.ok()
            ? request_.batch_id()
            : ReadUint64Field(read_buffer_,
                              v1::PublishStreamRequest::kBatchIdFieldNumber);
    read_buffer_.Clear();
    Slot* slot;
    {
      absl::MutexLock lock(&mu_);
      slots_.emplace_back();
      slot = &slots_.back();  // deque references survive push_back/pop_front
      slot->response.set_batch_id(batch_id);
      if (ending_ || !parsed.ok()) {
        // Refused, not published: taken after the stream began to end, or
        // not a valid or permitted request (the stream goes on, as for an
        // invalid batch).
        const absl::Status refused = ending_ ? end_status_ : parsed;
        slot->response.set_error_code(static_cast<int32_t>(refused.code()));
        slot->response.set_error_message(std::string(refused.message()));
        slot->ready = true;
        WriteNextLocked();
        ReadNextLocked();
        return;
      }
      ++refs_;
    }
    service_->router_->Publish(
        request_.exchange(), ToEventInputs(request_.mutable_events()),
        [this, slot](absl::StatusOr<std::vector<core::PublishedEvent>> result) {
          OnPublished(slot, std::move(result));
        });
    absl::MutexLock lock(&mu_);
    ReadNextLocked();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED,
                                "stream broken while writing acks"));
      return;
    }
    slots_.pop_front();
    if (read_paused_ && !finished_ && !ending_) {
      read_paused_ = false;
      StartRead(&read_buffer_);
    }
    WriteNextLocked();
    MaybeFinishLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    MaybeFinishLocked();
  }

  void OnDone() override {
    if (admission_.ok()) {
      service_->Forget(this);
      service_->calls_->LeaveStream(connection_);
    }
    Unref();
  }

 private:
  struct Slot {
    bool ready = false;
    v1::PublishStreamResponse response;
  };

  void OnPublished(Slot* slot,
                   absl::StatusOr<std::vector<core::PublishedEvent>> result) {
    {
      absl::MutexLock lock(&mu_);
      if (result.ok()) {
        for (const core::PublishedEvent& published : *result) {
          ToProto(published, slot->response.add_results());
        }
      } else {
        slot->response.set_error_code(
            static_cast<int32_t>(result.status().code()));
        slot->response.set_error_message(
            std::string(result.status().message()));
      }
      slot->ready = true;
      WriteNextLocked();
      MaybeFinishLocked();
    }
    Unref();
  }

  // Reads the next batch unless the stream ends, or pauses while
  // max_stream_batches are unacknowledged (flow control; OnWriteDone
  // resumes).
  void ReadNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || ending_) return;
    if (slots_.size() < service_->max_stream_batches_) {
      StartRead(&read_buffer_);
    } else {
      read_paused_ = true;
    }
  }

  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_ || cancelled_ || slots_.empty() ||
        !slots_.front().ready) {
      return;
    }
    writing_ = true;
    bool own_buffer;
    write_buffer_.Clear();  // the previous ack
    grpc::SerializationTraits<v1::PublishStreamResponse>::Serialize(
        slots_.front().response, &write_buffer_, &own_buffer)
        .IgnoreError();  // an ack always serializes
    StartWrite(&write_buffer_);
  }

  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_) return;  // never Finish with a write outstanding
    if (cancelled_) {
      FinishLocked(grpc::Status::CANCELLED);
    } else if (slots_.empty() && reads_done_) {
      FinishLocked(grpc::Status::OK);
    } else if (slots_.empty() && ending_) {
      FinishLocked(ToGrpcStatus(end_status_));
    }
  }

  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(std::move(status));
  }

  void Unref() {
    bool last;
    {
      absl::MutexLock lock(&mu_);
      last = --refs_ == 0;
    }
    if (last) delete this;
  }

  PublisherService* const service_;
  const std::string connection_;  // the peer: its streams are counted
  const core::Caller caller_;
  const absl::Status admission_;      // or why the caller was not authenticated
  grpc::ByteBuffer read_buffer_;      // one read in flight
  v1::PublishStreamRequest request_;  // the last one read, parsed

  absl::Mutex mu_;
  // Unacknowledged batches, in arrival order.
  std::deque<Slot> slots_ ABSL_GUARDED_BY(mu_);
  int refs_ ABSL_GUARDED_BY(mu_) = 1;  // gRPC's, plus one per publish
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status end_status_ ABSL_GUARDED_BY(mu_);  // once ending_
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  // The front slot's ack, serialized; one write in flight.
  grpc::ByteBuffer write_buffer_ ABSL_GUARDED_BY(mu_);
};

PublisherService::PublisherService(core::Router* router, CallTracker* calls,
                                   CallAuth* auth, size_t max_stream_batches)
    : router_(router),
      calls_(calls),
      auth_(auth),
      max_stream_batches_(max_stream_batches) {
  auto [index, handler] = ParsingUnaryMethod(
      this, auth, v1::Publisher::service_full_name(), "Publish",
      &PublisherService::Publish, +[](const v1::PublishRequest& request) {
        return PublishAccess(request.exchange());
      });
  MarkMethodCallback(index, handler);
}

grpc::ServerUnaryReactor* PublisherService::Publish(
    grpc::CallbackServerContext* /*context*/, const v1::PublishRequest* request,
    v1::PublishResponse* response) {
  bool admitted;
  TrackedUnaryReactor* reactor = TrackedUnaryReactor::Start(calls_, &admitted);
  if (!admitted) return reactor;
  router_->Publish(
      request->exchange(), ToEventInputs(request->events()),
      [reactor,
       response](absl::StatusOr<std::vector<core::PublishedEvent>> result) {
        if (!result.ok()) {
          reactor->Finish(ToGrpcStatus(result.status()));
          return;
        }
        for (const core::PublishedEvent& published : *result) {
          ToProto(published, response->add_results());
        }
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>*
PublisherService::PublishStream(grpc::CallbackServerContext* context) {
  return new StreamReactor(
      this, context->peer(),
      auth_->Authenticate(*context, "/evrouter.v1.Publisher/PublishStream"));
}

void PublisherService::EndStreams() {
  absl::MutexLock lock(&streams_mu_);
  for (StreamReactor* stream : streams_) {
    stream->EndWith(absl::UnavailableError(kShuttingDown));
  }
}

void PublisherService::RecheckAccess() {
  absl::MutexLock lock(&streams_mu_);
  for (StreamReactor* stream : streams_) {
    if (absl::Status valid = auth_->Verify(stream->caller()); !valid.ok()) {
      stream->EndWith(std::move(valid));
    }
  }
}

void PublisherService::Forget(StreamReactor* stream) {
  absl::MutexLock lock(&streams_mu_);
  streams_.erase(stream);
}

}  // namespace evrouter::transport
