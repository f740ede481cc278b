#ifndef EVROUTER_STORAGE_PG_USER_STORE_H_
#define EVROUTER_STORAGE_PG_USER_STORE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "storage/pg_event_store.h"
#include "storage/user_store.h"

namespace evrouter {

// Opens a UserStore on PostgreSQL (tables users, user_permissions and
// user_tokens of migrations/0004). Like NewPgEventStore it connects lazily
// and recovers by itself after an outage; `options.pool_size` connections at
// most (users change rarely: one is plenty). Thread-safe.
absl::StatusOr<std::unique_ptr<UserStore>> NewPgUserStore(
    const PgStoreOptions& options);

}  // namespace evrouter

#endif  // EVROUTER_STORAGE_PG_USER_STORE_H_
