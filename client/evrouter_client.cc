#include "client/evrouter_client.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/channel.h"
#include "client/grpc_status.h"
#include "client/proto_time.h"

namespace evrouter::client {
namespace {

using evrouter::v1::Admin;
using evrouter::v1::Consumer;
using evrouter::v1::Event;
using evrouter::v1::Exchange;
using evrouter::v1::PublishStreamRequest;
using evrouter::v1::PublishStreamResponse;
using evrouter::v1::Queue;
using grpc::health::v1::HealthCheckResponse;

void SetDeadline(grpc::ClientContext& context, absl::Duration timeout) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

// One unary call with a deadline `timeout` from now.
template <typename Stub, typename Request, typename Response>
absl::StatusOr<Response> CallUnary(
    Stub& stub,
    grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                 Response*),
    const Request& request, absl::Duration timeout) {
  grpc::ClientContext context;
  SetDeadline(context, timeout);
  Response response;
  grpc::Status status = (stub.*method)(&context, request, &response);
  if (!status.ok()) return ToAbslStatus(status);
  return response;
}

template <typename T>
std::vector<T> TakeAll(google::protobuf::RepeatedPtrField<T>* field) {
  return std::vector<T>(std::make_move_iterator(field->begin()),
                        std::make_move_iterator(field->end()));
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
      channel_(CreateChannel({.server = options_.server,
                              .own_connection = options_.own_connection,
                              .token = options_.token,
                              .tls = options_.tls})),
      admin_(evrouter::v1::Admin::NewStub(channel_)),
      publisher_(evrouter::v1::Publisher::NewStub(channel_)),
      subscriber_(evrouter::v1::Subscriber::NewStub(channel_)),
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

absl::StatusOr<Queue> Client::CreateQueue(
    std::string_view name, std::string_view exchange,
    const std::vector<std::string>& bindings, uint32_t limit_size,
    bool from_earliest) {
  evrouter::v1::CreateQueueRequest request;
  request.set_name(std::string(name));
  request.set_exchange(std::string(exchange));
  for (const std::string& binding : bindings) request.add_bindings(binding);
  request.set_limit_size(limit_size);
  request.set_from_earliest(from_earliest);
  return CallUnary(*admin_, &Admin::Stub::CreateQueue, request,
                   options_.timeout);
}

absl::StatusOr<Queue> Client::GetQueue(std::string_view name) {
  evrouter::v1::GetQueueRequest request;
  request.set_name(std::string(name));
  return CallUnary(*admin_, &Admin::Stub::GetQueue, request, options_.timeout);
}

absl::StatusOr<std::vector<Queue>> Client::ListQueues(
    std::string_view exchange) {
  evrouter::v1::ListQueuesRequest request;
  request.set_exchange(std::string(exchange));
  absl::StatusOr<evrouter::v1::ListQueuesResponse> response =
      CallUnary(*admin_, &Admin::Stub::ListQueues, request, options_.timeout);
  if (!response.ok()) return response.status();
  return TakeAll(response->mutable_queues());
}

absl::Status Client::DeleteQueue(std::string_view name) {
  evrouter::v1::DeleteQueueRequest request;
  request.set_name(std::string(name));
  return CallUnary(*admin_, &Admin::Stub::DeleteQueue, request,
                   options_.timeout)
      .status();
}

absl::StatusOr<Consumer> Client::CreateConsumer(std::string_view queue,
                                                std::string_view name) {
  evrouter::v1::CreateConsumerRequest request;
  request.set_queue(std::string(queue));
  request.set_name(std::string(name));
  return CallUnary(*admin_, &Admin::Stub::CreateConsumer, request,
                   options_.timeout);
}

absl::StatusOr<std::vector<Consumer>> Client::ListConsumers(
    std::string_view queue) {
  evrouter::v1::ListConsumersRequest request;
  request.set_queue(std::string(queue));
  absl::StatusOr<evrouter::v1::ListConsumersResponse> response = CallUnary(
      *admin_, &Admin::Stub::ListConsumers, request, options_.timeout);
  if (!response.ok()) return response.status();
  return TakeAll(response->mutable_consumers());
}

absl::StatusOr<Consumer> Client::SeekConsumer(std::string_view queue,
                                              std::string_view name,
                                              uint64_t offset) {
  evrouter::v1::SeekConsumerRequest request;
  request.set_queue(std::string(queue));
  request.set_name(std::string(name));
  request.set_offset(offset);
  return CallUnary(*admin_, &Admin::Stub::SeekConsumer, request,
                   options_.timeout);
}

absl::StatusOr<Consumer> Client::SeekConsumer(std::string_view queue,
                                              std::string_view name,
                                              absl::Time time) {
  evrouter::v1::SeekConsumerRequest request;
  request.set_queue(std::string(queue));
  request.set_name(std::string(name));
  *request.mutable_time() = ToTimestamp(time);
  return CallUnary(*admin_, &Admin::Stub::SeekConsumer, request,
                   options_.timeout);
}

absl::Status Client::DeleteConsumer(std::string_view queue,
                                    std::string_view name) {
  evrouter::v1::DeleteConsumerRequest request;
  request.set_queue(std::string(queue));
  request.set_name(std::string(name));
  return CallUnary(*admin_, &Admin::Stub::DeleteConsumer, request,
                   options_.timeout)
      .status();
}

absl::StatusOr<evrouter::v1::Stats> Client::GetStats() {
  return CallUnary(*admin_, &Admin::Stub::GetStats,
                   evrouter::v1::GetStatsRequest(), options_.timeout);
}

absl::StatusOr<evrouter::v1::User> Client::CreateUser(
    std::string_view name,
    const std::vector<evrouter::v1::Permission>& permissions) {
  evrouter::v1::CreateUserRequest request;
  request.set_name(std::string(name));
  for (const evrouter::v1::Permission& permission : permissions) {
    *request.add_permissions() = permission;
  }
  return CallUnary(*admin_, &Admin::Stub::CreateUser, request,
                   options_.timeout);
}

absl::StatusOr<std::vector<evrouter::v1::User>> Client::ListUsers() {
  absl::StatusOr<evrouter::v1::ListUsersResponse> response =
      CallUnary(*admin_, &Admin::Stub::ListUsers,
                evrouter::v1::ListUsersRequest(), options_.timeout);
  if (!response.ok()) return response.status();
  return TakeAll(response->mutable_users());
}

absl::Status Client::DeleteUser(std::string_view name) {
  evrouter::v1::DeleteUserRequest request;
  request.set_name(std::string(name));
  return CallUnary(*admin_, &Admin::Stub::DeleteUser, request, options_.timeout)
      .status();
}

absl::StatusOr<evrouter::v1::User> Client::GrantPermission(
    std::string_view user, const evrouter::v1::Permission& permission) {
  evrouter::v1::GrantPermissionRequest request;
  request.set_user(std::string(user));
  *request.mutable_permission() = permission;
  return CallUnary(*admin_, &Admin::Stub::GrantPermission, request,
                   options_.timeout);
}

absl::StatusOr<evrouter::v1::User> Client::RevokePermission(
    std::string_view user, const evrouter::v1::Permission& permission) {
  evrouter::v1::RevokePermissionRequest request;
  request.set_user(std::string(user));
  *request.mutable_permission() = permission;
  return CallUnary(*admin_, &Admin::Stub::RevokePermission, request,
                   options_.timeout);
}

absl::StatusOr<evrouter::v1::IssueTokenResponse> Client::IssueToken(
    std::string_view user, std::string_view description) {
  evrouter::v1::IssueTokenRequest request;
  request.set_user(std::string(user));
  request.set_description(std::string(description));
  return CallUnary(*admin_, &Admin::Stub::IssueToken, request,
                   options_.timeout);
}

absl::Status Client::RevokeToken(std::string_view id) {
  evrouter::v1::RevokeTokenRequest request;
  request.set_id(std::string(id));
  return CallUnary(*admin_, &Admin::Stub::RevokeToken, request,
                   options_.timeout)
      .status();
}

absl::StatusOr<std::vector<Event>> Client::Fetch(std::string_view queue,
                                                 std::string_view consumer,
                                                 uint32_t max_events,
                                                 absl::Duration wait) {
  wait = std::max(wait, absl::ZeroDuration());
  evrouter::v1::FetchRequest request;
  request.set_queue(std::string(queue));
  request.set_consumer(std::string(consumer));
  request.set_max_events(max_events);
  *request.mutable_wait() = ToDurationProto(wait);
  absl::StatusOr<evrouter::v1::FetchResponse> response =
      CallUnary(*subscriber_, &evrouter::v1::Subscriber::Stub::Fetch, request,
                options_.timeout + wait);
  if (!response.ok()) return response.status();
  return TakeAll(response->mutable_events());
}

absl::StatusOr<uint64_t> Client::Ack(std::string_view queue,
                                     std::string_view consumer,
                                     uint64_t offset) {
  evrouter::v1::AckRequest request;
  request.set_queue(std::string(queue));
  request.set_consumer(std::string(consumer));
  request.set_offset(offset);
  absl::StatusOr<evrouter::v1::AckResponse> response =
      CallUnary(*subscriber_, &evrouter::v1::Subscriber::Stub::Ack, request,
                options_.timeout);
  if (!response.ok()) return response.status();
  return response->committed_offset();
}

std::unique_ptr<Subscription> Client::Subscribe(
    const evrouter::v1::SubscribeStart& start) {
  return std::unique_ptr<Subscription>(
      new Subscription(*subscriber_, channel_, start, options_.stream_timeout));
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
