#ifndef EVROUTER_STORAGE_PG_TIMESTAMPS_H_
#define EVROUTER_STORAGE_PG_TIMESTAMPS_H_

// Internal to the Postgres store: absl::Time <-> timestamptz. Timestamps go
// to the database as text in UTC and come back as integer microseconds since
// the Unix epoch, selected as
//   (EXTRACT(EPOCH FROM column) * 1000000)::bigint
// which is exact since PostgreSQL 14 (EXTRACT returns numeric).

#include <pqxx/pqxx>
#include <string>

#include "absl/time/time.h"

namespace evrouter {

// timestamptz input, truncated to microseconds, always in UTC; the infinite
// times become "-infinity" and "infinity".
std::string FormatTimestamp(absl::Time t);

// A field holding microseconds since the Unix epoch.
absl::Time TimeFromMicros(const pqxx::field& field);

}  // namespace evrouter

#endif  // EVROUTER_STORAGE_PG_TIMESTAMPS_H_
