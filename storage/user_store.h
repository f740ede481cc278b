#ifndef EVROUTER_STORAGE_USER_STORE_H_
#define EVROUTER_STORAGE_USER_STORE_H_

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/records.h"

namespace evrouter {

// Durable users, their permissions and token hashes. Implementations are
// thread-safe; errors are values (UNAVAILABLE while the database is
// unreachable).
class UserStore {
 public:
  virtual ~UserStore() = default;

  // Every user with permissions and tokens, sorted by name.
  virtual absl::StatusOr<std::vector<UserRecord>> LoadUsers() = 0;

  // Stores a new user with its permissions and tokens; ALREADY_EXISTS when
  // the name is taken.
  virtual absl::Status CreateUser(const UserRecord& user) = 0;

  // Deletes a user with its permissions and tokens; NOT_FOUND if absent.
  virtual absl::Status DeleteUser(std::string_view name) = 0;

  // Replaces the user's permissions; NOT_FOUND if the user is absent.
  virtual absl::Status SetPermissions(
      std::string_view user, const std::vector<Permission>& permissions) = 0;

  // Stores a token of `user`, replacing a token with the same id (of any
  // user); NOT_FOUND if the user is absent, ALREADY_EXISTS if another token
  // has the same hash.
  virtual absl::Status PutToken(std::string_view user,
                                const TokenRecord& token) = 0;

  // Deletes a token; NOT_FOUND if absent.
  virtual absl::Status DeleteToken(std::string_view id) = 0;
};

// An in-memory UserStore with the same semantics, for tests and for running
// without a database.
std::unique_ptr<UserStore> NewMemoryUserStore();

}  // namespace evrouter

#endif  // EVROUTER_STORAGE_USER_STORE_H_
