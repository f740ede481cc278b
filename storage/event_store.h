#ifndef EVROUTER_STORAGE_EVENT_STORE_H_
#define EVROUTER_STORAGE_EVENT_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "storage/records.h"

namespace evrouter {

// Durable storage of exchanges and their events. Every method blocks until the
// store answered, so callers run them on storage threads, never on gRPC
// reactor threads. Implementations are safe for concurrent use from many
// threads. Errors: NOT_FOUND, ALREADY_EXISTS, ABORTED (a conflict worth
// retrying, e.g. offsets another writer took), UNAVAILABLE (the database
// cannot be reached or the connection broke; a write may or may not have
// committed), INTERNAL for anything else.
class EventStore {
 public:
  virtual ~EventStore() = default;

  // Every exchange with its head offset, sorted by name.
  virtual absl::StatusOr<std::vector<ExchangeRecord>> LoadExchanges() = 0;

  // Creates the exchange, or returns the existing one when it has the same
  // kind; ALREADY_EXISTS when it exists with another kind. `created` tells
  // which happened.
  virtual absl::StatusOr<ExchangeRecord> CreateExchange(std::string_view name,
                                                        ExchangeKind kind,
                                                        bool* created) = 0;

  // Deletes the exchange and all its events. NOT_FOUND if absent.
  virtual absl::Status DeleteExchange(std::string_view name) = 0;

  // Stores `events` (offsets and stored_at already assigned, contiguous and
  // following the exchange's head) in one transaction: all or nothing. OK means
  // committed; ABORTED when the offsets do not follow the stored head or were
  // taken meanwhile (nothing stored).
  virtual absl::Status AppendEvents(int64_t exchange_id,
                                    absl::Span<const Event> events) = 0;

  // The highest stored offset of the exchange, 0 when empty.
  virtual absl::StatusOr<uint64_t> HeadOffset(int64_t exchange_id) = 0;

  // Publisher-set ids of events stored at or after `since`, or with an
  // offset above `after_offset`, in offset order: reloads the dedup window.
  virtual absl::StatusOr<std::vector<StoredId>> RecentIds(
      int64_t exchange_id, absl::Time since, uint64_t after_offset) = 0;

  // Up to `limit` events with offset >= `from_offset`, in offset order.
  virtual absl::StatusOr<std::vector<Event>> ReadEvents(int64_t exchange_id,
                                                        uint64_t from_offset,
                                                        size_t limit) = 0;

  // The smallest offset whose stored_at is at or after `time`; head + 1 when
  // every event is older (1 for an empty exchange).
  virtual absl::StatusOr<uint64_t> OffsetAtTime(int64_t exchange_id,
                                                absl::Time time) = 0;

  // Every queue, sorted by name.
  virtual absl::StatusOr<std::vector<QueueRecord>> LoadQueues() = 0;

  // Creates the queue described by `spec` (id and created_at are ignored), or
  // returns the existing one when exchange_id, bindings and limit_size are
  // equal (its start_offset is kept); ALREADY_EXISTS when they differ,
  // NOT_FOUND when the exchange does not exist. `created` tells which.
  virtual absl::StatusOr<QueueRecord> CreateQueue(const QueueRecord& spec,
                                                  bool* created) = 0;

  // Deletes the queue and its consumers. NOT_FOUND if absent.
  virtual absl::Status DeleteQueue(std::string_view name) = 0;

  // Every consumer, sorted by queue_id, then name.
  virtual absl::StatusOr<std::vector<ConsumerRecord>> LoadConsumers() = 0;

  // Inserts or updates (committed_offset, last_active_at) the consumers in
  // one transaction; created_at is only written on insert. Consumers of
  // queues that no longer exist are skipped.
  virtual absl::Status SaveConsumers(
      absl::Span<const ConsumerRecord> consumers) = 0;

  // Deletes one consumer; OK also when it was not stored.
  virtual absl::Status DeleteConsumer(int64_t queue_id,
                                      std::string_view name) = 0;

  // OK when the database answers.
  virtual absl::Status Ping() = 0;

  // How the store's database connections are used right now, for metrics
  // (all zero for a store without connections).
  virtual ConnectionPoolUse PoolUse() const = 0;
};

// An in-memory store with the same semantics, for unit tests and for running
// without a database. Thread-safe.
std::unique_ptr<EventStore> NewMemoryEventStore();

}  // namespace evrouter

#endif  // EVROUTER_STORAGE_EVENT_STORE_H_
