#include "server/transport/publisher_service.h"

#include <deque>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/transport/convert.h"
#include "server/transport/status.h"

namespace evrouter::transport {
namespace {

using StreamReactor = grpc::ServerBidiReactor<v1::PublishStreamRequest,
                                              v1::PublishStreamResponse>;

// One PublishStream. Reads batches ahead (up to a bound), publishes each as
// it arrives, and writes the acks strictly in arrival order, one write in
// flight. It deletes itself once gRPC is done with it and every publish it
// started has called back.
class PublishStreamReactor final : public StreamReactor {
 public:
  PublishStreamReactor(core::Router* router, size_t max_batches)
      : router_(router), max_batches_(max_batches) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // half-close by the client, or the stream broke
      absl::MutexLock lock(&mu_);
      reads_done_ = true;
      MaybeFinishLocked();
      return;
    }
    std::string exchange = std::move(*request_.mutable_exchange());
    std::vector<core::EventInput> events =
        ToEventInputs(request_.mutable_events());
    Slot* slot;
    {
      absl::MutexLock lock(&mu_);
      slots_.emplace_back();
      slot = &slots_.back();  // deque references survive push_back/pop_front
      slot->response.set_batch_id(request_.batch_id());
      ++refs_;
    }
    router_->Publish(
        exchange, std::move(events),
        [this, slot](absl::StatusOr<std::vector<core::PublishedEvent>> result) {
          OnPublished(slot, std::move(result));
        });
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    if (slots_.size() < max_batches_) {
      request_.Clear();
      StartRead(&request_);
    } else {
      read_paused_ = true;  // resumed by OnWriteDone: flow control
    }
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
    if (read_paused_ && !finished_) {
      read_paused_ = false;
      request_.Clear();
      StartRead(&request_);
    }
    WriteNextLocked();
    MaybeFinishLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    MaybeFinishLocked();
  }

  void OnDone() override { Unref(); }

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

  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_ || cancelled_ || slots_.empty() ||
        !slots_.front().ready)
      return;
    writing_ = true;
    StartWrite(&slots_.front().response);
  }

  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (cancelled_ && !writing_) {
      FinishLocked(grpc::Status::CANCELLED);
    } else if (reads_done_ && slots_.empty() && !writing_) {
      FinishLocked(grpc::Status::OK);
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

  core::Router* const router_;
  const size_t max_batches_;
  v1::PublishStreamRequest request_;  // the read buffer; one read in flight

  absl::Mutex mu_;
  std::deque<Slot> slots_
      ABSL_GUARDED_BY(mu_);            // unacknowledged batches, in order
  int refs_ ABSL_GUARDED_BY(mu_) = 1;  // gRPC's, plus one per publish
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  bool read_paused_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerUnaryReactor* PublisherService::Publish(
    grpc::CallbackServerContext* context, const v1::PublishRequest* request,
    v1::PublishResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
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

grpc::ServerBidiReactor<v1::PublishStreamRequest, v1::PublishStreamResponse>*
PublisherService::PublishStream(grpc::CallbackServerContext* /*context*/) {
  return new PublishStreamReactor(router_, max_stream_batches_);
}

}  // namespace evrouter::transport
