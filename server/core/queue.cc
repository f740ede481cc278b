#include "server/core/queue.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace evrouter::core {
namespace {

// Approximate in-memory size of an event, for sizing catch-up reads.
size_t EventBytes(const Event& event) {
  size_t bytes = event.payload.size() + event.type.size() +
                 event.source.size() + event.content_type.size() + 128;
  for (const auto& [key, value] : event.headers)
    bytes += key.size() + value.size();
  return bytes;
}

// The first buffered event with an offset at or above `offset`.
std::deque<std::shared_ptr<const Event>>::const_iterator FirstAtOrAfter(
    const std::deque<std::shared_ptr<const Event>>& buffer, uint64_t offset) {
  return std::lower_bound(buffer.begin(), buffer.end(), offset,
                          [](const std::shared_ptr<const Event>& event,
                             uint64_t value) { return event->offset < value; });
}

}  // namespace

// ---------------------------------------------------------------- Queue

Queue::Queue(QueueRecord record, std::string exchange, ExchangeKind kind,
             const QueueContext* context)
    : record_(std::move(record)),
      exchange_(std::move(exchange)),
      bindings_(kind, record_.bindings),
      context_(context),
      events_out_(context->clock) {}

void Queue::StartAt(uint64_t head) {
  absl::MutexLock lock(&mu_);
  floor_ = std::max(head, record_.start_offset);
  horizon_ = head;
  started_ = true;
}

bool Queue::Holds(const Event& event) const {
  return event.offset > record_.start_offset && bindings_.Matches(event.type);
}

void Queue::OnCommitted(absl::Span<const std::shared_ptr<const Event>> events,
                        uint64_t head, Completions* out) {
  absl::MutexLock lock(&mu_);
  if (!deleted_.ok()) return;
  bool matched = false;
  for (const std::shared_ptr<const Event>& event : events) {
    if (!Holds(*event)) continue;
    matched = true;
    buffer_.push_back(event);
  }
  while (buffer_.size() > record_.limit_size) {
    floor_ = buffer_.front()->offset;
    buffer_.pop_front();
  }
  horizon_ = std::max(horizon_, head);
  if (matched) WakeWaitersLocked(out);
}

void Queue::WakeWaitersLocked(Completions* out) {
  std::vector<std::shared_ptr<Subscription>> waiters;
  waiters.swap(waiters_);
  for (const std::shared_ptr<Subscription>& waiter : waiters) {
    waiter->waiting_ = false;
    waiter->TryDeliverLocked(out);
  }
}

void Queue::OnHeadRecovered(uint64_t head) {
  Completions completions;
  {
    absl::MutexLock lock(&mu_);
    if (head <= horizon_) return;
    horizon_ = head;
    floor_ = std::max(floor_, head);
    while (!buffer_.empty() && buffer_.front()->offset <= floor_)
      buffer_.pop_front();
    WakeWaitersLocked(&completions);
  }
  Subscription::Run(std::move(completions));
}

void Queue::RestoreConsumer(ConsumerRecord record) {
  absl::MutexLock lock(&mu_);
  auto consumer = std::make_shared<ConsumerState>();
  std::string name = record.name;
  consumer->record = std::move(record);
  consumers_.insert_or_assign(std::move(name), std::move(consumer));
}

void Queue::Persist(const ConsumerState& consumer) {
  context_->offsets->Update(consumer.record);
}

std::shared_ptr<ConsumerState> Queue::NewConsumerLocked(
    const std::string& name) {
  auto consumer = std::make_shared<ConsumerState>();
  absl::Time now = context_->clock->Now();
  consumer->record = {record_.id, name, record_.start_offset, now, now};
  consumers_.emplace(name, consumer);
  return consumer;
}

absl::Status Queue::ConsumerNotFound(absl::string_view field,
                                     const std::string& name) const {
  return absl::NotFoundError(absl::StrCat(field, ": consumer '", name,
                                          "' not found in queue '",
                                          record_.name, "'"));
}

absl::StatusOr<ConsumerState*> Queue::SleepingConsumerLocked(
    absl::string_view field, const std::string& name,
    absl::string_view when_active) {
  if (!deleted_.ok()) return deleted_;
  auto it = consumers_.find(name);
  if (it == consumers_.end()) return ConsumerNotFound(field, name);
  if (it->second->attached != nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("consumer '", name, "' is ACTIVE; ", when_active));
  }
  return it->second.get();
}

void Queue::EnsureConsumer(const std::string& name) {
  absl::MutexLock lock(&mu_);
  if (!consumers_.contains(name)) Persist(*NewConsumerLocked(name));
}

absl::StatusOr<std::shared_ptr<Subscription>> Queue::Attach(
    const std::string& name, Start start, uint32_t max_in_flight, bool takeover,
    bool report_caught_up) {
  Completions completions;
  absl::StatusOr<std::shared_ptr<Subscription>> result;
  {
    absl::MutexLock lock(&mu_);
    if (!deleted_.ok()) return deleted_;
    if (start.kind == Start::Kind::kOffset && start.offset > horizon_ + 1) {
      return absl::OutOfRangeError(absl::StrCat(
          "start.offset: ", start.offset, " is beyond the next offset ",
          horizon_ + 1, " of exchange '", exchange_, "'"));
    }
    auto it = consumers_.find(name);
    std::shared_ptr<ConsumerState> consumer;
    if (it == consumers_.end()) {
      consumer = NewConsumerLocked(name);
    } else {
      consumer = it->second;
      if (consumer->attached != nullptr) {
        if (!takeover) {
          return absl::FailedPreconditionError(absl::StrCat(
              "consumer '", name, "' of queue '", record_.name,
              "' is ACTIVE on another stream; set takeover to replace it"));
        }
        consumer->attached->TerminateLocked(
            absl::AbortedError(absl::StrCat(
                "consumer '", name, "' was taken over by another subscriber")),
            &completions);
      }
    }
    ConsumerRecord& record = consumer->record;
    uint64_t next = record.committed_offset + 1;
    switch (start.kind) {
      case Start::Kind::kResume:
        break;
      case Start::Kind::kEarliest:
        next = record_.start_offset + 1;
        break;
      case Start::Kind::kLatest:
        next = horizon_ + 1;
        break;
      case Start::Kind::kOffset:
        next = std::max(start.offset, record_.start_offset + 1);
        break;
    }
    record.committed_offset = next - 1;
    record.last_active_at = context_->clock->Now();
    Persist(*consumer);
    auto subscription = std::make_shared<Subscription>(
        shared_from_this(), consumer, next, max_in_flight, report_caught_up);
    consumer->attached = subscription.get();
    result = std::move(subscription);
  }
  Subscription::Run(std::move(completions));
  return result;
}

absl::StatusOr<uint64_t> Queue::AckUnattached(const std::string& name,
                                              uint64_t offset) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<ConsumerState*> found =
      SleepingConsumerLocked("consumer", name, "ack on its stream");
  if (!found.ok()) return found.status();
  ConsumerState& consumer = **found;
  if (offset > horizon_) {
    return absl::OutOfRangeError(absl::StrCat(
        "offset: ", offset, " is beyond the exchange head ", horizon_));
  }
  if (offset > consumer.record.committed_offset) {
    consumer.record.committed_offset = offset;
    consumer.record.last_active_at = context_->clock->Now();
    Persist(consumer);
  }
  return consumer.record.committed_offset;
}

absl::StatusOr<ConsumerInfo> Queue::Seek(const std::string& name,
                                         uint64_t offset) {
  absl::MutexLock lock(&mu_);
  absl::StatusOr<ConsumerState*> found =
      SleepingConsumerLocked("name", name, "seek it while it sleeps");
  if (!found.ok()) return found.status();
  ConsumerState& consumer = **found;
  if (offset > horizon_ + 1) {
    return absl::OutOfRangeError(absl::StrCat(
        "offset: ", offset, " is beyond the next offset ", horizon_ + 1));
  }
  consumer.record.committed_offset =
      std::max(offset, record_.start_offset + 1) - 1;
  Persist(consumer);
  return InfoLocked(consumer);
}

absl::Status Queue::DeleteConsumer(const std::string& name) {
  Completions completions;
  {
    absl::MutexLock lock(&mu_);
    auto it = consumers_.find(name);
    if (it == consumers_.end()) return ConsumerNotFound("name", name);
    if (it->second->attached != nullptr) {
      it->second->attached->TerminateLocked(
          absl::NotFoundError(
              absl::StrCat("consumer '", name, "' was deleted")),
          &completions);
    }
    consumers_.erase(it);
    context_->offsets->Forget(record_.id, name);
  }
  Subscription::Run(std::move(completions));
  return absl::OkStatus();
}

void Queue::MarkDeleted(absl::Status status) {
  Completions completions;
  {
    absl::MutexLock lock(&mu_);
    if (!deleted_.ok()) return;
    deleted_ = status;
    for (auto& [name, consumer] : consumers_) {
      if (consumer->attached != nullptr)
        consumer->attached->TerminateLocked(status, &completions);
    }
    waiters_.clear();
    buffer_.clear();
  }
  Subscription::Run(std::move(completions));
}

uint64_t Queue::LagLocked(uint64_t committed) const {
  if (committed >= floor_) {
    return buffer_.end() - FirstAtOrAfter(buffer_, committed + 1);
  }
  // Behind the buffer: every exchange offset up to the buffer counts.
  return buffer_.size() + (floor_ - committed);
}

ConsumerInfo Queue::InfoLocked(const ConsumerState& consumer) const {
  return {record_.name,
          consumer.record.name,
          consumer.attached != nullptr,
          consumer.record.committed_offset,
          LagLocked(consumer.record.committed_offset),
          consumer.record.created_at,
          consumer.record.last_active_at};
}

std::optional<ConsumerInfo> Queue::GetConsumer(const std::string& name) const {
  absl::MutexLock lock(&mu_);
  auto it = consumers_.find(name);
  if (it == consumers_.end()) return std::nullopt;
  return InfoLocked(*it->second);
}

std::vector<ConsumerInfo> Queue::Consumers() const {
  absl::MutexLock lock(&mu_);
  std::vector<ConsumerInfo> infos;
  infos.reserve(consumers_.size());
  for (const auto& [name, consumer] : consumers_)
    infos.push_back(InfoLocked(*consumer));
  return infos;
}

QueueInfo Queue::Info() const {
  return {record_.name,         exchange_,
          record_.bindings,     record_.limit_size,
          record_.start_offset, record_.created_at};
}

QueueStats Queue::Stats() const {
  QueueStats stats;
  stats.queue = Info();
  stats.events_out = events_out_.Get();
  absl::MutexLock lock(&mu_);
  stats.buffered = buffer_.size();
  for (const auto& [name, consumer] : consumers_)
    stats.consumers.push_back(InfoLocked(*consumer));
  return stats;
}

// --------------------------------------------------------- Subscription

Subscription::Subscription(std::shared_ptr<Queue> queue,
                           std::shared_ptr<ConsumerState> consumer,
                           uint64_t next, uint32_t max_in_flight,
                           bool report_caught_up)
    : queue_(std::move(queue)),
      consumer_(std::move(consumer)),
      next_(next),
      max_in_flight_(std::max<uint32_t>(max_in_flight, 1)),
      report_caught_up_(report_caught_up),
      chunk_events_(queue_->context_->catchup_chunk_events) {}

void RunCompletions(Completions completions) {
  for (Completion& completion : completions)
    std::move(completion.done)(std::move(completion.result));
}

void Subscription::Next(DeliveryCallback done) {
  Completions completions;
  {
    absl::MutexLock lock(&queue_->mu_);
    if (pending_.has_value()) {
      completions.push_back(
          {std::move(done),
           absl::InternalError("Subscription::Next called twice")});
    } else {
      pending_ = std::move(done);
      TryDeliverLocked(&completions);
    }
  }
  Run(std::move(completions));
}

void Subscription::CompleteLocked(absl::StatusOr<Delivery> result,
                                  Completions* out) {
  queue_->mu_.AssertHeld();
  if (!pending_.has_value()) return;
  DeliveryCallback done = std::move(*pending_);
  pending_.reset();
  if (result.ok() && !result->events.empty()) {
    for (const auto& event : result->events)
      in_flight_.push_back(event->offset);
    last_delivered_ = result->events.back()->offset;
    queue_->events_out_.Add(result->events.size());
  }
  out->push_back({std::move(done), std::move(result)});
}

void Subscription::TryDeliverLocked(Completions* out) {
  queue_->mu_.AssertHeld();
  if (!pending_.has_value() || reading_ || waiting_) return;
  if (!status_.ok()) {
    CompleteLocked(status_, out);
    return;
  }
  if (in_flight_.size() >= max_in_flight_) return;  // Ack resumes
  const size_t credit = max_in_flight_ - in_flight_.size();
  Delivery delivery;
  if (!readahead_.empty()) {
    // Events of the last catch-up read that did not fit the credit.
    while (!readahead_.empty() && delivery.events.size() < credit) {
      delivery.events.push_back(std::move(readahead_.front()));
      readahead_.pop_front();
    }
    CompleteLocked(std::move(delivery), out);
    return;
  }
  if (next_ <= queue_->floor_) {
    // Behind the buffer: read history from the store, off this thread.
    reading_ = true;
    queue_->context_->reads->Post(
        [self = shared_from_this(), from = next_, floor = queue_->floor_,
         limit = chunk_events_] { self->ReadChunk(from, floor, limit); });
    return;
  }
  auto it = FirstAtOrAfter(queue_->buffer_, next_);
  for (; it != queue_->buffer_.end() && delivery.events.size() < credit; ++it)
    delivery.events.push_back(*it);
  if (it == queue_->buffer_.end()) {
    // Everything seen so far is handed out: skip the unmatched offsets too.
    next_ = std::max(next_, queue_->horizon_ + 1);
    if (report_caught_up_) {
      report_caught_up_ = false;
      delivery.caught_up = true;
    }
  } else {
    next_ = delivery.events.back()->offset + 1;
  }
  if (!delivery.events.empty() || delivery.caught_up || woken_) {
    woken_ = false;
    CompleteLocked(std::move(delivery), out);
    return;
  }
  waiting_ = true;
  queue_->waiters_.push_back(shared_from_this());
}

void Subscription::ReadChunk(uint64_t from, uint64_t floor, size_t limit) {
  const QueueContext& context = *queue_->context_;
  std::vector<std::shared_ptr<const Event>> matched;
  absl::Status status;
  size_t bytes = 0;
  size_t read = 0;
  // Unmatched events are skipped over until something matches or the buffer
  // takes over.
  while (matched.empty() && from <= floor) {
    absl::StatusOr<std::vector<Event>> events =
        context.store->ReadEvents(queue_->record_.exchange_id, from, limit);
    if (!events.ok()) {
      status = absl::UnavailableError(
          absl::StrCat("reading queue '", queue_->record_.name,
                       "' from storage failed: ", events.status().message()));
      break;
    }
    if (events->empty()) {
      status = absl::NotFoundError(absl::StrCat(
          "exchange '", queue_->exchange_, "' has no event at offset ", from));
      break;
    }
    read += events->size();
    from = events->back().offset + 1;
    for (Event& event : *events) {
      bytes += EventBytes(event);
      if (queue_->Holds(event))
        matched.push_back(std::make_shared<const Event>(std::move(event)));
    }
  }
  Completions completions;
  {
    absl::MutexLock lock(&queue_->mu_);
    reading_ = false;
    if (read > 0) {
      // Keep the next read near catchup_chunk_bytes.
      const size_t average = std::max<size_t>(bytes / read, 1);
      chunk_events_ = std::clamp<size_t>(context.catchup_chunk_bytes / average,
                                         1, context.catchup_chunk_events);
    }
    if (!status_.ok() || !pending_.has_value()) {
      // Ended meanwhile; TryDeliverLocked reports the end to a pending Next.
    } else if (!status.ok()) {
      TerminateLocked(status, &completions);
    } else {
      next_ = std::max(next_, from);
      readahead_.assign(std::make_move_iterator(matched.begin()),
                        std::make_move_iterator(matched.end()));
    }
    TryDeliverLocked(&completions);
  }
  Run(std::move(completions));
}

absl::Status Subscription::Ack(uint64_t offset) {
  Completions completions;
  absl::Status result;
  {
    absl::MutexLock lock(&queue_->mu_);
    if (!status_.ok()) return status_;
    ConsumerRecord& record = consumer_->record;
    if (offset <= record.committed_offset) return absl::OkStatus();
    if (offset > last_delivered_) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ack.offset: ", offset, " was not delivered on this stream (last ",
          "delivered offset ", last_delivered_, ")"));
    }
    while (!in_flight_.empty() && in_flight_.front() <= offset)
      in_flight_.pop_front();
    record.committed_offset = offset;
    record.last_active_at = queue_->context_->clock->Now();
    queue_->Persist(*consumer_);
    TryDeliverLocked(&completions);
  }
  Run(std::move(completions));
  return absl::OkStatus();
}

void Subscription::StopWaitingLocked() {
  queue_->mu_.AssertHeld();
  if (!waiting_) return;
  waiting_ = false;
  auto& waiters = queue_->waiters_;
  waiters.erase(std::remove(waiters.begin(), waiters.end(), shared_from_this()),
                waiters.end());
}

void Subscription::Wake() {
  Completions completions;
  {
    absl::MutexLock lock(&queue_->mu_);
    woken_ = true;
    StopWaitingLocked();
    TryDeliverLocked(&completions);
    if (!pending_.has_value()) woken_ = false;
  }
  Run(std::move(completions));
}

void Subscription::DetachLocked() {
  queue_->mu_.AssertHeld();
  StopWaitingLocked();
  if (consumer_->attached == this) {
    consumer_->attached = nullptr;
    consumer_->record.last_active_at = queue_->context_->clock->Now();
    queue_->Persist(*consumer_);
    queue_->context_->offsets->RequestFlush();
  }
}

void Subscription::TerminateLocked(absl::Status status, Completions* out) {
  queue_->mu_.AssertHeld();
  if (!status_.ok()) return;
  status_ = std::move(status);
  DetachLocked();
  CompleteLocked(status_, out);
}

void Subscription::Close() {
  Completions completions;
  {
    absl::MutexLock lock(&queue_->mu_);
    TerminateLocked(absl::CancelledError("subscription closed"), &completions);
  }
  Run(std::move(completions));
}

}  // namespace evrouter::core
