#ifndef EVROUTER_SERVER_CORE_EXCHANGE_LOG_H_
#define EVROUTER_SERVER_CORE_EXCHANGE_LOG_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/core/clock.h"
#include "server/core/dedup_window.h"
#include "server/core/executor.h"
#include "server/core/publish_metrics.h"
#include "server/core/queue.h"
#include "server/core/rate_counter.h"
#include "storage/event_store.h"

namespace evrouter::core {

// What a publisher learns about one event of its batch.
struct PublishedEvent {
  uint64_t offset = 0;
  bool duplicate = false;  // stored earlier within the dedup window
  std::string id;          // 16 raw bytes
};

// Runs once per publish, on a storage thread, after the batch committed (or
// failed: then nothing of it was stored, or the outcome is unknown and the
// status is UNAVAILABLE).
using PublishCallback =
    absl::AnyInvocable<void(absl::StatusOr<std::vector<PublishedEvent>>) &&>;

// A snapshot of an exchange for admin reads.
struct ExchangeInfo {
  std::string name;
  ExchangeKind kind = ExchangeKind::kFanout;
  uint64_t head_offset = 0;
  absl::Time created_at = absl::UnixEpoch();
};

struct ExchangeLogOptions {
  // Ids committed within this long are not stored again. Zero disables.
  absl::Duration dedup_window = absl::Minutes(2);
  // At most this many ids are remembered per exchange (oldest forgotten
  // first). Zero disables dedup.
  size_t dedup_max_ids = 1'000'000;
  // Bytes of queued publishes waiting for a commit; past it RESOURCE_EXHAUSTED.
  size_t max_pending_bytes = size_t{256} << 20;
  // Upper bounds of one group commit (a publish is never split across two).
  size_t max_commit_events = 10000;
  size_t max_commit_bytes = size_t{16} << 20;
};

// The single writer of one exchange. Publishes queue up; one transaction at a
// time is in flight, and it carries everything that arrived while the
// previous one committed (group commit). Offsets are assigned here, in
// memory, just before the transaction, so they are gapless and follow commit
// order; after a failed transaction the head is re-read from the store before
// the next one. Thread-safe; keep it in a shared_ptr (rounds hold a ref).
class ExchangeLog : public std::enable_shared_from_this<ExchangeLog> {
 public:
  // `metrics` (commit duration and size are observed there) is not owned
  // and must outlive the log.
  ExchangeLog(ExchangeRecord record, ExchangeLogOptions options,
              EventStore* store, Executor* executor, Clock* clock,
              PublishMetrics* metrics);

  // Reloads what the writer keeps in memory: the dedup window and the
  // stored_at of the head event (stored_at never decreases in offset order).
  // Blocking: call before the first Append.
  absl::Status Restore();

  // Queues validated events (ids set, offsets unset) of `bytes` total size for
  // the next group commit. `done` always runs exactly once.
  void Append(std::vector<Event> events, size_t bytes, PublishCallback done);

  // Refuses further appends and fails the queued ones with NOT_FOUND; a
  // transaction already in flight completes normally. Reopen() undoes it.
  void Close();
  void Reopen();

  ExchangeInfo Info() const;
  int64_t id() const { return record_.id; }
  const std::string& name() const { return record_.name; }
  ExchangeKind kind() const { return record_.kind; }
  // Events committed per second, and in all since the log was created.
  RateCounter::Rates EventsIn() const { return events_in_.Get(); }

  // Feeds `queue` every event committed from now on (after commit, in offset
  // order) and starts it at the current head, atomically with respect to
  // commits: no event is missed or given twice.
  void AttachQueue(std::shared_ptr<Queue> queue);
  void DetachQueue(const Queue* queue);

 private:
  struct Pending {
    std::vector<Event> events;
    size_t bytes;
    PublishCallback done;
    absl::Time appended_at;  // for the publish latency histogram
  };

  // One group commit, on a storage thread; re-posts itself while work queues.
  void CommitRound();
  // Re-reads the head, and the ids and stored_at of events committed after the
  // last known head. Writer only.
  absl::Status RecoverHead();
  // The stored_at of the event at `offset` (the epoch for 0). Reads the store.
  absl::StatusOr<absl::Time> StoredAtOf(uint64_t offset);

  const ExchangeRecord record_;
  const ExchangeLogOptions options_;
  EventStore* const store_;
  Executor* const executor_;
  Clock* const clock_;
  PublishMetrics* const metrics_;

  RateCounter events_in_;
  // Held while a commit's head moves and its events are handed to the
  // queues, and while a queue attaches. Taken before mu_.
  absl::Mutex fanout_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::vector<std::shared_ptr<Queue>> queues_ ABSL_GUARDED_BY(fanout_mu_);

  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool committing_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t head_ ABSL_GUARDED_BY(mu_);  // last committed offset
  bool head_known_ ABSL_GUARDED_BY(mu_) = true;
  absl::Time last_stored_at_ ABSL_GUARDED_BY(mu_) = absl::UnixEpoch();
  DedupWindow dedup_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evrouter::core

#endif  // EVROUTER_SERVER_CORE_EXCHANGE_LOG_H_
