#ifndef EVROUTER_SERVER_CORE_CONSUMER_OFFSET_WRITER_H_
#define EVROUTER_SERVER_CORE_CONSUMER_OFFSET_WRITER_H_

#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/event_store.h"

namespace evrouter::core {

// Persists consumers' committed offsets on a thread of its own. Updates are
// coalesced per consumer (the newest wins) and written in one transaction at
// most every `interval`, or at once when someone waits for them (Flush) or
// asks (RequestFlush). Failed writes stay pending and are retried. Admin
// operations that must not race with a write (deleting a consumer or a
// queue) run on the same thread through Submit. Thread-safe; never calls
// back into its callers while holding its lock.
class ConsumerOffsetWriter {
 public:
  // `store` must outlive the writer.
  ConsumerOffsetWriter(EventStore* store, absl::Duration interval);
  // Writes what is pending (one attempt), then stops the thread.
  ~ConsumerOffsetWriter();

  // Records the consumer's state to be written.
  void Update(ConsumerRecord record);
  // Drops pending writes of one consumer / of every consumer of a queue.
  void Forget(int64_t queue_id, const std::string& name);
  void ForgetQueue(int64_t queue_id);

  // Writes pending updates soon, without waiting for the interval.
  void RequestFlush();
  // Calls `done` on the writer thread once everything updated before this
  // call is stored (OK), or with the error of the attempt that failed.
  void Flush(absl::AnyInvocable<void(absl::Status) &&> done);
  // Runs `op` on the writer thread after the next write, in submission order.
  void Submit(absl::AnyInvocable<void() &&> op);
  // Blocks until everything pending is stored or a write failed.
  absl::Status FlushNow();

 private:
  using Key = std::pair<int64_t, std::string>;
  void Run();

  EventStore* const store_;
  const absl::Duration interval_;

  absl::Mutex mu_;
  absl::flat_hash_map<Key, ConsumerRecord> pending_ ABSL_GUARDED_BY(mu_);
  absl::Time pending_since_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  bool urgent_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<absl::AnyInvocable<void(absl::Status) &&>> waiters_
      ABSL_GUARDED_BY(mu_);
  std::vector<absl::AnyInvocable<void() &&>> ops_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace evrouter::core

#endif  // EVROUTER_SERVER_CORE_CONSUMER_OFFSET_WRITER_H_
