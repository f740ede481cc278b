#ifndef EVROUTER_STORAGE_PG_EVENT_STORE_H_
#define EVROUTER_STORAGE_PG_EVENT_STORE_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/event_store.h"

namespace evrouter {

struct PgStoreOptions {
  // libpq connection string, URI (postgresql://...) or key=value form.
  std::string dsn;
  // Connections opened at most; callers block while all are borrowed.
  int pool_size = 4;
  // Added to the DSN as connect_timeout (whole seconds, at least 2) unless the
  // DSN already sets one.
  absl::Duration connect_timeout = absl::Seconds(5);
};

// Opens an EventStore on PostgreSQL with the schema of migrations/ applied
// (see ApplyMigrations). Connections are opened lazily, so this fails only on
// invalid options; an unreachable database shows up as UNAVAILABLE from the
// methods, and the store recovers by itself once the database is back.
// Thread-safe.
absl::StatusOr<std::unique_ptr<EventStore>> NewPgEventStore(
    const PgStoreOptions& options);

// Returns `dsn` with connect_timeout and TCP keepalive settings appended for
// those keys the DSN does not set already. Handles URI and key=value forms.
std::string WithConnectionDefaults(std::string_view dsn,
                                   absl::Duration connect_timeout);

}  // namespace evrouter

#endif  // EVROUTER_STORAGE_PG_EVENT_STORE_H_
