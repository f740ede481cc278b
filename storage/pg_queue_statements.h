#ifndef EVROUTER_STORAGE_PG_QUEUE_STATEMENTS_H_
#define EVROUTER_STORAGE_PG_QUEUE_STATEMENTS_H_

// Internal to the Postgres store: the queue and consumer operations of
// EventStore, each run on a connection lent by PgConnectionPool::Run. They may
// throw libpqxx exceptions (the pool maps them to a status); callers check
// input with storage/store_checks.h first. Those that write set
// `*commit_started` before committing.

#include <cstdint>
#include <pqxx/pqxx>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "storage/records.h"

namespace evrouter {

// Every queue, sorted by name (bytewise).
absl::Status PgLoadQueues(pqxx::connection& conn,
                          std::vector<QueueRecord>* out);

// Inserts the queue unless one of that name exists; `*record` is the new or
// the existing row and `*created` tells which (the caller compares specs).
// NOT_FOUND when the exchange does not exist.
absl::Status PgCreateQueue(pqxx::connection& conn, const QueueRecord& spec,
                           QueueRecord* record, bool* created,
                           bool* commit_started);

// Deletes the queue (its consumers cascade). NOT_FOUND if absent.
absl::Status PgDeleteQueue(pqxx::connection& conn, std::string_view name,
                           bool* commit_started);

// Every consumer, sorted by queue_id, then name (bytewise).
absl::Status PgLoadConsumers(pqxx::connection& conn,
                             std::vector<ConsumerRecord>* out);

// Upserts `consumers` in one statement, in key order, skipping those whose
// queue is gone; retried once when a queue is deleted concurrently. A key
// given twice is saved as if the two were saved one after the other.
absl::Status PgSaveConsumers(pqxx::connection& conn,
                             absl::Span<const ConsumerRecord> consumers,
                             bool* commit_started);

// Deletes one consumer; OK also when it was not stored.
absl::Status PgDeleteConsumer(pqxx::connection& conn, int64_t queue_id,
                              std::string_view name, bool* commit_started);

}  // namespace evrouter

#endif  // EVROUTER_STORAGE_PG_QUEUE_STATEMENTS_H_
