#ifndef EVROUTER_SERVER_CORE_ACCESS_CONTROL_H_
#define EVROUTER_SERVER_CORE_ACCESS_CONTROL_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "server/core/clock.h"
#include "storage/records.h"
#include "storage/user_store.h"

namespace evrouter::core {

// What a call needs: admin (name empty), or publish to the exchange / use of
// the queue `name`. The admin permission allows everything.
struct Access {
  PermissionAction action = PermissionAction::kAdmin;
  std::string name;
};

// An authenticated caller: the user and the token it presented.
struct Caller {
  std::string user;
  std::string token_id;
};

// A token as issued: `token` is shown to the caller once and never stored.
struct IssuedToken {
  std::string user;
  std::string token;
  TokenRecord record;
};

// The user the server bootstraps, and the id of the token given to it by
// EVROUTER_ADMIN_TOKEN / --admin-token-file.
inline constexpr char kBootstrapAdminUser[] = "admin";
inline constexpr char kBootstrapTokenId[] = "bootstrap";
// Tokens shorter than this are refused as an operator-given admin token.
inline constexpr size_t kMinBootstrapTokenLength = 16;

// Users, permissions and tokens: kept in memory, written through to a
// UserStore. Authenticates bearer tokens (only SHA-256 hashes are kept, in
// memory and in the store) and decides what a caller may do; changes take
// effect for the next check. Thread-safe; writes are serialized.
class AccessControl {
 public:
  // `store` and `clock` must outlive this.
  AccessControl(UserStore* store, Clock* clock);

  // Reads every user from the store (at start, before serving).
  absl::Status Load();

  // Makes sure an admin can log in. With `admin_token`, user "admin" exists,
  // holds the admin permission and that token (id "bootstrap", replacing an
  // earlier one); returns nullopt. Without it, when there are no users at
  // all, creates "admin" with a new token and returns that token (to be shown
  // once); otherwise returns nullopt. INVALID_ARGUMENT for a short token.
  absl::StatusOr<std::optional<std::string>> Bootstrap(
      const std::optional<std::string>& admin_token);

  // The caller holding `token`; UNAUTHENTICATED (and counted) when it is
  // empty, malformed, unknown or revoked.
  absl::StatusOr<Caller> Authenticate(absl::string_view token);

  // OK when `caller`'s user still exists, still holds its token and has a
  // permission covering `access`; UNAUTHENTICATED when the token or user is
  // gone; PERMISSION_DENIED otherwise. Messages never say whether the name
  // exists.
  absl::Status Authorize(const Caller& caller, const Access& access) const;

  // OK while `caller`'s user exists and holds its token; UNAUTHENTICATED
  // afterwards.
  absl::Status Verify(const Caller& caller) const;

  // Calls refused UNAUTHENTICATED so far.
  uint64_t auth_failures() const { return auth_failures_.load(); }

  // Admin operations, written to the store first. Names follow the rules of
  // exchange names; patterns those of topic bindings. INVALID_ARGUMENT,
  // NOT_FOUND, ALREADY_EXISTS or a store error.
  std::vector<UserRecord> ListUsers() const;
  absl::StatusOr<UserRecord> CreateUser(
      absl::string_view name, const std::vector<Permission>& permissions);
  absl::Status DeleteUser(absl::string_view name);
  absl::StatusOr<UserRecord> Grant(absl::string_view user,
                                   const Permission& permission);
  absl::StatusOr<UserRecord> Revoke(absl::string_view user,
                                    const Permission& permission);
  absl::StatusOr<IssuedToken> IssueToken(absl::string_view user,
                                         absl::string_view description);
  absl::Status RevokeToken(absl::string_view id);

  // Called after every change that can take access away (a user deleted, a
  // token or permission revoked), outside any lock: the transport re-checks
  // its open streams. Set before serving.
  void SetRevocationListener(std::function<void()> listener);

 private:
  absl::Status SetPermissions(absl::string_view user,
                              std::vector<Permission> permissions)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status PutToken(absl::string_view user, const TokenRecord& token)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  absl::Status CreateUserLocked(UserRecord user)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);
  void NotifyRevoked();
  const UserRecord* FindHolderLocked(const Caller& caller) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);

  UserStore* const store_;
  Clock* const clock_;
  std::function<void()> revocation_listener_;
  std::atomic<uint64_t> auth_failures_{0};

  // Held across a store write and the memory update after it.
  absl::Mutex write_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, UserRecord> users_ ABSL_GUARDED_BY(mu_);
  // Token hash -> the caller it authenticates.
  absl::flat_hash_map<std::string, Caller> tokens_ ABSL_GUARDED_BY(mu_);
};

// A new random token "evr_<id>_<secret>": a 12-hex-digit public id and 256
// random bits; and the SHA-256 of a token, as stored.
IssuedToken NewToken(absl::string_view user, absl::string_view description,
                     absl::Time now);
std::string HashToken(absl::string_view token);

// OK when `pattern` is a valid permission pattern (topic syntax over names),
// INVALID_ARGUMENT naming `field` otherwise; admin takes no pattern.
absl::Status ValidatePermission(absl::string_view field,
                                const Permission& permission);

}  // namespace evrouter::core

#endif  // EVROUTER_SERVER_CORE_ACCESS_CONTROL_H_
