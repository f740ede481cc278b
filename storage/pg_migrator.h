#ifndef EVROUTER_STORAGE_PG_MIGRATOR_H_
#define EVROUTER_STORAGE_PG_MIGRATOR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "storage/migrations.h"

namespace evrouter {

// Key of the transaction-scoped advisory lock that serializes migrators: the
// ASCII bytes of "evrouter" read as a big-endian integer.
inline constexpr int64_t kMigrationLockKey = 0x6576726f75746572;

// Brings the database at `dsn` up to date: creates schema_migrations if
// missing, then applies, in version order, every migration whose version is
// not recorded there, each in one transaction with its schema_migrations row
// and under kMigrationLockKey, so concurrent callers are safe. Logs each
// applied migration. INVALID_ARGUMENT for duplicate or non-positive versions.
absl::Status ApplyMigrations(const std::string& dsn,
                             const std::vector<Migration>& migrations);

// `dsn` with its password replaced by "****", for logs and messages. Handles
// postgresql://user:secret@host/db, ?password=secret in URIs, and the
// key=value form including quoted values (password='a b').
std::string MaskDsnPassword(std::string_view dsn);

}  // namespace evrouter

#endif  // EVROUTER_STORAGE_PG_MIGRATOR_H_
