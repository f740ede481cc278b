#ifndef EVROUTER_TESTS_UNIT_CONTROLLED_STORE_H_
#define EVROUTER_TESTS_UNIT_CONTROLLED_STORE_H_

#include <atomic>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "storage/event_store.h"

namespace evrouter::core {

// How long WaitUntilBlocked() waits: a hang fails instead of blocking.
inline constexpr absl::Duration kControlledStoreDeadline = absl::Seconds(60);

// A decorator over a real store for core unit tests: it can hold an
// AppendEvents call until the test releases it, fail one AppendEvents before
// or after it reached the inner store, and fail every ReadEvents while told
// to (Postgres gone during a history read). Counts calls. Thread-safe.
class ControlledStore : public EventStore {
 public:
  enum class Failure { kNone, kBeforeCommit, kAfterCommit };

  explicit ControlledStore(EventStore* inner) : inner_(inner) {}

  // The next AppendEvents waits for Release(). Once per test.
  void BlockNextAppend() { block_next_ = true; }
  bool WaitUntilBlocked() {
    return blocked_.WaitForNotificationWithTimeout(kControlledStoreDeadline);
  }
  void Release() {
    if (!release_.HasBeenNotified()) release_.Notify();
  }
  void FailNextAppend(Failure failure) { fail_next_ = failure; }
  // While set, ReadEvents answers UNAVAILABLE without reading.
  void FailReads(bool fail) { fail_reads_ = fail; }
  // The next delete commits but reports UNAVAILABLE, as a lost reply would.
  void LoseNextDeleteReply() { lose_next_delete_reply_ = true; }

  int append_calls() const { return append_calls_; }
  int head_calls() const { return head_calls_; }

  absl::StatusOr<std::vector<ExchangeRecord>> LoadExchanges() override {
    return inner_->LoadExchanges();
  }
  absl::StatusOr<ExchangeRecord> CreateExchange(std::string_view name,
                                                ExchangeKind kind,
                                                bool* created) override {
    return inner_->CreateExchange(name, kind, created);
  }
  absl::Status DeleteExchange(std::string_view name) override {
    absl::Status status = inner_->DeleteExchange(name);
    if (status.ok() && lose_next_delete_reply_.exchange(false)) {
      return absl::UnavailableError("connection lost during commit");
    }
    return status;
  }
  absl::Status AppendEvents(int64_t exchange_id,
                            absl::Span<const Event> events) override {
    ++append_calls_;
    if (block_next_.exchange(false)) {
      blocked_.Notify();
      release_.WaitForNotification();
    }
    Failure failure = fail_next_.exchange(Failure::kNone);
    if (failure == Failure::kBeforeCommit)
      return absl::UnavailableError("connection refused");
    absl::Status status = inner_->AppendEvents(exchange_id, events);
    if (failure == Failure::kAfterCommit && status.ok())
      return absl::UnavailableError("connection lost before the reply");
    return status;
  }
  absl::StatusOr<uint64_t> HeadOffset(int64_t exchange_id) override {
    ++head_calls_;
    return inner_->HeadOffset(exchange_id);
  }
  absl::StatusOr<std::vector<StoredId>> RecentIds(
      int64_t exchange_id, absl::Time since, uint64_t after_offset) override {
    return inner_->RecentIds(exchange_id, since, after_offset);
  }
  absl::StatusOr<std::vector<Event>> ReadEvents(int64_t exchange_id,
                                                uint64_t from_offset,
                                                size_t limit) override {
    if (fail_reads_) return absl::UnavailableError("connection refused");
    return inner_->ReadEvents(exchange_id, from_offset, limit);
  }
  absl::StatusOr<uint64_t> OffsetAtTime(int64_t exchange_id,
                                        absl::Time time) override {
    return inner_->OffsetAtTime(exchange_id, time);
  }
  absl::StatusOr<std::vector<QueueRecord>> LoadQueues() override {
    return inner_->LoadQueues();
  }
  absl::StatusOr<QueueRecord> CreateQueue(const QueueRecord& spec,
                                          bool* created) override {
    return inner_->CreateQueue(spec, created);
  }
  absl::Status DeleteQueue(std::string_view name) override {
    return inner_->DeleteQueue(name);
  }
  absl::StatusOr<std::vector<ConsumerRecord>> LoadConsumers() override {
    return inner_->LoadConsumers();
  }
  absl::Status SaveConsumers(
      absl::Span<const ConsumerRecord> consumers) override {
    return inner_->SaveConsumers(consumers);
  }
  absl::Status DeleteConsumer(int64_t queue_id,
                              std::string_view name) override {
    return inner_->DeleteConsumer(queue_id, name);
  }
  absl::Status Ping() override { return inner_->Ping(); }
  ConnectionPoolUse PoolUse() const override { return inner_->PoolUse(); }

 private:
  EventStore* const inner_;
  std::atomic<int> append_calls_{0};
  std::atomic<int> head_calls_{0};
  std::atomic<bool> block_next_{false};
  std::atomic<Failure> fail_next_{Failure::kNone};
  std::atomic<bool> lose_next_delete_reply_{false};
  std::atomic<bool> fail_reads_{false};
  absl::Notification blocked_;
  absl::Notification release_;
};

}  // namespace evrouter::core

#endif  // EVROUTER_TESTS_UNIT_CONTROLLED_STORE_H_
