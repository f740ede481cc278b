#ifndef EVROUTER_SERVER_TRANSPORT_CALL_AUTH_H_
#define EVROUTER_SERVER_TRANSPORT_CALL_AUTH_H_

#include <grpcpp/server_context.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/core/access_control.h"
#include "server/logging/log_throttle.h"
#include "server/logging/logging.h"

namespace evrouter::transport {

// Authentication and authorization of calls, for every service but health.
// A call authenticates with "authorization: Bearer <token>" metadata. When
// disabled (--no-auth) every call is allowed. Thread-safe.
class CallAuth {
 public:
  // `access` must outlive this.
  CallAuth(core::AccessControl* access, bool enabled);

  bool enabled() const { return enabled_; }

  // The caller of the call; UNAUTHENTICATED when the metadata is missing or
  // its token unknown. Failures are counted and logged (component "auth":
  // the reason, peer and `method`, never the token; at most a few lines a
  // second).
  absl::StatusOr<core::Caller> Authenticate(
      const grpc::ServerContextBase& context, absl::string_view method);

  // OK when `caller` may do `access`; PERMISSION_DENIED, or UNAUTHENTICATED
  // once its token or user is gone.
  absl::Status Authorize(const core::Caller& caller,
                         const core::Access& access) const;

  // OK while `caller`'s token is valid; UNAUTHENTICATED once revoked.
  absl::Status Verify(const core::Caller& caller) const;

 private:
  void LogFailure(const grpc::ServerContextBase& context,
                  absl::string_view method, absl::string_view reason);

  core::AccessControl* const access_;
  const bool enabled_;
  spdlog::logger& log_;  // component "auth"
  logging::LogThrottle log_throttle_;
};

// The Access rules of the RPCs (a request type to what it needs).
inline core::Access AdminAccess() { return {}; }
inline core::Access PublishAccess(const std::string& exchange) {
  return {PermissionAction::kPublish, exchange};
}
inline core::Access SubscribeAccess(const std::string& queue) {
  return {PermissionAction::kSubscribe, queue};
}
// For requests that only an admin may make.
template <typename Request>
core::Access AdminOnly(const Request& /*request*/) {
  return AdminAccess();
}

}  // namespace evrouter::transport

#endif  // EVROUTER_SERVER_TRANSPORT_CALL_AUTH_H_
