#include "client/evrouter_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/channel.h"
#include "client/grpc_status.h"

namespace evrouter::client {
namespace {

using evrouter::v1::Event;
using evrouter::v1::Exchange;
using evrouter::v1::PublishStreamRequest;
using evrouter::v1::PublishStreamResponse;
using grpc::health::v1::HealthCheckResponse;

void SetDeadline(grpc::ClientContext& context, absl::Duration timeout) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

void MoveEvents(std::vector<Event> events,
                google::protobuf::RepeatedPtrField<Event>* out) {
  out->Reserve(static_cast<int>(events.size()));
  for (Event& event : events) *out->Add() = std::move(event);
}

}  // namespace

PublishStream::PublishStream(evrouter::v1::Publisher::Stub& stub,
                             std::shared_ptr<grpc::Channel> channel,
                             absl::Duration stream_timeout)
    : channel_(std::move(channel)) {
  SetDeadline(context_, stream_timeout);
  stream_ = stub.PublishStream(&context_);
}

PublishStream::~PublishStream() {
  if (finished_) return;
  context_.TryCancel();
  stream_->Finish().IgnoreError();
}

absl::StatusOr<uint64_t> PublishStream::Send(std::string_view exchange,
                                             std::vector<Event> events) {
  if (writes_done_) {
    return absl::FailedPreconditionError("publish stream is closed");
  }
  PublishStreamRequest request;
  const uint64_t batch_id = next_batch_id_++;
  request.set_batch_id(batch_id);
  request.set_exchange(std::string(exchange));
  MoveEvents(std::move(events), request.mutable_events());
  if (!stream_->Write(request)) {
    return absl::UnavailableError(
        "publish stream broke; the next ack reports why");
  }
  return batch_id;
}

absl::Status PublishStream::Finish() {
  if (!finished_) {
    finished_ = true;
    final_status_ = ToAbslStatus(stream_->Finish());
  }
  return final_status_;
}

absl::StatusOr<PublishStreamResponse> PublishStream::NextAck() {
  PublishStreamResponse response;
  if (!finished_ && stream_->Read(&response)) return response;
  absl::Status status = Finish();
  if (!status.ok()) return status;
  return absl::OutOfRangeError("publish stream ended");
}

absl::StatusOr<std::vector<PublishStreamResponse>> PublishStream::Close() {
  if (!writes_done_) {
    writes_done_ = true;
    stream_->WritesDone();
  }
  std::vector<PublishStreamResponse> acks;
  PublishStreamResponse response;
  while (!finished_ && stream_->Read(&response)) {
    acks.push_back(std::move(response));
    response.Clear();
  }
  absl::Status status = Finish();
  if (!status.ok()) return status;
  return acks;
}

Client::Client(ClientOptions options)
    : options_(std::move(options)),
      channel_(CreateInsecureChannel(options_.server)),
      admin_(evrouter::v1::Admin::NewStub(channel_)),
      publisher_(evrouter::v1::Publisher::NewStub(channel_)),
      health_(grpc::health::v1::Health::NewStub(channel_)) {}

absl::StatusOr<Exchange> Client::CreateExchange(
    std::string_view name, evrouter::v1::ExchangeKind kind) {
  evrouter::v1::CreateExchangeRequest request;
  request.set_name(std::string(name));
  request.set_kind(kind);
  grpc::ClientContext context;
  SetDeadline(context, options_.timeout);
  Exchange response;
  grpc::Status status = admin_->CreateExchange(&context, request, &response);
  if (!status.ok()) return ToAbslStatus(status);
  return response;
}

absl::StatusOr<Exchange> Client::GetExchange(std::string_view name) {
  evrouter::v1::GetExchangeRequest request;
  request.set_name(std::string(name));
  grpc::ClientContext context;
  SetDeadline(context, options_.timeout);
  Exchange response;
  grpc::Status status = admin_->GetExchange(&context, request, &response);
  if (!status.ok()) return ToAbslStatus(status);
  return response;
}

absl::StatusOr<std::vector<Exchange>> Client::ListExchanges() {
  grpc::ClientContext context;
  SetDeadline(context, options_.timeout);
  evrouter::v1::ListExchangesResponse response;
  grpc::Status status = admin_->ListExchanges(
      &context, evrouter::v1::ListExchangesRequest(), &response);
  if (!status.ok()) return ToAbslStatus(status);
  return std::vector<Exchange>(
      std::make_move_iterator(response.mutable_exchanges()->begin()),
      std::make_move_iterator(response.mutable_exchanges()->end()));
}

absl::Status Client::DeleteExchange(std::string_view name) {
  evrouter::v1::DeleteExchangeRequest request;
  request.set_name(std::string(name));
  grpc::ClientContext context;
  SetDeadline(context, options_.timeout);
  evrouter::v1::DeleteExchangeResponse response;
  return ToAbslStatus(admin_->DeleteExchange(&context, request, &response));
}

absl::StatusOr<std::vector<evrouter::v1::PublishResult>> Client::Publish(
    std::string_view exchange, std::vector<Event> events) {
  evrouter::v1::PublishRequest request;
  request.set_exchange(std::string(exchange));
  MoveEvents(std::move(events), request.mutable_events());
  grpc::ClientContext context;
  SetDeadline(context, options_.timeout);
  evrouter::v1::PublishResponse response;
  grpc::Status status = publisher_->Publish(&context, request, &response);
  if (!status.ok()) return ToAbslStatus(status);
  return std::vector<evrouter::v1::PublishResult>(
      std::make_move_iterator(response.mutable_results()->begin()),
      std::make_move_iterator(response.mutable_results()->end()));
}

absl::StatusOr<HealthCheckResponse::ServingStatus> Client::Health(
    std::string_view service) {
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(std::string(service));
  grpc::ClientContext context;
  SetDeadline(context, options_.timeout);
  HealthCheckResponse response;
  grpc::Status status = health_->Check(&context, request, &response);
  if (!status.ok()) return ToAbslStatus(status);
  return response.status();
}

absl::Status Client::WaitUntilServing(absl::Duration within) {
  const absl::Time deadline = absl::Now() + within;
  absl::Duration backoff = absl::Milliseconds(10);
  std::string last = "no answer";
  for (;;) {
    const absl::Duration remaining = deadline - absl::Now();
    if (remaining <= absl::ZeroDuration()) break;
    grpc::health::v1::HealthCheckRequest request;
    grpc::ClientContext context;
    SetDeadline(context, std::min(options_.timeout, remaining));
    HealthCheckResponse response;
    grpc::Status status = health_->Check(&context, request, &response);
    if (status.ok() && response.status() == HealthCheckResponse::SERVING) {
      return absl::OkStatus();
    }
    last = status.ok()
               ? HealthCheckResponse::ServingStatus_Name(response.status())
               : ToAbslStatus(status).ToString();
    absl::SleepFor(std::min(backoff, deadline - absl::Now()));
    backoff = std::min(backoff * 2, absl::Milliseconds(200));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("server ", options_.server, " not SERVING within ",
                   absl::FormatDuration(within), "; last answer: ", last));
}

std::unique_ptr<PublishStream> Client::OpenPublishStream() {
  return std::unique_ptr<PublishStream>(
      new PublishStream(*publisher_, channel_, options_.stream_timeout));
}

}  // namespace evrouter::client
