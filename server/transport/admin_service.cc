#include "server/transport/admin_service.h"

#include <utility>

#include "server/transport/convert.h"
#include "server/transport/status.h"
#include "server/transport/tracked_unary_reactor.h"

namespace evrouter::transport {

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
