#ifndef EVROUTER_SERVER_CORE_QUEUE_MANAGER_H_
#define EVROUTER_SERVER_CORE_QUEUE_MANAGER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/core/clock.h"
#include "server/core/consumer_offset_writer.h"
#include "server/core/executor.h"
#include "server/core/queue.h"
#include "server/core/router.h"
#include "storage/event_store.h"

namespace evrouter::core {

struct QueueManagerOptions {
  uint32_t default_limit_size = 10000;
  uint32_t max_limit_size = 1'000'000;
  uint32_t default_max_in_flight = 1000;
  uint32_t max_max_in_flight = 100'000;
  size_t catchup_chunk_events = 1000;
  size_t catchup_chunk_bytes = size_t{4} << 20;
  // Committed offsets acked on streams are written at least this often.
  absl::Duration offset_flush_interval = absl::Milliseconds(200);
};

struct QueueSpec {
  std::string name;
  std::string exchange;
  std::vector<std::string> bindings;
  uint32_t limit_size = 0;  // 0: the default
  bool from_earliest = false;
};

struct SubscribeSpec {
  enum class Position { kResume, kEarliest, kLatest, kOffset, kTime };
  // Prefix of field names in errors ("start." for a stream).
  std::string field_prefix;
  std::string queue;
  std::string consumer;
  Position position = Position::kResume;
  uint64_t offset = 0;                  // kOffset
  absl::Time time = absl::UnixEpoch();  // kTime
  uint32_t max_in_flight = 0;           // 0: the default
  bool takeover = false;
  bool report_caught_up = true;
};

// Where SeekConsumer moves a consumer: exactly one of them.
struct SeekTarget {
  std::optional<uint64_t> offset;
  std::optional<absl::Time> time;
};

struct ExchangeStats {
  ExchangeInfo exchange;
  RateCounter::Rates events_in;
};

struct Stats {
  absl::Time at = absl::UnixEpoch();
  std::vector<ExchangeStats> exchanges;  // sorted by name
  std::vector<QueueStats> queues;        // sorted by name
};

// Queues, consumers and subscriptions: the read side of the router. Queue and
// consumer admin runs on the admin executor (never on the caller's thread);
// catch-up reads run on the read executor; committed offsets are written by a
// ConsumerOffsetWriter of its own. Reads of state come from memory.
// Thread-safe.
class QueueManager {
 public:
  // Everything passed in must outlive the manager. Registers itself with the
  // router to learn about deleted exchanges.
  QueueManager(QueueManagerOptions options, Router* router, EventStore* store,
               Executor* admin, Executor* reads, Clock* clock);

  // Restores queues and consumers (all SLEEPING) after Router::Load.
  // Blocking; call once before serving.
  absl::Status Load();

  void CreateQueue(QueueSpec spec,
                   absl::AnyInvocable<void(absl::StatusOr<QueueInfo>) &&> done);
  absl::StatusOr<QueueInfo> GetQueue(absl::string_view name) const;
  // Sorted by name; only the exchange's when `exchange` is not empty
  // (NOT_FOUND when it does not exist).
  absl::StatusOr<std::vector<QueueInfo>> ListQueues(
      absl::string_view exchange) const;
  void DeleteQueue(std::string name,
                   absl::AnyInvocable<void(absl::Status) &&> done);

  void CreateConsumer(
      std::string queue, std::string name,
      absl::AnyInvocable<void(absl::StatusOr<ConsumerInfo>) &&> done);
  // Sorted by queue, then name; only the queue's when `queue` is not empty
  // (NOT_FOUND when it does not exist).
  absl::StatusOr<std::vector<ConsumerInfo>> ListConsumers(
      absl::string_view queue) const;
  void SeekConsumer(
      std::string queue, std::string name, SeekTarget target,
      absl::AnyInvocable<void(absl::StatusOr<ConsumerInfo>) &&> done);
  void DeleteConsumer(std::string queue, std::string name,
                      absl::AnyInvocable<void(absl::Status) &&> done);

  // Attaches a subscription (a stream, or one fetch) to the consumer,
  // creating the consumer when needed. `done` may run inline.
  void Subscribe(
      SubscribeSpec spec,
      absl::AnyInvocable<void(absl::StatusOr<std::shared_ptr<Subscription>>) &&>
          done);

  // Commits `offset` for a consumer with no stream attached; `done` gets the
  // committed offset once it is stored.
  void Ack(std::string queue, std::string consumer, uint64_t offset,
           absl::AnyInvocable<void(absl::StatusOr<uint64_t>) &&> done);

  Stats GetStats() const;

  // Blocks until every committed offset is stored (for shutdown, after the
  // streams ended).
  absl::Status FlushOffsets();

  const QueueManagerOptions& options() const { return options_; }

 private:
  std::shared_ptr<Queue> Find(absl::string_view name) const;
  absl::StatusOr<std::shared_ptr<Queue>> FindForField(
      absl::string_view field, absl::string_view name) const;
  // The queue, after checking the consumer's name too (errors name fields).
  absl::StatusOr<std::shared_ptr<Queue>> FindConsumerQueue(
      absl::string_view queue_field, absl::string_view queue,
      absl::string_view consumer_field, absl::string_view consumer) const;
  void OnExchangeDeleted(const ExchangeLog& log);

  const QueueManagerOptions options_;
  Router* const router_;
  EventStore* const store_;
  Executor* const admin_;
  ConsumerOffsetWriter offsets_;
  QueueContext context_;

  // Serialises queue create/delete with each other and with exchange deletes.
  absl::Mutex admin_mu_;
  mutable absl::Mutex mu_;
  absl::btree_map<std::string, std::shared_ptr<Queue>> queues_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace evrouter::core

#endif  // EVROUTER_SERVER_CORE_QUEUE_MANAGER_H_
