#ifndef EVROUTER_SERVER_CORE_QUEUE_H_
#define EVROUTER_SERVER_CORE_QUEUE_H_

#include <cstdint>
#include <deque>
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
#include "absl/types/span.h"
#include "server/core/clock.h"
#include "server/core/consumer_offset_writer.h"
#include "server/core/executor.h"
#include "server/core/rate_counter.h"
#include "server/core/topic_matcher.h"
#include "storage/event_store.h"

namespace evrouter::core {

class Queue;

// What a subscription hands to its reader: events in offset order, shared
// with every other reader of them (never modified after commit).
struct Delivery {
  std::vector<std::shared_ptr<const Event>> events;
  // The reader has now been given everything stored so far: from here on it
  // is served live. Reported once per subscription.
  bool caught_up = false;
};
using DeliveryCallback = absl::AnyInvocable<void(absl::StatusOr<Delivery>) &&>;

struct ConsumerInfo {
  std::string queue;
  std::string name;
  bool active = false;
  uint64_t committed_offset = 0;
  uint64_t lag = 0;
  absl::Time created_at = absl::UnixEpoch();
  absl::Time last_active_at = absl::UnixEpoch();
};

struct QueueInfo {
  std::string name;
  std::string exchange;
  std::vector<std::string> bindings;
  uint32_t limit_size = 0;
  uint64_t start_offset = 0;
  absl::Time created_at = absl::UnixEpoch();
};

struct QueueStats {
  QueueInfo queue;
  RateCounter::Rates events_out;
  size_t buffered = 0;
  std::vector<ConsumerInfo> consumers;  // sorted by name
};

// What the queues and their subscriptions share. Everything must outlive
// them.
struct QueueContext {
  EventStore* store = nullptr;
  Executor* reads = nullptr;  // catch-up reads from the store
  ConsumerOffsetWriter* offsets = nullptr;
  Clock* clock = nullptr;
  // Upper bounds of one catch-up read (the smaller one wins).
  size_t catchup_chunk_events = 1000;
  size_t catchup_chunk_bytes = size_t{4} << 20;
};

class Subscription;

// A delivery decided under a queue's lock, handed over after it is released.
struct Completion {
  DeliveryCallback done;
  absl::StatusOr<Delivery> result;
};
using Completions = std::vector<Completion>;
void RunCompletions(Completions completions);

// One durable consumer of a queue. Guarded by its queue's mutex.
struct ConsumerState {
  ConsumerRecord record;
  Subscription* attached = nullptr;  // ACTIVE when set
};

// A queue in memory: the bindings, a bounded buffer of recent matching
// committed events for live delivery, the consumers, and the subscriptions
// waiting for live events. Fed by its exchange's writer after each commit,
// in offset order. Thread-safe.
class Queue : public std::enable_shared_from_this<Queue> {
 public:
  Queue(QueueRecord record, std::string exchange, ExchangeKind kind,
        const QueueContext* context);

  // Called by the exchange's writer, under its fan-out lock: every event
  // with an offset above `head` reaches this queue through OnCommitted.
  void StartAt(uint64_t head);
  // Committed events in offset order, and the exchange head after them.
  // Deliveries to waiting readers are added to `out`, for the caller to run
  // once it holds no lock.
  void OnCommitted(absl::Span<const std::shared_ptr<const Event>> events,
                   uint64_t head, Completions* out);

  // The exchange head moved to `head` without OnCommitted (a commit whose
  // reply was lost): events up to it are read from the store.
  void OnHeadRecovered(uint64_t head);

  // Restores a consumer at load.
  void RestoreConsumer(ConsumerRecord record);
  // Creates the consumer at the start of the queue unless it exists (the
  // new one is written soon).
  void EnsureConsumer(const std::string& name);

  // Where a subscription starts. Resolved by the caller.
  struct Start {
    enum class Kind { kResume, kEarliest, kLatest, kOffset } kind;
    uint64_t offset = 0;  // kOffset: first offset to deliver
  };
  // Attaches a new subscription to the consumer (creating it if needed).
  // FAILED_PRECONDITION when it is ACTIVE and not `takeover`; OUT_OF_RANGE for
  // an offset beyond the next one to be published.
  absl::StatusOr<std::shared_ptr<Subscription>> Attach(
      const std::string& consumer, Start start, uint32_t max_in_flight,
      bool takeover, bool report_caught_up);

  // Commits `offset` for a consumer without a stream (the unary Ack). Returns
  // the committed offset; the write is queued on the offset writer.
  absl::StatusOr<uint64_t> AckUnattached(const std::string& consumer,
                                         uint64_t offset);
  // Moves a SLEEPING consumer so the next delivery is at or after `offset`.
  absl::StatusOr<ConsumerInfo> Seek(const std::string& consumer,
                                    uint64_t offset);
  // Removes a consumer; its subscription ends NOT_FOUND.
  absl::Status DeleteConsumer(const std::string& consumer);
  // Ends every subscription with `status` and refuses new ones.
  void MarkDeleted(absl::Status status);

  std::optional<ConsumerInfo> GetConsumer(const std::string& name) const;
  std::vector<ConsumerInfo> Consumers() const;  // sorted by name
  QueueInfo Info() const;
  QueueStats Stats() const;
  const QueueRecord& record() const { return record_; }
  const std::string& exchange() const { return exchange_; }

 private:
  friend class Subscription;

  ConsumerInfo InfoLocked(const ConsumerState& consumer) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint64_t LagLocked(uint64_t committed) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Holds(const Event& event) const;
  // A new consumer at the start of the queue, in consumers_ (not persisted).
  std::shared_ptr<ConsumerState> NewConsumerLocked(const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ConsumerNotFound(absl::string_view field,
                                const std::string& name) const;
  // The consumer, when the queue exists and it is not ACTIVE (then the error
  // says `when_active`). `field` names the consumer in a NOT_FOUND.
  absl::StatusOr<ConsumerState*> SleepingConsumerLocked(
      absl::string_view field, const std::string& name,
      absl::string_view when_active) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Hands the waiting subscriptions whatever they can be given now.
  void WakeWaitersLocked(Completions* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Persist(const ConsumerState& consumer);

  const QueueRecord record_;
  const std::string exchange_;
  const Bindings bindings_;
  const QueueContext* const context_;
  RateCounter events_out_;

  mutable absl::Mutex mu_;
  // Matching events with offsets above floor_, oldest first, at most
  // limit_size of them. Events at or below floor_ are read from the store.
  std::deque<std::shared_ptr<const Event>> buffer_ ABSL_GUARDED_BY(mu_);
  uint64_t floor_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t horizon_ ABSL_GUARDED_BY(mu_) = 0;  // last exchange offset seen
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  absl::btree_map<std::string, std::shared_ptr<ConsumerState>> consumers_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Subscription>> waiters_ ABSL_GUARDED_BY(mu_);
  absl::Status deleted_ ABSL_GUARDED_BY(mu_);
};

// A reader attached to a consumer: a Subscribe stream or one Fetch. It walks
// the queue from `next` on: from the store in bounded chunks while it is
// behind the queue's in-memory buffer, then from the buffer, then waits for
// live events. It tracks unacknowledged deliveries for flow control.
// Thread-safe; every callback runs outside the queue's lock.
class Subscription : public std::enable_shared_from_this<Subscription> {
 public:
  Subscription(std::shared_ptr<Queue> queue,
               std::shared_ptr<ConsumerState> consumer, uint64_t next,
               uint32_t max_in_flight, bool report_caught_up);

  // Asks for the next delivery; `done` runs exactly once: inline when events
  // are at hand, on a read thread after a catch-up read, on a publisher's
  // commit thread when live events arrive, or with an error when the
  // subscription ends (CANCELLED after Close, ABORTED on takeover, NOT_FOUND
  // when the queue or consumer is deleted, UNAVAILABLE when a read failed).
  // While `max_in_flight` deliveries are unacknowledged it waits for acks.
  // One call at a time.
  void Next(DeliveryCallback done);

  // Cumulative ack from a stream: everything up to `offset` is processed.
  // INVALID_ARGUMENT when `offset` was not delivered yet.
  absl::Status Ack(uint64_t offset);

  // A Next waiting for live events returns an empty delivery now.
  void Wake();

  // The name of the exchange the events come from.
  const std::string& exchange() const { return queue_->exchange(); }

  // Detaches from the consumer (which becomes SLEEPING; its offset is written
  // soon). A pending Next gets CANCELLED. Idempotent.
  void Close();

 private:
  friend class Queue;

  // The *Locked helpers run with the queue's lock held (they assert it: the
  // lock belongs to another object, so the analysis cannot see it).
  // Serves a pending Next if it can.
  void TryDeliverLocked(Completions* out);
  void CompleteLocked(absl::StatusOr<Delivery> result, Completions* out);
  // Ends the subscription with `status` (queue lock held).
  void TerminateLocked(absl::Status status, Completions* out);
  void DetachLocked();
  // Leaves the queue's live waiters.
  void StopWaitingLocked();
  // One catch-up read, on a read thread.
  void ReadChunk(uint64_t from, uint64_t floor, size_t limit);
  static void Run(Completions completions) {
    RunCompletions(std::move(completions));
  }

  const std::shared_ptr<Queue> queue_;
  // The fields below are guarded by queue_->mu_.
  std::shared_ptr<ConsumerState> consumer_;
  uint64_t next_;
  const uint32_t max_in_flight_;
  bool report_caught_up_;
  std::deque<uint64_t> in_flight_;  // delivered, unacknowledged offsets
  uint64_t last_delivered_ = 0;
  // Matched events of the last catch-up read beyond the credit; all below
  // next_, which is where the next read starts.
  std::deque<std::shared_ptr<const Event>> readahead_;
  std::optional<DeliveryCallback> pending_;
  bool reading_ = false;
  bool waiting_ = false;  // registered as a live waiter
  bool woken_ = false;
  absl::Status status_;  // not OK once ended
  size_t chunk_events_;  // adapts to the event sizes seen
};

}  // namespace evrouter::core

#endif  // EVROUTER_SERVER_CORE_QUEUE_H_
