#include "server/transport/admin_service.h"

#include <utility>

#include "server/transport/convert.h"
#include "server/transport/parsing_unary_handler.h"
#include "server/transport/status.h"
#include "server/transport/tracked_unary_reactor.h"

namespace evrouter::transport {

AdminService::AdminService(core::Router* router, core::QueueManager* queues,
                           CallTracker* calls)
    : router_(router), queues_(queues), calls_(calls) {
  const char* const service = v1::Admin::service_full_name();
  for (auto [index, handler] : {
           ParsingUnaryMethod(this, service, "CreateExchange",
                              &AdminService::CreateExchange),
           ParsingUnaryMethod(this, service, "GetExchange",
                              &AdminService::GetExchange),
           ParsingUnaryMethod(this, service, "ListExchanges",
                              &AdminService::ListExchanges),
           ParsingUnaryMethod(this, service, "DeleteExchange",
                              &AdminService::DeleteExchange),
           ParsingUnaryMethod(this, service, "CreateQueue",
                              &AdminService::CreateQueue),
           ParsingUnaryMethod(this, service, "GetQueue",
                              &AdminService::GetQueue),
           ParsingUnaryMethod(this, service, "ListQueues",
                              &AdminService::ListQueues),
           ParsingUnaryMethod(this, service, "DeleteQueue",
                              &AdminService::DeleteQueue),
           ParsingUnaryMethod(this, service, "CreateConsumer",
                              &AdminService::CreateConsumer),
           ParsingUnaryMethod(this, service, "ListConsumers",
                              &AdminService::ListConsumers),
           ParsingUnaryMethod(this, service, "SeekConsumer",
                              &AdminService::SeekConsumer),
           ParsingUnaryMethod(this, service, "DeleteConsumer",
                              &AdminService::DeleteConsumer),
           ParsingUnaryMethod(this, service, "GetStats",
                              &AdminService::GetStats),
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
