#ifndef EVROUTER_STORAGE_STORE_CHECKS_H_
#define EVROUTER_STORAGE_STORE_CHECKS_H_

// Internal to the stores: input checks and conflict messages shared by the
// Postgres and in-memory stores, so both answer the same input alike.

#include <string_view>

#include "absl/status/status.h"
#include "storage/records.h"

namespace evrouter {

// INVALID_ARGUMENT unless the queue fits the schema: limit_size in
// 1..INT32_MAX, start_offset at most INT64_MAX.
absl::Status CheckQueueSpec(const QueueRecord& spec);

// OK when `existing` has the exchange_id, bindings and limit_size of `spec`;
// otherwise ALREADY_EXISTS naming what differs.
absl::Status CheckSameQueue(const QueueRecord& existing,
                            const QueueRecord& spec);

// INVALID_ARGUMENT unless the consumer fits the schema: committed_offset at
// most INT64_MAX, finite times.
absl::Status CheckConsumer(const ConsumerRecord& consumer);

}  // namespace evrouter

#endif  // EVROUTER_STORAGE_STORE_CHECKS_H_
