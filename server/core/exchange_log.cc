#include "server/core/exchange_log.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace evrouter::core {
namespace {

absl::Time TruncateToMicros(absl::Time t) {
  return absl::FromUnixMicros(absl::ToUnixMicros(t));
}

}  // namespace

ExchangeLog::ExchangeLog(ExchangeRecord record, ExchangeLogOptions options,
                         EventStore* store, Executor* executor, Clock* clock,
                         PublishMetrics* metrics)
    : record_(std::move(record)),
      options_(options),
      store_(store),
      executor_(executor),
      clock_(clock),
      metrics_(metrics),
      events_in_(clock),
      head_(record_.head_offset),
      dedup_(options.dedup_window, options.dedup_max_ids) {}

absl::StatusOr<absl::Time> ExchangeLog::StoredAtOf(uint64_t offset) {
  if (offset == 0) return absl::UnixEpoch();
  absl::StatusOr<std::vector<Event>> events =
      store_->ReadEvents(record_.id, offset, 1);
  if (!events.ok()) return events.status();
  if (events->empty() || events->front().offset != offset) {
    return absl::InternalError(absl::StrCat(
        "exchange '", record_.name, "': head offset ", offset, " not found"));
  }
  return events->front().stored_at;
}

absl::Status ExchangeLog::Restore() {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<absl::Time> head_stored_at = StoredAtOf(head_);
  if (!head_stored_at.ok()) return head_stored_at.status();
  last_stored_at_ = *head_stored_at;
  if (!dedup_.enabled()) return absl::OkStatus();
  absl::StatusOr<std::vector<StoredId>> ids = store_->RecentIds(
      record_.id, clock_->Now() - options_.dedup_window, head_);
  if (!ids.ok()) return ids.status();
  for (const StoredId& stored : *ids) {
    dedup_.Add(stored.id, stored.offset, stored.stored_at);
  }
  return absl::OkStatus();
}

void ExchangeLog::Append(std::vector<Event> events, size_t bytes,
                         PublishCallback done) {
  absl::Status refused;
  {
    absl::MutexLock lock(&mu_);
    if (closed_) {
      refused = absl::NotFoundError(
          absl::StrCat("exchange: '", record_.name, "' not found"));
    } else if (queued_bytes_ + bytes > options_.max_pending_bytes &&
               !queue_.empty()) {
      refused = absl::ResourceExhaustedError(
          absl::StrCat("exchange '", record_.name, "' has ", queued_bytes_,
                       " bytes waiting for commit (limit ",
                       options_.max_pending_bytes, "); retry with backoff"));
    } else {
      queued_bytes_ += bytes;
      queue_.push_back(
          {std::move(events), bytes, std::move(done), clock_->Now()});
      if (committing_) return;
      committing_ = true;
    }
  }
  if (!refused.ok()) {
    std::move(done)(refused);
    return;
  }
  executor_->Post([self = shared_from_this()] { self->CommitRound(); });
}

void ExchangeLog::Close() {
  std::deque<Pending> failed;
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    failed.swap(queue_);
    queued_bytes_ = 0;
  }
  for (Pending& pending : failed) {
    std::move(pending.done)(absl::NotFoundError(
        absl::StrCat("exchange: '", record_.name, "' was deleted")));
  }
}

void ExchangeLog::Reopen() {
  absl::MutexLock lock(&mu_);
  closed_ = false;
}

void ExchangeLog::AttachQueue(std::shared_ptr<Queue> queue) {
  absl::MutexLock fanout(&fanout_mu_);
  uint64_t head;
  {
    absl::MutexLock lock(&mu_);
    head = head_;
  }
  queue->StartAt(head);
  queues_.push_back(std::move(queue));
}

void ExchangeLog::DetachQueue(const Queue* queue) {
  absl::MutexLock fanout(&fanout_mu_);
  queues_.erase(std::remove_if(queues_.begin(), queues_.end(),
                               [queue](const std::shared_ptr<Queue>& q) {
                                 return q.get() == queue;
                               }),
                queues_.end());
}

ExchangeInfo ExchangeLog::Info() const {
  absl::MutexLock lock(&mu_);
  return {record_.name, record_.kind, head_, record_.created_at};
}

absl::Status ExchangeLog::RecoverHead() {
  uint64_t known_head;
  {
    absl::MutexLock lock(&mu_);
    known_head = head_;
  }
  absl::StatusOr<uint64_t> head = store_->HeadOffset(record_.id);
  if (!head.ok()) return head.status();
  std::vector<StoredId> committed_ids;
  absl::Time head_stored_at = absl::UnixEpoch();
  if (*head > known_head) {
    // A transaction whose reply was lost did commit: its ids join the window
    // so that a publisher's retry is recognised as a duplicate, and its
    // stored_at bounds the next one from below.
    absl::StatusOr<std::vector<StoredId>> ids =
        store_->RecentIds(record_.id, absl::InfiniteFuture(), known_head);
    if (!ids.ok()) return ids.status();
    committed_ids = *std::move(ids);
    absl::StatusOr<absl::Time> stored_at = StoredAtOf(*head);
    if (!stored_at.ok()) return stored_at.status();
    head_stored_at = *stored_at;
  }
  absl::MutexLock fanout(&fanout_mu_);
  {
    absl::MutexLock lock(&mu_);
    head_ = *head;
    head_known_ = true;
    last_stored_at_ = std::max(last_stored_at_, head_stored_at);
    for (const StoredId& stored : committed_ids) {
      dedup_.Add(stored.id, stored.offset, stored.stored_at);
    }
  }
  // Events of a commit whose reply was lost never reached the queues: their
  // readers find them in the store.
  if (*head > known_head) {
    for (const std::shared_ptr<Queue>& queue : queues_)
      queue->OnHeadRecovered(*head);
  }
  return absl::OkStatus();
}

void ExchangeLog::CommitRound() {
  std::vector<Pending> round;
  size_t round_events = 0;
  bool head_known;
  {
    absl::MutexLock lock(&mu_);
    size_t bytes = 0;
    while (!queue_.empty()) {
      Pending& next = queue_.front();
      if (!round.empty() &&
          (round_events + next.events.size() > options_.max_commit_events ||
           bytes + next.bytes > options_.max_commit_bytes)) {
        break;
      }
      round_events += next.events.size();
      bytes += next.bytes;
      queued_bytes_ -= next.bytes;
      round.push_back(std::move(next));
      queue_.pop_front();
    }
    head_known = head_known_;
  }

  absl::Status status = head_known ? absl::OkStatus() : RecoverHead();
  std::vector<std::vector<PublishedEvent>> results(round.size());
  std::vector<Event> rows;
  rows.reserve(round_events);
  uint64_t head = 0;
  absl::Time stored_at = absl::UnixEpoch();
  if (status.ok()) {
    absl::MutexLock lock(&mu_);
    head = head_;
    // Ids older than the window are forgotten before anything is compared,
    // also on an exchange that has not committed for a while.
    dedup_.Expire(clock_->Now());
    // stored_at never goes backwards in offset order, even if the clock does.
    stored_at = std::max(TruncateToMicros(clock_->Now()), last_stored_at_);
    absl::flat_hash_map<std::string, uint64_t> round_ids;
    for (size_t i = 0; i < round.size(); ++i) {
      for (Event& event : round[i].events) {
        // Only a publisher-chosen id can come back in a retry.
        const bool dedup = dedup_.enabled() && event.publisher_id;
        std::optional<uint64_t> original;
        if (dedup) {
          original = dedup_.Find(event.id);
          if (!original) {
            auto it = round_ids.find(event.id);
            if (it != round_ids.end()) original = it->second;
          }
        }
        if (original) {
          results[i].push_back({*original, true, event.id});
          continue;
        }
        event.offset = ++head;
        event.stored_at = stored_at;
        if (dedup) round_ids.emplace(event.id, event.offset);
        results[i].push_back({event.offset, false, event.id});
        rows.push_back(std::move(event));
      }
    }
  }
  if (status.ok() && !rows.empty()) {
    const absl::Time started = clock_->Now();
    status = store_->AppendEvents(record_.id, rows);
    metrics_->commit_duration.Observe(
        absl::ToDoubleSeconds(clock_->Now() - started));
    if (status.ok()) metrics_->commit_events.Observe(rows.size());
  }

  Completions deliveries;
  if (status.ok() && !rows.empty()) {
    absl::MutexLock fanout(&fanout_mu_);
    {
      absl::MutexLock lock(&mu_);
      head_ = head;
      last_stored_at_ = stored_at;
      for (const Event& row : rows) {
        if (row.publisher_id) dedup_.Add(row.id, row.offset, row.stored_at);
      }
    }
    events_in_.Add(rows.size());
    if (!queues_.empty()) {
      // Shared, immutable from here on: every queue and reader gets the same.
      std::vector<std::shared_ptr<const Event>> committed;
      committed.reserve(rows.size());
      for (Event& row : rows)
        committed.push_back(std::make_shared<const Event>(std::move(row)));
      for (const std::shared_ptr<Queue>& queue : queues_)
        queue->OnCommitted(committed, head, &deliveries);
    }
  } else if (!status.ok()) {
    // The transaction may or may not have committed: re-read before reuse.
    absl::MutexLock lock(&mu_);
    head_known_ = false;
  }
  // Live readers get their events outside every lock of the writer.
  RunCompletions(std::move(deliveries));

  const absl::Time answered_at = clock_->Now();
  for (size_t i = 0; i < round.size(); ++i) {
    if (status.ok()) {
      metrics_->latency.Observe(
          absl::ToDoubleSeconds(answered_at - round[i].appended_at));
      std::move(round[i].done)(std::move(results[i]));
    } else {
      std::move(round[i].done)(status);
    }
  }

  bool more;
  {
    absl::MutexLock lock(&mu_);
    more = !queue_.empty();
    committing_ = more;
  }
  // Re-posting (rather than looping) lets other exchanges' rounds interleave.
  if (more)
    executor_->Post([self = shared_from_this()] { self->CommitRound(); });
}

}  // namespace evrouter::core
