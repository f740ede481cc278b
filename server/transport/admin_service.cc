#include "server/transport/admin_service.h"

#include <utility>

#include "server/transport/convert.h"
#include "server/transport/parsing_unary_handler.h"
#include "server/transport/status.h"
#include "server/transport/tracked_unary_reactor.h"

namespace evrouter::transport {

AdminService::AdminService(core::Router* router, core::QueueManager* queues,
                           core::AccessControl* access,
                           core::Executor* executor, CallTracker* calls,
                           CallAuth* auth)
    : router_(router),
      queues_(queues),
      access_(access),
      executor_(executor),
      calls_(calls),
      auth_(auth) {
  using Self = AdminService;
  const char* const service = v1::Admin::service_full_name();
  // What each call needs (call_auth.h); the admin permission covers all.
  for (auto [index, handler] : {
           ParsingUnaryMethod(this, auth, service, "CreateExchange",
                              &Self::CreateExchange, &AdminOnly),
           ParsingUnaryMethod(
               this, auth, service, "GetExchange", &Self::GetExchange,
               +[](const v1::GetExchangeRequest& request) {
                 return PublishAccess(request.name());
               }),
           ParsingUnaryMethod(this, auth, service, "ListExchanges",
                              &Self::ListExchanges, &AdminOnly),
           ParsingUnaryMethod(this, auth, service, "DeleteExchange",
                              &Self::DeleteExchange, &AdminOnly),
           ParsingUnaryMethod(this, auth, service, "CreateQueue",
                              &Self::CreateQueue, &AdminOnly),
           ParsingUnaryMethod(
               this, auth, service, "GetQueue", &Self::GetQueue,
               +[](const v1::GetQueueRequest& request) {
                 return SubscribeAccess(request.name());
               }),
           ParsingUnaryMethod(this, auth, service, "ListQueues",
                              &Self::ListQueues, &AdminOnly),
           ParsingUnaryMethod(this, auth, service, "DeleteQueue",
                              &Self::DeleteQueue, &AdminOnly),
           ParsingUnaryMethod(
               this, auth, service, "CreateConsumer", &Self::CreateConsumer,
               +[](const v1::CreateConsumerRequest& request) {
                 return SubscribeAccess(request.queue());
               }),
           ParsingUnaryMethod(
               this, auth, service, "ListConsumers", &Self::ListConsumers,
               +[](const v1::ListConsumersRequest& request) {
                 return request.queue().empty()
                            ? AdminAccess()
                            : SubscribeAccess(request.queue());
               }),
           ParsingUnaryMethod(
               this, auth, service, "SeekConsumer", &Self::SeekConsumer,
               +[](const v1::SeekConsumerRequest& request) {
                 return SubscribeAccess(request.queue());
               }),
           ParsingUnaryMethod(this, auth, service, "DeleteConsumer",
                              &Self::DeleteConsumer, &AdminOnly),
           ParsingUnaryMethod(this, auth, service, "GetStats", &Self::GetStats,
                              &AdminOnly),
           ParsingUnaryMethod(this, auth, service, "CreateUser",
                              &Self::CreateUser, &AdminOnly),
           ParsingUnaryMethod(this, auth, service, "ListUsers",
                              &Self::ListUsers, &AdminOnly),
           ParsingUnaryMethod(this, auth, service, "DeleteUser",
                              &Self::DeleteUser, &AdminOnly),
           ParsingUnaryMethod(this, auth, service, "GrantPermission",
                              &Self::GrantPermission, &AdminOnly),
           ParsingUnaryMethod(this, auth, service, "RevokePermission",
                              &Self::RevokePermission, &AdminOnly),
           ParsingUnaryMethod(this, auth, service, "IssueToken",
                              &Self::IssueToken, &AdminOnly),
           ParsingUnaryMethod(this, auth, service, "RevokeToken",
                              &Self::RevokeToken, &AdminOnly),
       }) {
    MarkMethodCallback(index, handler);
  }
}

grpc::ServerUnaryReactor* AdminService::CreateExchange(
    grpc::CallbackServerContext* /*context*/,
    const v1::CreateExchangeRequest* request, v1::Exchange* response) {
  bool admitted;
  grpc::ServerUnaryReactor* reactor =
      TrackedUnaryReactor::Start(calls_, &admitted);
  if (!admitted) return reactor;
  absl::StatusOr<ExchangeKind> kind = ToExchangeKind(request->kind(), "kind");
  if (!kind.ok()) {
    reactor->Finish(ToGrpcStatus(kind.status()));
    return reactor;
  }
  router_->CreateExchange(
      request->name(), *kind,
      [reactor, response](absl::StatusOr<core::ExchangeInfo> info) {
        if (info.ok()) ToProto(*info, response);
        reactor->Finish(ToGrpcStatus(info.status()));
      });
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::GetExchange(
    grpc::CallbackServerContext* /*context*/,
    const v1::GetExchangeRequest* request, v1::Exchange* response) {
  bool admitted;
  grpc::ServerUnaryReactor* reactor =
      TrackedUnaryReactor::Start(calls_, &admitted);
  if (!admitted) return reactor;
  absl::StatusOr<core::ExchangeInfo> info =
      router_->GetExchange(request->name());
  if (info.ok()) ToProto(*info, response);
  reactor->Finish(ToGrpcStatus(info.status()));
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::ListExchanges(
    grpc::CallbackServerContext* /*context*/,
    const v1::ListExchangesRequest* /*request*/,
    v1::ListExchangesResponse* response) {
  bool admitted;
  grpc::ServerUnaryReactor* reactor =
      TrackedUnaryReactor::Start(calls_, &admitted);
  if (!admitted) return reactor;
  for (const core::ExchangeInfo& info : router_->ListExchanges()) {
    ToProto(info, response->add_exchanges());
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::DeleteExchange(
    grpc::CallbackServerContext* /*context*/,
    const v1::DeleteExchangeRequest* request,
    v1::DeleteExchangeResponse* /*response*/) {
  bool admitted;
  grpc::ServerUnaryReactor* reactor =
      TrackedUnaryReactor::Start(calls_, &admitted);
  if (!admitted) return reactor;
  router_->DeleteExchange(request->name(), [reactor](absl::Status status) {
    reactor->Finish(ToGrpcStatus(status));
  });
  return reactor;
}

}  // namespace evrouter::transport
