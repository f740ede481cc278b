#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "storage/user_store.h"

namespace evrouter {
namespace {

absl::string_view AsAbsl(std::string_view s) { return {s.data(), s.size()}; }

class MemoryUserStore final : public UserStore {
 public:
  absl::StatusOr<std::vector<UserRecord>> LoadUsers() override {
    absl::MutexLock lock(&mu_);
    std::vector<UserRecord> out;
    for (const auto& [name, user] : users_) out.push_back(user);
    return out;
  }

  absl::Status CreateUser(const UserRecord& user) override {
    absl::MutexLock lock(&mu_);
    if (users_.contains(user.name)) {
      return absl::AlreadyExistsError(
          absl::StrCat("user '", user.name, "' already exists"));
    }
    for (const TokenRecord& token : user.tokens) {
      if (absl::Status status = CheckNewTokenLocked(token); !status.ok()) {
        return status;
      }
    }
    users_[user.name] = user;
    return absl::OkStatus();
  }

  absl::Status DeleteUser(std::string_view name) override {
    absl::MutexLock lock(&mu_);
    if (users_.erase(std::string(name)) == 0) return UserNotFound(name);
    return absl::OkStatus();
  }

  absl::Status SetPermissions(
      std::string_view user,
      const std::vector<Permission>& permissions) override {
    absl::MutexLock lock(&mu_);
    auto it = users_.find(std::string(user));
    if (it == users_.end()) return UserNotFound(user);
    it->second.permissions = permissions;
    return absl::OkStatus();
  }

  absl::Status PutToken(std::string_view user,
                        const TokenRecord& token) override {
    absl::MutexLock lock(&mu_);
    auto owner = users_.find(std::string(user));
    if (owner == users_.end()) return UserNotFound(user);
    RemoveTokenLocked(token.id);
    if (absl::Status status = CheckNewTokenLocked(token); !status.ok()) {
      return status;
    }
    std::vector<TokenRecord>& tokens = owner->second.tokens;
    auto at = std::lower_bound(
        tokens.begin(), tokens.end(), token,
        [](const TokenRecord& a, const TokenRecord& b) { return a.id < b.id; });
    tokens.insert(at, token);
    return absl::OkStatus();
  }

  absl::Status DeleteToken(std::string_view id) override {
    absl::MutexLock lock(&mu_);
    if (!RemoveTokenLocked(id)) {
      return absl::NotFoundError(
          absl::StrCat("token '", AsAbsl(id), "' not found"));
    }
    return absl::OkStatus();
  }

 private:
  static absl::Status UserNotFound(std::string_view name) {
    return absl::NotFoundError(
        absl::StrCat("user '", AsAbsl(name), "' not found"));
  }

  absl::Status CheckNewTokenLocked(const TokenRecord& token)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const auto& [name, user] : users_) {
      for (const TokenRecord& existing : user.tokens) {
        if (existing.id == token.id || existing.hash == token.hash) {
          return absl::AlreadyExistsError(
              absl::StrCat("token '", token.id, "' already exists"));
        }
      }
    }
    return absl::OkStatus();
  }

  bool RemoveTokenLocked(std::string_view id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (auto& [name, user] : users_) {
      for (auto it = user.tokens.begin(); it != user.tokens.end(); ++it) {
        if (it->id == id) {
          user.tokens.erase(it);
          return true;
        }
      }
    }
    return false;
  }

  absl::Mutex mu_;
  std::map<std::string, UserRecord> users_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<UserStore> NewMemoryUserStore() {
  return std::make_unique<MemoryUserStore>();
}

}  // namespace evrouter
