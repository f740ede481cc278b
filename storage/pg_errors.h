#ifndef EVROUTER_STORAGE_PG_ERRORS_H_
#define EVROUTER_STORAGE_PG_ERRORS_H_

#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"

namespace evrouter {

// Maps the exception currently being handled (call only inside a catch block)
// to a status: lost connection, admin shutdown or unknown commit outcome ->
// UNAVAILABLE; unique violation -> ALREADY_EXISTS; foreign key violation ->
// NOT_FOUND; serialization failure or deadlock -> ABORTED (retry); anything
// else -> INTERNAL. `what` names the operation and prefixes the message.
absl::Status StatusFromCurrentException(std::string_view what);

// The same mapping for an error reported by libpq directly: its SQLSTATE
// (may be empty) and message.
absl::Status StatusFromSqlState(std::string_view what,
                                std::string_view sqlstate,
                                std::string_view message);

// Runs `fn` and returns its status; any exception it throws is mapped with
// StatusFromCurrentException. Exceptions never escape.
absl::Status RunMappingPgErrors(std::string_view what,
                                absl::FunctionRef<absl::Status()> fn);

// True when `status` means the connection it came from can no longer be used
// (UNAVAILABLE), so the pool must discard it.
bool IsConnectionLost(const absl::Status& status);

}  // namespace evrouter

#endif  // EVROUTER_STORAGE_PG_ERRORS_H_
