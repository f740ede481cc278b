#include "client/subscription.h"

#include <utility>

#include "client/grpc_status.h"

namespace evrouter::client {

using evrouter::v1::SubscribeRequest;
using evrouter::v1::SubscribeResponse;

Subscription::Subscription(evrouter::v1::Subscriber::Stub& stub,
                           std::shared_ptr<grpc::Channel> channel,
                           const evrouter::v1::SubscribeStart& start,
                           absl::Duration stream_timeout)
    : channel_(std::move(channel)) {
  context_.set_deadline(absl::ToChronoTime(absl::Now() + stream_timeout));
  stream_ = stub.Subscribe(&context_);
  SubscribeRequest request;
  *request.mutable_start() = start;
  absl::MutexLock lock(&write_mu_);
  // A failed write means the call broke; Next() reports why.
  stream_->Write(request);
}

Subscription::~Subscription() {
  if (finished_) return;
  context_.TryCancel();
  Finish().IgnoreError();
}

absl::StatusOr<SubscribeResponse> Subscription::Next() {
  SubscribeResponse response;
  if (!finished_ && stream_->Read(&response)) return response;
  absl::Status status = Finish();
  if (!status.ok()) return status;
  return absl::OutOfRangeError("subscription ended");
}

absl::Status Subscription::Ack(uint64_t offset) {
  SubscribeRequest request;
  request.mutable_ack()->set_offset(offset);
  absl::MutexLock lock(&write_mu_);
  if (writes_done_) {
    return absl::FailedPreconditionError("subscription is half-closed");
  }
  if (!stream_->Write(request)) {
    return absl::UnavailableError(
        "subscription broke; the next response reports why");
  }
  return absl::OkStatus();
}

void Subscription::HalfClose() {
  absl::MutexLock lock(&write_mu_);
  if (writes_done_) return;
  writes_done_ = true;
  stream_->WritesDone();
}

void Subscription::Cancel() { context_.TryCancel(); }

absl::Status Subscription::Finish() {
  if (!finished_) {
    finished_ = true;
    absl::MutexLock lock(&write_mu_);
    writes_done_ = true;  // Finish() ends the sending side too
    final_status_ = ToAbslStatus(stream_->Finish());
  }
  return final_status_;
}

absl::Status Subscription::Close() {
  HalfClose();
  SubscribeResponse response;
  while (!finished_ && stream_->Read(&response)) response.Clear();
  return Finish();
}

}  // namespace evrouter::client
