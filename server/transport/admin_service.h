#ifndef EVROUTER_SERVER_TRANSPORT_ADMIN_SERVICE_H_
#define EVROUTER_SERVER_TRANSPORT_ADMIN_SERVICE_H_

#include "evrouter/v1/admin.grpc.pb.h"
#include "server/core/access_control.h"
#include "server/core/executor.h"
#include "server/core/queue_manager.h"
#include "server/core/router.h"
#include "server/transport/call_auth.h"
#include "server/transport/call_tracker.h"

namespace evrouter::transport {

// evrouter.v1.Admin: exchanges (admin_service.cc), queues, consumers and
// stats (admin_queue_service.cc), users and tokens (admin_user_service.cc).
// Writes run on storage threads (via the router and the queue manager, or
// posted to `executor` for users); reads are answered from memory. Requests
// are parsed by ParsingUnaryHandler, so a malformed one is INVALID_ARGUMENT
// naming the field, and authorized by `auth` (rules in the constructor).
class AdminService final : public v1::Admin::CallbackService {
 public:
  // Every argument must outlive the service.
  AdminService(core::Router* router, core::QueueManager* queues,
               core::AccessControl* access, core::Executor* executor,
               CallTracker* calls, CallAuth* auth);

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

  grpc::ServerUnaryReactor* CreateQueue(grpc::CallbackServerContext* context,
                                        const v1::CreateQueueRequest* request,
                                        v1::Queue* response) override;
  grpc::ServerUnaryReactor* GetQueue(grpc::CallbackServerContext* context,
                                     const v1::GetQueueRequest* request,
                                     v1::Queue* response) override;
  grpc::ServerUnaryReactor* ListQueues(
      grpc::CallbackServerContext* context,
      const v1::ListQueuesRequest* request,
      v1::ListQueuesResponse* response) override;
  grpc::ServerUnaryReactor* DeleteQueue(
      grpc::CallbackServerContext* context,
      const v1::DeleteQueueRequest* request,
      v1::DeleteQueueResponse* response) override;
  grpc::ServerUnaryReactor* CreateConsumer(
      grpc::CallbackServerContext* context,
      const v1::CreateConsumerRequest* request,
      v1::Consumer* response) override;
  grpc::ServerUnaryReactor* ListConsumers(
      grpc::CallbackServerContext* context,
      const v1::ListConsumersRequest* request,
      v1::ListConsumersResponse* response) override;
  grpc::ServerUnaryReactor* SeekConsumer(grpc::CallbackServerContext* context,
                                         const v1::SeekConsumerRequest* request,
                                         v1::Consumer* response) override;
  grpc::ServerUnaryReactor* DeleteConsumer(
      grpc::CallbackServerContext* context,
      const v1::DeleteConsumerRequest* request,
      v1::DeleteConsumerResponse* response) override;
  grpc::ServerUnaryReactor* GetStats(grpc::CallbackServerContext* context,
                                     const v1::GetStatsRequest* request,
                                     v1::Stats* response) override;

  grpc::ServerUnaryReactor* CreateUser(grpc::CallbackServerContext* context,
                                       const v1::CreateUserRequest* request,
                                       v1::User* response) override;
  grpc::ServerUnaryReactor* ListUsers(grpc::CallbackServerContext* context,
                                      const v1::ListUsersRequest* request,
                                      v1::ListUsersResponse* response) override;
  grpc::ServerUnaryReactor* DeleteUser(
      grpc::CallbackServerContext* context,
      const v1::DeleteUserRequest* request,
      v1::DeleteUserResponse* response) override;
  grpc::ServerUnaryReactor* GrantPermission(
      grpc::CallbackServerContext* context,
      const v1::GrantPermissionRequest* request, v1::User* response) override;
  grpc::ServerUnaryReactor* RevokePermission(
      grpc::CallbackServerContext* context,
      const v1::RevokePermissionRequest* request, v1::User* response) override;
  grpc::ServerUnaryReactor* IssueToken(
      grpc::CallbackServerContext* context,
      const v1::IssueTokenRequest* request,
      v1::IssueTokenResponse* response) override;
  grpc::ServerUnaryReactor* RevokeToken(
      grpc::CallbackServerContext* context,
      const v1::RevokeTokenRequest* request,
      v1::RevokeTokenResponse* response) override;

 private:
  // Grant or Revoke (`change`) of `requested` for `user`; both live until
  // the call is done.
  using PermissionChange = absl::StatusOr<UserRecord> (core::AccessControl::*)(
      absl::string_view, const Permission&);
  grpc::ServerUnaryReactor* ChangePermission(const std::string* user,
                                             const v1::Permission& requested,
                                             v1::User* response,
                                             PermissionChange change);

  core::Router* const router_;
  core::QueueManager* const queues_;
  core::AccessControl* const access_;
  core::Executor* const executor_;
  CallTracker* const calls_;
  CallAuth* const auth_;
};

}  // namespace evrouter::transport

#endif  // EVROUTER_SERVER_TRANSPORT_ADMIN_SERVICE_H_
