#include "server/transport/call_auth.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/logging/logging.h"

namespace evrouter::transport {
namespace {

// Failed authentications logged per second at most; the rest are counted
// and summed up in the next line.
constexpr int kFailureLinesPerSecond = 5;

// The token of "Bearer <token>" (the scheme is case-insensitive); empty
// when there is no such metadata.
absl::string_view BearerToken(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return {};
  absl::string_view value(it->second.data(), it->second.size());
  constexpr absl::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() ||
      !absl::EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme)) {
    return {};
  }
  return absl::StripAsciiWhitespace(value.substr(kScheme.size()));
}

}  // namespace

CallAuth::CallAuth(core::AccessControl* access, bool enabled)
    : access_(access),
      enabled_(enabled),
      log_(logging::Logger("auth")),
      log_throttle_(kFailureLinesPerSecond) {}

absl::StatusOr<core::Caller> CallAuth::Authenticate(
    const grpc::ServerContextBase& context, absl::string_view method) {
  if (!enabled_) return core::Caller{};
  absl::StatusOr<core::Caller> caller =
      access_->Authenticate(BearerToken(context));
  if (!caller.ok()) LogFailure(context, method, caller.status().message());
  return caller;
}

absl::Status CallAuth::Authorize(const core::Caller& caller,
                                 const core::Access& access) const {
  if (!enabled_) return absl::OkStatus();
  return access_->Authorize(caller, access);
}

absl::Status CallAuth::Verify(const core::Caller& caller) const {
  if (!enabled_) return absl::OkStatus();
  return access_->Verify(caller);
}

void CallAuth::LogFailure(const grpc::ServerContextBase& context,
                          absl::string_view method, absl::string_view reason) {
  uint64_t suppressed = 0;
  if (!log_throttle_.Allow(absl::Now(), &suppressed)) return;
  if (suppressed > 0) {
    logging::Warn(log_,
                  absl::StrCat(suppressed,
                               " more failed authentications were not logged"),
                  {{"suppressed", suppressed}});
  }
  logging::Warn(
      log_, "authentication failed",
      {{"reason", reason}, {"peer", context.peer()}, {"method", method}});
}

}  // namespace evrouter::transport
