// AdminService: queues, consumers and stats.

#include <utility>

#include "server/transport/admin_service.h"
#include "server/transport/convert.h"
#include "server/transport/status.h"
#include "server/transport/tracked_unary_reactor.h"

namespace evrouter::transport {
namespace {

// Finishes `reactor` with `result`, converting the value into `response`.
template <typename T, typename Proto>
void FinishWith(grpc::ServerUnaryReactor* reactor, Proto* response,
                const absl::StatusOr<T>& result) {
  if (result.ok()) ToProto(*result, response);
  reactor->Finish(ToGrpcStatus(result.status()));
}

}  // namespace

grpc::ServerUnaryReactor* AdminService::CreateQueue(
    grpc::CallbackServerContext* /*context*/,
    const v1::CreateQueueRequest* request, v1::Queue* response) {
  bool admitted;
  grpc::ServerUnaryReactor* reactor =
      TrackedUnaryReactor::Start(calls_, &admitted);
  if (!admitted) return reactor;
  core::QueueSpec spec;
  spec.name = request->name();
  spec.exchange = request->exchange();
  spec.bindings.assign(request->bindings().begin(), request->bindings().end());
  spec.limit_size = request->limit_size();
  spec.from_earliest = request->from_earliest();
  queues_->CreateQueue(
      std::move(spec),
      [reactor, response](absl::StatusOr<core::QueueInfo> info) {
        FinishWith(reactor, response, info);
      });
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::GetQueue(
    grpc::CallbackServerContext* /*context*/,
    const v1::GetQueueRequest* request, v1::Queue* response) {
  bool admitted;
  grpc::ServerUnaryReactor* reactor =
      TrackedUnaryReactor::Start(calls_, &admitted);
  if (!admitted) return reactor;
  FinishWith(reactor, response, queues_->GetQueue(request->name()));
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::ListQueues(
    grpc::CallbackServerContext* /*context*/,
    const v1::ListQueuesRequest* request, v1::ListQueuesResponse* response) {
  bool admitted;
  grpc::ServerUnaryReactor* reactor =
      TrackedUnaryReactor::Start(calls_, &admitted);
  if (!admitted) return reactor;
  absl::StatusOr<std::vector<core::QueueInfo>> queues =
      queues_->ListQueues(request->exchange());
  if (queues.ok()) {
    for (const core::QueueInfo& info : *queues)
      ToProto(info, response->add_queues());
  }
  reactor->Finish(ToGrpcStatus(queues.status()));
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::DeleteQueue(
    grpc::CallbackServerContext* /*context*/,
    const v1::DeleteQueueRequest* request,
    v1::DeleteQueueResponse* /*response*/) {
  bool admitted;
  grpc::ServerUnaryReactor* reactor =
      TrackedUnaryReactor::Start(calls_, &admitted);
  if (!admitted) return reactor;
  queues_->DeleteQueue(request->name(), [reactor](absl::Status status) {
    reactor->Finish(ToGrpcStatus(status));
  });
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::CreateConsumer(
    grpc::CallbackServerContext* /*context*/,
    const v1::CreateConsumerRequest* request, v1::Consumer* response) {
  bool admitted;
  grpc::ServerUnaryReactor* reactor =
      TrackedUnaryReactor::Start(calls_, &admitted);
  if (!admitted) return reactor;
  queues_->CreateConsumer(
      request->queue(), request->name(),
      [reactor, response](absl::StatusOr<core::ConsumerInfo> info) {
        FinishWith(reactor, response, info);
      });
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::ListConsumers(
    grpc::CallbackServerContext* /*context*/,
    const v1::ListConsumersRequest* request,
    v1::ListConsumersResponse* response) {
  bool admitted;
  grpc::ServerUnaryReactor* reactor =
      TrackedUnaryReactor::Start(calls_, &admitted);
  if (!admitted) return reactor;
  absl::StatusOr<std::vector<core::ConsumerInfo>> consumers =
      queues_->ListConsumers(request->queue());
  if (consumers.ok()) {
    for (const core::ConsumerInfo& info : *consumers)
      ToProto(info, response->add_consumers());
  }
  reactor->Finish(ToGrpcStatus(consumers.status()));
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::SeekConsumer(
    grpc::CallbackServerContext* /*context*/,
    const v1::SeekConsumerRequest* request, v1::Consumer* response) {
  bool admitted;
  grpc::ServerUnaryReactor* reactor =
      TrackedUnaryReactor::Start(calls_, &admitted);
  if (!admitted) return reactor;
  core::SeekTarget target;
  if (request->target_case() == v1::SeekConsumerRequest::kOffset) {
    target.offset = request->offset();
  } else if (request->target_case() == v1::SeekConsumerRequest::kTime) {
    absl::StatusOr<absl::Time> time = FromProto(request->time(), "time");
    if (!time.ok()) {
      reactor->Finish(ToGrpcStatus(time.status()));
      return reactor;
    }
    target.time = *time;
  }
  queues_->SeekConsumer(
      request->queue(), request->name(), target,
      [reactor, response](absl::StatusOr<core::ConsumerInfo> info) {
        FinishWith(reactor, response, info);
      });
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::DeleteConsumer(
    grpc::CallbackServerContext* /*context*/,
    const v1::DeleteConsumerRequest* request,
    v1::DeleteConsumerResponse* /*response*/) {
  bool admitted;
  grpc::ServerUnaryReactor* reactor =
      TrackedUnaryReactor::Start(calls_, &admitted);
  if (!admitted) return reactor;
  queues_->DeleteConsumer(request->queue(), request->name(),
                          [reactor](absl::Status status) {
                            reactor->Finish(ToGrpcStatus(status));
                          });
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::GetStats(
    grpc::CallbackServerContext* /*context*/,
    const v1::GetStatsRequest* /*request*/, v1::Stats* response) {
  bool admitted;
  grpc::ServerUnaryReactor* reactor =
      TrackedUnaryReactor::Start(calls_, &admitted);
  if (!admitted) return reactor;
  ToProto(queues_->GetStats(), response);
  response->set_auth_failures(auth_->enabled() ? access_->auth_failures() : 0);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace evrouter::transport
