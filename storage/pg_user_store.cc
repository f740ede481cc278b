#include "storage/pg_user_store.h"

#include <map>
#include <pqxx/pqxx>
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/pg_connection_pool.h"
#include "storage/pg_timestamps.h"

namespace evrouter {
namespace {

absl::string_view AsAbsl(std::string_view s) { return {s.data(), s.size()}; }

constexpr std::string_view kLoadUsers = R"sql(
SELECT name, (EXTRACT(EPOCH FROM created_at) * 1000000)::bigint
FROM users ORDER BY name COLLATE "C")sql";

constexpr std::string_view kLoadPermissions = R"sql(
SELECT user_name, action, pattern FROM user_permissions
ORDER BY user_name COLLATE "C", action, pattern COLLATE "C")sql";

constexpr std::string_view kLoadTokens = R"sql(
SELECT user_name, id, encode(hash, 'hex'), description,
       (EXTRACT(EPOCH FROM created_at) * 1000000)::bigint
FROM user_tokens ORDER BY user_name COLLATE "C", id COLLATE "C")sql";

constexpr std::string_view kInsertUser = R"sql(
INSERT INTO users (name, created_at) VALUES ($1, $2::timestamptz)
ON CONFLICT (name) DO NOTHING)sql";

constexpr std::string_view kDeleteUser = "DELETE FROM users WHERE name = $1";

// Locks the user row, so that a concurrent delete waits or is seen.
constexpr std::string_view kLockUser =
    "SELECT 1 FROM users WHERE name = $1 FOR UPDATE";

constexpr std::string_view kDeletePermissions =
    "DELETE FROM user_permissions WHERE user_name = $1";

constexpr std::string_view kInsertPermission = R"sql(
INSERT INTO user_permissions (user_name, action, pattern) VALUES ($1, $2, $3)
ON CONFLICT DO NOTHING)sql";

// Replaces a token of the same id; a clash on the hash is a unique violation.
constexpr std::string_view kUpsertToken = R"sql(
INSERT INTO user_tokens (id, user_name, hash, description, created_at)
VALUES ($1, $2, decode($3, 'hex'), $4, $5::timestamptz)
ON CONFLICT (id) DO UPDATE
SET user_name = EXCLUDED.user_name, hash = EXCLUDED.hash,
    description = EXCLUDED.description, created_at = EXCLUDED.created_at)sql";

constexpr std::string_view kDeleteToken =
    "DELETE FROM user_tokens WHERE id = $1";

std::string Text(const pqxx::field& field) {
  return std::string(field.c_str(), field.size());
}

absl::Status UserNotFound(std::string_view name) {
  return absl::NotFoundError(
      absl::StrCat("user '", AsAbsl(name), "' not found"));
}

void InsertPermissions(pqxx::work& tx, std::string_view user,
                       const std::vector<Permission>& permissions) {
  for (const Permission& permission : permissions) {
    tx.exec_params(std::string(kInsertPermission), std::string(user),
                   static_cast<int>(permission.action), permission.pattern);
  }
}

void UpsertToken(pqxx::work& tx, std::string_view user,
                 const TokenRecord& token) {
  tx.exec_params(std::string(kUpsertToken), token.id, std::string(user),
                 absl::BytesToHexString(token.hash), token.description,
                 FormatTimestamp(token.created_at));
}

class PgUserStore final : public UserStore {
 public:
  PgUserStore(std::string dsn, int pool_size)
      : pool_(std::move(dsn), pool_size) {}

  absl::StatusOr<std::vector<UserRecord>> LoadUsers() override {
    std::vector<UserRecord> out;
    absl::Status status =
        pool_.Run("load users", nullptr, [&](pqxx::connection& conn) {
          out.clear();
          pqxx::read_transaction tx(conn);
          std::map<std::string, UserRecord> users;
          for (const pqxx::row& row : tx.exec(std::string(kLoadUsers))) {
            UserRecord& user = users[Text(row[0])];
            user.name = Text(row[0]);
            user.created_at = TimeFromMicros(row[1]);
          }
          for (const pqxx::row& row : tx.exec(std::string(kLoadPermissions))) {
            users[Text(row[0])].permissions.push_back(
                {static_cast<PermissionAction>(row[1].as<int>()),
                 Text(row[2])});
          }
          for (const pqxx::row& row : tx.exec(std::string(kLoadTokens))) {
            users[Text(row[0])].tokens.push_back(
                {.id = Text(row[1]),
                 .hash = absl::HexStringToBytes(AsAbsl(Text(row[2]))),
                 .description = Text(row[3]),
                 .created_at = TimeFromMicros(row[4])});
          }
          for (auto& [name, user] : users) out.push_back(std::move(user));
          return absl::OkStatus();
        });
    if (!status.ok()) return status;
    return out;
  }

  absl::Status CreateUser(const UserRecord& user) override {
    bool commit_started = false;
    return pool_.Run("create user", &commit_started,
                     [&](pqxx::connection& conn) -> absl::Status {
                       pqxx::work tx(conn);
                       pqxx::result inserted =
                           tx.exec_params(std::string(kInsertUser), user.name,
                                          FormatTimestamp(user.created_at));
                       if (inserted.affected_rows() == 0) {
                         return absl::AlreadyExistsError(absl::StrCat(
                             "user '", user.name, "' already exists"));
                       }
                       InsertPermissions(tx, user.name, user.permissions);
                       for (const TokenRecord& token : user.tokens) {
                         UpsertToken(tx, user.name, token);
                       }
                       commit_started = true;
                       tx.commit();
                       return absl::OkStatus();
                     });
  }

  absl::Status DeleteUser(std::string_view name) override {
    bool commit_started = false;
    return pool_.Run("delete user", &commit_started,
                     [&](pqxx::connection& conn) -> absl::Status {
                       pqxx::work tx(conn);
                       pqxx::result deleted = tx.exec_params(
                           std::string(kDeleteUser), std::string(name));
                       commit_started = true;
                       tx.commit();
                       if (deleted.affected_rows() == 0) {
                         return UserNotFound(name);
                       }
                       return absl::OkStatus();
                     });
  }

  absl::Status SetPermissions(
      std::string_view user,
      const std::vector<Permission>& permissions) override {
    bool commit_started = false;
    return pool_.Run(
        "set permissions", &commit_started,
        [&](pqxx::connection& conn) -> absl::Status {
          pqxx::work tx(conn);
          if (tx.exec_params(std::string(kLockUser), std::string(user))
                  .empty()) {
            return UserNotFound(user);
          }
          tx.exec_params(std::string(kDeletePermissions), std::string(user));
          InsertPermissions(tx, user, permissions);
          commit_started = true;
          tx.commit();
          return absl::OkStatus();
        });
  }

  absl::Status PutToken(std::string_view user,
                        const TokenRecord& token) override {
    bool commit_started = false;
    return pool_.Run(
        "store token", &commit_started,
        [&](pqxx::connection& conn) -> absl::Status {
          pqxx::work tx(conn);
          if (tx.exec_params(std::string(kLockUser), std::string(user))
                  .empty()) {
            return UserNotFound(user);
          }
          try {
            UpsertToken(tx, user, token);
          } catch (const pqxx::unique_violation&) {
            return absl::AlreadyExistsError(
                absl::StrCat("token '", token.id, "' already exists"));
          }
          commit_started = true;
          tx.commit();
          return absl::OkStatus();
        });
  }

  absl::Status DeleteToken(std::string_view id) override {
    bool commit_started = false;
    return pool_.Run("delete token", &commit_started,
                     [&](pqxx::connection& conn) -> absl::Status {
                       pqxx::work tx(conn);
                       pqxx::result deleted = tx.exec_params(
                           std::string(kDeleteToken), std::string(id));
                       commit_started = true;
                       tx.commit();
                       if (deleted.affected_rows() == 0) {
                         return absl::NotFoundError(absl::StrCat(
                             "token '", AsAbsl(id), "' not found"));
                       }
                       return absl::OkStatus();
                     });
  }

 private:
  PgConnectionPool pool_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<UserStore>> NewPgUserStore(
    const PgStoreOptions& options) {
  if (options.pool_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("pool_size must be at least 1, got ", options.pool_size));
  }
  return std::make_unique<PgUserStore>(
      WithConnectionDefaults(options.dsn, options.connect_timeout),
      options.pool_size);
}

}  // namespace evrouter
