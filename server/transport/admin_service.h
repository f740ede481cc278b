#ifndef EVROUTER_SERVER_TRANSPORT_ADMIN_SERVICE_H_
#define EVROUTER_SERVER_TRANSPORT_ADMIN_SERVICE_H_

#include "evrouter/v1/admin.grpc.pb.h"
#include "server/core/router.h"
#include "server/transport/call_tracker.h"

namespace evrouter::transport {

// evrouter.v1.Admin: exchange management. Writes run on storage threads via
// the router; reads are answered from memory.
class AdminService final : public v1::Admin::CallbackService {
 public:
  // `router` and `calls` must outlive the service.
  AdminService(core::Router* router, CallTracker* calls)
      : router_(router), calls_(calls) {}

  grpc::ServerUnaryReactor* CreateExchange(
      grpc::CallbackServerContext* context,
      const v1::CreateExchangeRequest* request,
      v1::Exchange* response) override;
  grpc::ServerUnaryReactor* GetExchange(grpc::CallbackServerContext* context,
                                        const v1::GetExchangeRequest* request,
                                        v1::Exchange* response) override;
  grpc::ServerUnaryReactor* ListExchanges(
      grpc::CallbackServerContext* context,
      const v1::ListExchangesRequest* request,
      v1::ListExchangesResponse* response) override;
  grpc::ServerUnaryReactor* DeleteExchange(
      grpc::CallbackServerContext* context,
      const v1::DeleteExchangeRequest* request,
      v1::DeleteExchangeResponse* response) override;

 private:
  core::Router* const router_;
  CallTracker* const calls_;
};

}  // namespace evrouter::transport

#endif  // EVROUTER_SERVER_TRANSPORT_ADMIN_SERVICE_H_
