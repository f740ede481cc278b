#include "server/core/access_control.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/core/topic_matcher.h"
#include "server/core/validation.h"

namespace evrouter::core {
namespace {

// Longer bearer values are refused without hashing them.
constexpr size_t kMaxTokenLength = 1024;
constexpr size_t kMaxDescriptionLength = 256;
constexpr size_t kMaxPermissions = 64;
constexpr size_t kMaxTokensPerUser = 64;

std::string RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()),
                 static_cast<int>(n)) != 1) {
    // No entropy: issuing a guessable token is worse than stopping.
    std::abort();
  }
  return bytes;
}

absl::Status UserNotFound(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat("user '", name, "' not found"));
}

bool Covers(const Permission& permission, const Access& access) {
  if (permission.action == PermissionAction::kAdmin) return true;
  return permission.action == access.action &&
         access.action != PermissionAction::kAdmin &&
         TopicMatches(permission.pattern, access.name);
}

}  // namespace

std::string HashToken(absl::string_view token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(token.data(), token.size(), digest, &length, EVP_sha256(),
                 nullptr) != 1) {
    std::abort();
  }
  return std::string(reinterpret_cast<const char*>(digest), length);
}

IssuedToken NewToken(absl::string_view user, absl::string_view description,
                     absl::Time now) {
  IssuedToken issued;
  issued.user = std::string(user);
  issued.record.id = absl::BytesToHexString(RandomBytes(6));
  issued.token = absl::StrCat("evr_", issued.record.id, "_",
                              absl::WebSafeBase64Escape(RandomBytes(32)));
  issued.record.hash = HashToken(issued.token);
  issued.record.description = std::string(description);
  issued.record.created_at = now;
  return issued;
}

absl::Status ValidatePermission(absl::string_view field,
                                const Permission& permission) {
  switch (permission.action) {
    case PermissionAction::kAdmin:
      if (!permission.pattern.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".pattern: admin takes no pattern"));
      }
      return absl::OkStatus();
    case PermissionAction::kPublish:
    case PermissionAction::kSubscribe:
      if (permission.pattern.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(field,
                         ".pattern: required for publish and subscribe ('#' is "
                         "every name)"));
      }
      return ValidateBindingKey(absl::StrCat(field, ".pattern"),
                                ExchangeKind::kTopic, permission.pattern);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(field, ".action: must be admin, publish or subscribe"));
}

AccessControl::AccessControl(UserStore* store, Clock* clock)
    : store_(store), clock_(clock) {}

absl::Status AccessControl::Load() {
  absl::StatusOr<std::vector<UserRecord>> users = store_->LoadUsers();
  if (!users.ok()) return users.status();
  absl::MutexLock lock(&mu_);
  users_.clear();
  tokens_.clear();
  for (UserRecord& user : *users) {
    for (const TokenRecord& token : user.tokens) {
      tokens_[token.hash] = Caller{user.name, token.id};
    }
    std::string name = user.name;
    users_[name] = std::move(user);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> AccessControl::Bootstrap(
    const std::optional<std::string>& admin_token) {
  absl::MutexLock write(&write_mu_);
  bool admin_exists;
  bool any_user;
  bool is_admin = false;
  {
    absl::MutexLock lock(&mu_);
    any_user = !users_.empty();
    auto it = users_.find(kBootstrapAdminUser);
    admin_exists = it != users_.end();
    if (admin_exists) {
      for (const Permission& p : it->second.permissions) {
        is_admin |= p.action == PermissionAction::kAdmin;
      }
    }
  }
  const Permission admin{PermissionAction::kAdmin, ""};
  if (!admin_token.has_value()) {
    if (any_user) return std::optional<std::string>();
    IssuedToken issued =
        NewToken(kBootstrapAdminUser, "created at first start", clock_->Now());
    UserRecord user{.name = kBootstrapAdminUser,
                    .permissions = {admin},
                    .tokens = {issued.record},
                    .created_at = clock_->Now()};
    if (absl::Status status = CreateUserLocked(std::move(user)); !status.ok()) {
      return status;
    }
    return std::optional<std::string>(issued.token);
  }
  if (admin_token->size() < kMinBootstrapTokenLength ||
      admin_token->size() > kMaxTokenLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("the admin token must be ", kMinBootstrapTokenLength,
                     " to ", kMaxTokenLength,
                     " characters long (a random one, e.g. from "
                     "`openssl rand -base64 32`)"));
  }
  if (!admin_exists) {
    UserRecord user{.name = kBootstrapAdminUser,
                    .permissions = {admin},
                    .created_at = clock_->Now()};
    if (absl::Status status = CreateUserLocked(std::move(user)); !status.ok()) {
      return status;
    }
  } else if (!is_admin) {
    std::vector<Permission> permissions;
    {
      absl::MutexLock lock(&mu_);
      permissions = users_[kBootstrapAdminUser].permissions;
    }
    permissions.push_back(admin);
    if (absl::Status status =
            SetPermissions(kBootstrapAdminUser, std::move(permissions));
        !status.ok()) {
      return status;
    }
  }
  TokenRecord token{.id = kBootstrapTokenId,
                    .hash = HashToken(*admin_token),
                    .description = "the operator's admin token",
                    .created_at = clock_->Now()};
  {
    absl::MutexLock lock(&mu_);
    auto known = tokens_.find(token.hash);
    if (known != tokens_.end()) {
      if (known->second.user == kBootstrapAdminUser &&
          known->second.token_id == kBootstrapTokenId) {
        return std::optional<std::string>();  // unchanged since last start
      }
      return absl::AlreadyExistsError(
          "the admin token is already a token of another user or id; choose "
          "another");
    }
  }
  // Replaces an earlier bootstrap token (bootstrap runs before serving, so
  // no stream holds it).
  if (absl::Status status = PutToken(kBootstrapAdminUser, token);
      !status.ok()) {
    return status;
  }
  return std::optional<std::string>();
}

absl::StatusOr<Caller> AccessControl::Authenticate(absl::string_view token) {
  if (token.empty() || token.size() > kMaxTokenLength) {
    ++auth_failures_;
    return absl::UnauthenticatedError(token.empty() ? "missing bearer token"
                                                    : "invalid bearer token");
  }
  const std::string hash = HashToken(token);
  absl::ReaderMutexLock lock(&mu_);
  auto it = tokens_.find(hash);
  if (it == tokens_.end()) {
    ++auth_failures_;
    return absl::UnauthenticatedError("invalid bearer token");
  }
  return it->second;
}

const UserRecord* AccessControl::FindHolderLocked(const Caller& caller) const {
  auto user = users_.find(caller.user);
  if (user == users_.end()) return nullptr;
  for (const TokenRecord& token : user->second.tokens) {
    if (token.id == caller.token_id) return &user->second;
  }
  return nullptr;
}

absl::Status AccessControl::Verify(const Caller& caller) const {
  absl::ReaderMutexLock lock(&mu_);
  if (FindHolderLocked(caller) == nullptr) {
    return absl::UnauthenticatedError("the bearer token was revoked");
  }
  return absl::OkStatus();
}

absl::Status AccessControl::Authorize(const Caller& caller,
                                      const Access& access) const {
  absl::ReaderMutexLock lock(&mu_);
  const UserRecord* user = FindHolderLocked(caller);
  if (user == nullptr) {
    return absl::UnauthenticatedError("the bearer token was revoked");
  }
  for (const Permission& permission : user->permissions) {
    if (Covers(permission, access)) return absl::OkStatus();
  }
  return absl::PermissionDeniedError("permission denied");
}

std::vector<UserRecord> AccessControl::ListUsers() const {
  absl::ReaderMutexLock lock(&mu_);
  std::vector<UserRecord> users;
  users.reserve(users_.size());
  for (const auto& [name, user] : users_) users.push_back(user);
  std::sort(
      users.begin(), users.end(),
      [](const UserRecord& a, const UserRecord& b) { return a.name < b.name; });
  return users;
}

absl::StatusOr<UserRecord> AccessControl::CreateUser(
    absl::string_view name, const std::vector<Permission>& permissions) {
  if (absl::Status status = ValidateName("name", name); !status.ok()) {
    return status;
  }
  if (permissions.size() > kMaxPermissions) {
    return absl::InvalidArgumentError(
        absl::StrCat("permissions: at most ", kMaxPermissions));
  }
  for (size_t i = 0; i < permissions.size(); ++i) {
    if (absl::Status status = ValidatePermission(
            absl::StrCat("permissions[", i, "]"), permissions[i]);
        !status.ok()) {
      return status;
    }
  }
  UserRecord user{.name = std::string(name),
                  .permissions = permissions,
                  .created_at = clock_->Now()};
  std::sort(user.permissions.begin(), user.permissions.end());
  user.permissions.erase(
      std::unique(user.permissions.begin(), user.permissions.end()),
      user.permissions.end());
  absl::MutexLock write(&write_mu_);
  if (absl::Status status = CreateUserLocked(user); !status.ok()) {
    return status;
  }
  return user;
}

absl::Status AccessControl::CreateUserLocked(UserRecord user) {
  if (absl::Status status = store_->CreateUser(user); !status.ok()) {
    return status;
  }
  absl::MutexLock lock(&mu_);
  for (const TokenRecord& token : user.tokens) {
    tokens_[token.hash] = Caller{user.name, token.id};
  }
  std::string name = user.name;
  users_[name] = std::move(user);
  return absl::OkStatus();
}

absl::Status AccessControl::DeleteUser(absl::string_view name) {
  {
    absl::MutexLock write(&write_mu_);
    if (absl::Status status =
            store_->DeleteUser(std::string_view(name.data(), name.size()));
        !status.ok()) {
      return status;
    }
    absl::MutexLock lock(&mu_);
    auto it = users_.find(name);
    if (it != users_.end()) {
      for (const TokenRecord& token : it->second.tokens) {
        tokens_.erase(token.hash);
      }
      users_.erase(it);
    }
  }
  NotifyRevoked();
  return absl::OkStatus();
}

absl::StatusOr<UserRecord> AccessControl::Grant(absl::string_view user,
                                                const Permission& permission) {
  if (absl::Status status = ValidatePermission("permission", permission);
      !status.ok()) {
    return status;
  }
  absl::MutexLock write(&write_mu_);
  std::vector<Permission> permissions;
  {
    absl::MutexLock lock(&mu_);
    auto it = users_.find(user);
    if (it == users_.end()) return UserNotFound(user);
    permissions = it->second.permissions;
  }
  if (std::find(permissions.begin(), permissions.end(), permission) ==
      permissions.end()) {
    if (permissions.size() >= kMaxPermissions) {
      return absl::FailedPreconditionError(absl::StrCat(
          "user '", user, "' already has ", kMaxPermissions, " permissions"));
    }
    permissions.push_back(permission);
    if (absl::Status status = SetPermissions(user, std::move(permissions));
        !status.ok()) {
      return status;
    }
  }
  absl::MutexLock lock(&mu_);
  return users_[user];
}

absl::StatusOr<UserRecord> AccessControl::Revoke(absl::string_view user,
                                                 const Permission& permission) {
  if (absl::Status status = ValidatePermission("permission", permission);
      !status.ok()) {
    return status;
  }
  UserRecord result;
  {
    absl::MutexLock write(&write_mu_);
    std::vector<Permission> permissions;
    {
      absl::MutexLock lock(&mu_);
      auto it = users_.find(user);
      if (it == users_.end()) return UserNotFound(user);
      permissions = it->second.permissions;
    }
    auto it = std::find(permissions.begin(), permissions.end(), permission);
    if (it != permissions.end()) {
      permissions.erase(it);
      if (absl::Status status = SetPermissions(user, std::move(permissions));
          !status.ok()) {
        return status;
      }
    }
    absl::MutexLock lock(&mu_);
    result = users_[user];
  }
  NotifyRevoked();
  return result;
}

absl::Status AccessControl::SetPermissions(
    absl::string_view user, std::vector<Permission> permissions) {
  std::sort(permissions.begin(), permissions.end());
  if (absl::Status status = store_->SetPermissions(
          std::string_view(user.data(), user.size()), permissions);
      !status.ok()) {
    return status;
  }
  absl::MutexLock lock(&mu_);
  users_[user].permissions = std::move(permissions);
  return absl::OkStatus();
}

absl::StatusOr<IssuedToken> AccessControl::IssueToken(
    absl::string_view user, absl::string_view description) {
  if (absl::Status status = ValidateUtf8("description", description);
      !status.ok()) {
    return status;
  }
  if (description.size() > kMaxDescriptionLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("description: at most ", kMaxDescriptionLength, " bytes"));
  }
  absl::MutexLock write(&write_mu_);
  {
    absl::MutexLock lock(&mu_);
    auto it = users_.find(user);
    if (it == users_.end()) return UserNotFound(user);
    if (it->second.tokens.size() >= kMaxTokensPerUser) {
      return absl::FailedPreconditionError(
          absl::StrCat("user '", user, "' already holds ", kMaxTokensPerUser,
                       " tokens; revoke one first"));
    }
  }
  IssuedToken issued = NewToken(user, description, clock_->Now());
  if (absl::Status status = PutToken(user, issued.record); !status.ok()) {
    return status;
  }
  return issued;
}

absl::Status AccessControl::PutToken(absl::string_view user,
                                     const TokenRecord& token) {
  if (absl::Status status =
          store_->PutToken(std::string_view(user.data(), user.size()), token);
      !status.ok()) {
    return status;
  }
  absl::MutexLock lock(&mu_);
  // A token of the same id (the bootstrap token) is replaced.
  for (auto& [name, holder] : users_) {
    auto& tokens = holder.tokens;
    for (auto it = tokens.begin(); it != tokens.end(); ++it) {
      if (it->id == token.id) {
        tokens_.erase(it->hash);
        tokens.erase(it);
        break;
      }
    }
  }
  std::vector<TokenRecord>& tokens = users_[user].tokens;
  tokens.insert(
      std::lower_bound(tokens.begin(), tokens.end(), token,
                       [](const TokenRecord& a, const TokenRecord& b) {
                         return a.id < b.id;
                       }),
      token);
  tokens_[token.hash] = Caller{std::string(user), token.id};
  return absl::OkStatus();
}

absl::Status AccessControl::RevokeToken(absl::string_view id) {
  {
    absl::MutexLock write(&write_mu_);
    if (absl::Status status =
            store_->DeleteToken(std::string_view(id.data(), id.size()));
        !status.ok()) {
      return status;
    }
    absl::MutexLock lock(&mu_);
    for (auto& [name, user] : users_) {
      auto it = std::find_if(
          user.tokens.begin(), user.tokens.end(),
          [&](const TokenRecord& token) { return token.id == id; });
      if (it != user.tokens.end()) {
        tokens_.erase(it->hash);
        user.tokens.erase(it);
        break;
      }
    }
  }
  NotifyRevoked();
  return absl::OkStatus();
}

void AccessControl::SetRevocationListener(std::function<void()> listener) {
  revocation_listener_ = std::move(listener);
}

void AccessControl::NotifyRevoked() {
  if (revocation_listener_) revocation_listener_();
}

}  // namespace evrouter::core
