#include "server/core/consumer_offset_writer.h"

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace evrouter::core {

ConsumerOffsetWriter::ConsumerOffsetWriter(EventStore* store,
                                           absl::Duration interval)
    : store_(store), interval_(interval), thread_([this] { Run(); }) {}

ConsumerOffsetWriter::~ConsumerOffsetWriter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void ConsumerOffsetWriter::Update(ConsumerRecord record) {
  absl::MutexLock lock(&mu_);
  if (pending_.empty()) pending_since_ = absl::Now();
  Key key(record.queue_id, record.name);
  pending_.insert_or_assign(std::move(key), std::move(record));
}

void ConsumerOffsetWriter::Forget(int64_t queue_id, const std::string& name) {
  absl::MutexLock lock(&mu_);
  pending_.erase(Key(queue_id, name));
}

void ConsumerOffsetWriter::ForgetQueue(int64_t queue_id) {
  absl::MutexLock lock(&mu_);
  absl::erase_if(pending_, [queue_id](const auto& entry) {
    return entry.first.first == queue_id;
  });
}

void ConsumerOffsetWriter::RequestFlush() {
  absl::MutexLock lock(&mu_);
  urgent_ = true;
}

void ConsumerOffsetWriter::Flush(
    absl::AnyInvocable<void(absl::Status) &&> done) {
  absl::MutexLock lock(&mu_);
  urgent_ = true;
  waiters_.push_back(std::move(done));
}

void ConsumerOffsetWriter::Submit(absl::AnyInvocable<void() &&> op) {
  absl::MutexLock lock(&mu_);
  urgent_ = true;
  ops_.push_back(std::move(op));
}

absl::Status ConsumerOffsetWriter::FlushNow() {
  absl::Notification flushed;
  absl::Status result;
  Flush([&](absl::Status status) {
    result = std::move(status);
    flushed.Notify();
  });
  flushed.WaitForNotification();
  return result;
}

void ConsumerOffsetWriter::Run() {
  while (true) {
    absl::flat_hash_map<Key, ConsumerRecord> batch;
    std::vector<absl::AnyInvocable<void(absl::Status) &&>> waiters;
    std::vector<absl::AnyInvocable<void() &&>> ops;
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      auto due = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || urgent_ ||
               (!pending_.empty() && absl::Now() >= pending_since_ + interval_);
      };
      while (!due()) {
        absl::Duration wait = pending_.empty()
                                  ? absl::Seconds(1)
                                  : pending_since_ + interval_ - absl::Now();
        mu_.AwaitWithTimeout(absl::Condition(&due), wait);
      }
      batch.swap(pending_);
      pending_since_ = absl::InfiniteFuture();
      waiters.swap(waiters_);
      ops.swap(ops_);
      urgent_ = false;
      stopping = stopping_;
    }
    absl::Status status = absl::OkStatus();
    if (!batch.empty()) {
      std::vector<ConsumerRecord> records;
      records.reserve(batch.size());
      for (auto& [key, record] : batch) records.push_back(record);
      status = store_->SaveConsumers(records);
      if (!status.ok()) {
        absl::MutexLock lock(&mu_);
        // Kept for the next attempt unless a newer state arrived meanwhile.
        for (auto& [key, record] : batch) pending_.try_emplace(key, record);
        if (pending_since_ == absl::InfiniteFuture())
          pending_since_ = absl::Now();
      }
    }
    for (auto& waiter : waiters) std::move(waiter)(status);
    for (auto& op : ops) std::move(op)();
    if (stopping) {
      absl::MutexLock lock(&mu_);
      if (ops_.empty() && waiters_.empty()) return;
    }
  }
}

}  // namespace evrouter::core
