// evrouter.v1.Admin: users, permissions and tokens. Each write goes to the
// store on a storage thread (posted to the executor), never on a gRPC thread.
#include <utility>

#include "server/transport/admin_service.h"
#include "server/transport/convert.h"
#include "server/transport/status.h"
#include "server/transport/tracked_unary_reactor.h"

namespace evrouter::transport {
namespace {

absl::StatusOr<Permission> FromProto(const v1::Permission& permission,
                                     absl::string_view field) {
  switch (permission.action()) {
    case v1::PERMISSION_ACTION_ADMIN:
    case v1::PERMISSION_ACTION_PUBLISH:
    case v1::PERMISSION_ACTION_SUBSCRIBE: {
      Permission out{static_cast<PermissionAction>(permission.action()),
                     permission.pattern()};
      if (absl::Status status = core::ValidatePermission(field, out);
          !status.ok()) {
        return status;
      }
      return out;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(field,
                       ".action: must be PERMISSION_ACTION_ADMIN, "
                       "PERMISSION_ACTION_PUBLISH or "
                       "PERMISSION_ACTION_SUBSCRIBE, got ",
                       permission.action()));
  }
}

void TokenToProto(const TokenRecord& token, v1::Token* out) {
  out->set_id(token.id);
  out->set_description(token.description);
  ToProto(token.created_at, out->mutable_created_at());
}

void UserToProto(const UserRecord& user, v1::User* out) {
  out->set_name(user.name);
  for (const Permission& permission : user.permissions) {
    v1::Permission* p = out->add_permissions();
    p->set_action(static_cast<v1::PermissionAction>(permission.action));
    p->set_pattern(permission.pattern);
  }
  for (const TokenRecord& token : user.tokens) {
    TokenToProto(token, out->add_tokens());
  }
  ToProto(user.created_at, out->mutable_created_at());
}

// Runs `work` on a storage thread and finishes `reactor` with its status.
template <typename Work>
void FinishOnExecutor(core::Executor* executor,
                      grpc::ServerUnaryReactor* reactor, Work work) {
  executor->Post([reactor, work = std::move(work)]() mutable {
    reactor->Finish(ToGrpcStatus(work()));
  });
}

}  // namespace

grpc::ServerUnaryReactor* AdminService::CreateUser(
    grpc::CallbackServerContext* /*context*/,
    const v1::CreateUserRequest* request, v1::User* response) {
  bool admitted;
  grpc::ServerUnaryReactor* reactor =
      TrackedUnaryReactor::Start(calls_, &admitted);
  if (!admitted) return reactor;
  std::vector<Permission> permissions;
  for (int i = 0; i < request->permissions_size(); ++i) {
    absl::StatusOr<Permission> permission = FromProto(
        request->permissions(i), absl::StrCat("permissions[", i, "]"));
    if (!permission.ok()) {
      reactor->Finish(ToGrpcStatus(permission.status()));
      return reactor;
    }
    permissions.push_back(*std::move(permission));
  }
  FinishOnExecutor(executor_, reactor,
                   [this, request, response,
                    permissions = std::move(permissions)]() -> absl::Status {
                     absl::StatusOr<UserRecord> user =
                         access_->CreateUser(request->name(), permissions);
                     if (!user.ok()) return user.status();
                     UserToProto(*user, response);
                     return absl::OkStatus();
                   });
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::ListUsers(
    grpc::CallbackServerContext* /*context*/,
    const v1::ListUsersRequest* /*request*/, v1::ListUsersResponse* response) {
  bool admitted;
  grpc::ServerUnaryReactor* reactor =
      TrackedUnaryReactor::Start(calls_, &admitted);
  if (!admitted) return reactor;
  for (const UserRecord& user : access_->ListUsers()) {
    UserToProto(user, response->add_users());
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::DeleteUser(
    grpc::CallbackServerContext* /*context*/,
    const v1::DeleteUserRequest* request,
    v1::DeleteUserResponse* /*response*/) {
  bool admitted;
  grpc::ServerUnaryReactor* reactor =
      TrackedUnaryReactor::Start(calls_, &admitted);
  if (!admitted) return reactor;
  FinishOnExecutor(executor_, reactor, [this, request] {
    return access_->DeleteUser(request->name());
  });
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::ChangePermission(
    const std::string* user, const v1::Permission& requested,
    v1::User* response, PermissionChange change) {
  bool admitted;
  grpc::ServerUnaryReactor* reactor =
      TrackedUnaryReactor::Start(calls_, &admitted);
  if (!admitted) return reactor;
  absl::StatusOr<Permission> permission = FromProto(requested, "permission");
  if (!permission.ok()) {
    reactor->Finish(ToGrpcStatus(permission.status()));
    return reactor;
  }
  FinishOnExecutor(executor_, reactor,
                   [this, user, response, change,
                    permission = *std::move(permission)]() -> absl::Status {
                     absl::StatusOr<UserRecord> changed =
                         (access_->*change)(*user, permission);
                     if (!changed.ok()) return changed.status();
                     UserToProto(*changed, response);
                     return absl::OkStatus();
                   });
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::GrantPermission(
    grpc::CallbackServerContext* /*context*/,
    const v1::GrantPermissionRequest* request, v1::User* response) {
  return ChangePermission(&request->user(), request->permission(), response,
                          &core::AccessControl::Grant);
}

grpc::ServerUnaryReactor* AdminService::RevokePermission(
    grpc::CallbackServerContext* /*context*/,
    const v1::RevokePermissionRequest* request, v1::User* response) {
  return ChangePermission(&request->user(), request->permission(), response,
                          &core::AccessControl::Revoke);
}

grpc::ServerUnaryReactor* AdminService::IssueToken(
    grpc::CallbackServerContext* /*context*/,
    const v1::IssueTokenRequest* request, v1::IssueTokenResponse* response) {
  bool admitted;
  grpc::ServerUnaryReactor* reactor =
      TrackedUnaryReactor::Start(calls_, &admitted);
  if (!admitted) return reactor;
  FinishOnExecutor(
      executor_, reactor, [this, request, response]() -> absl::Status {
        absl::StatusOr<core::IssuedToken> issued =
            access_->IssueToken(request->user(), request->description());
        if (!issued.ok()) return issued.status();
        response->set_user(issued->user);
        response->set_token(issued->token);
        TokenToProto(issued->record, response->mutable_info());
        return absl::OkStatus();
      });
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::RevokeToken(
    grpc::CallbackServerContext* /*context*/,
    const v1::RevokeTokenRequest* request,
    v1::RevokeTokenResponse* /*response*/) {
  bool admitted;
  grpc::ServerUnaryReactor* reactor =
      TrackedUnaryReactor::Start(calls_, &admitted);
  if (!admitted) return reactor;
  FinishOnExecutor(executor_, reactor, [this, request] {
    return access_->RevokeToken(request->id());
  });
  return reactor;
}

}  // namespace evrouter::transport
