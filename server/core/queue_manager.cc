#include "server/core/queue_manager.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "server/core/topic_matcher.h"
#include "server/core/validation.h"

namespace evrouter::core {
namespace {

absl::Status QueueNotFound(absl::string_view field, absl::string_view name) {
  return absl::NotFoundError(
      absl::StrCat(field, ": queue '", name, "' not found"));
}

}  // namespace

QueueManager::QueueManager(QueueManagerOptions options, Router* router,
                           EventStore* store, Executor* admin, Executor* reads,
                           Clock* clock)
    : options_(options),
      router_(router),
      store_(store),
      admin_(admin),
      offsets_(store, options.offset_flush_interval) {
  context_.store = store;
  context_.reads = reads;
  context_.offsets = &offsets_;
  context_.clock = clock;
  context_.catchup_chunk_events =
      std::max<size_t>(1, options.catchup_chunk_events);
  context_.catchup_chunk_bytes = options.catchup_chunk_bytes;
  router_->SetExchangeDeletedListener(
      [this](const ExchangeLog& log) { OnExchangeDeleted(log); });
}

absl::Status QueueManager::Load() {
  absl::StatusOr<std::vector<QueueRecord>> records = store_->LoadQueues();
  if (!records.ok()) return records.status();
  absl::StatusOr<std::vector<ConsumerRecord>> consumers =
      store_->LoadConsumers();
  if (!consumers.ok()) return consumers.status();
  absl::flat_hash_map<int64_t, std::shared_ptr<ExchangeLog>> logs;
  for (std::shared_ptr<ExchangeLog>& log : router_->Logs())
    logs.emplace(log->id(), std::move(log));
  absl::flat_hash_map<int64_t, std::shared_ptr<Queue>> by_id;
  absl::btree_map<std::string, std::shared_ptr<Queue>> loaded;
  for (QueueRecord& record : *records) {
    auto log = logs.find(record.exchange_id);
    if (log == logs.end()) {
      return absl::InternalError(
          absl::StrCat("queue '", record.name, "' refers to exchange id ",
                       record.exchange_id, " which is not loaded"));
    }
    auto queue = std::make_shared<Queue>(std::move(record), log->second->name(),
                                         log->second->kind(), &context_);
    by_id.emplace(queue->record().id, queue);
    loaded.emplace(queue->record().name, queue);
  }
  for (ConsumerRecord& consumer : *consumers) {
    auto queue = by_id.find(consumer.queue_id);
    if (queue != by_id.end())
      queue->second->RestoreConsumer(std::move(consumer));
  }
  for (auto& [id, queue] : by_id)
    logs[queue->record().exchange_id]->AttachQueue(queue);
  absl::MutexLock lock(&mu_);
  queues_ = std::move(loaded);
  return absl::OkStatus();
}

std::shared_ptr<Queue> QueueManager::Find(absl::string_view name) const {
  absl::MutexLock lock(&mu_);
  auto it = queues_.find(name);
  return it == queues_.end() ? nullptr : it->second;
}

absl::StatusOr<std::shared_ptr<Queue>> QueueManager::FindForField(
    absl::string_view field, absl::string_view name) const {
  if (absl::Status status = ValidateName(field, name); !status.ok())
    return status;
  std::shared_ptr<Queue> queue = Find(name);
  if (queue == nullptr) return QueueNotFound(field, name);
  return queue;
}

absl::StatusOr<std::shared_ptr<Queue>> QueueManager::FindConsumerQueue(
    absl::string_view queue_field, absl::string_view queue,
    absl::string_view consumer_field, absl::string_view consumer) const {
  absl::StatusOr<std::shared_ptr<Queue>> found =
      FindForField(queue_field, queue);
  if (!found.ok()) return found.status();
  if (absl::Status status = ValidateName(consumer_field, consumer);
      !status.ok())
    return status;
  return found;
}

void QueueManager::CreateQueue(
    QueueSpec spec,
    absl::AnyInvocable<void(absl::StatusOr<QueueInfo>) &&> done) {
  if (absl::Status status = ValidateName("name", spec.name); !status.ok()) {
    std::move(done)(status);
    return;
  }
  if (absl::Status status = ValidateName("exchange", spec.exchange);
      !status.ok()) {
    std::move(done)(status);
    return;
  }
  if (spec.limit_size == 0) spec.limit_size = options_.default_limit_size;
  if (absl::Status status = ValidateAtMost("limit_size", spec.limit_size,
                                           options_.max_limit_size);
      !status.ok()) {
    std::move(done)(status);
    return;
  }
  admin_->Post([this, spec = std::move(spec),
                done = std::move(done)]() mutable {
    absl::MutexLock admin(&admin_mu_);
    std::shared_ptr<ExchangeLog> log = router_->Find(spec.exchange);
    if (log == nullptr) {
      std::move(done)(absl::NotFoundError(
          absl::StrCat("exchange: exchange '", spec.exchange, "' not found")));
      return;
    }
    absl::StatusOr<std::vector<std::string>> bindings =
        NormalizeBindings(log->kind(), std::move(spec.bindings));
    if (!bindings.ok()) {
      std::move(done)(bindings.status());
      return;
    }
    if (std::shared_ptr<Queue> existing = Find(spec.name)) {
      const QueueRecord& record = existing->record();
      if (record.exchange_id == log->id() && record.bindings == *bindings &&
          record.limit_size == spec.limit_size) {
        std::move(done)(existing->Info());
      } else {
        std::move(done)(absl::AlreadyExistsError(
            absl::StrCat("name: queue '", spec.name,
                         "' exists with another exchange, bindings or "
                         "limit_size")));
      }
      return;
    }
    QueueRecord record;
    record.name = spec.name;
    record.exchange_id = log->id();
    record.bindings = *std::move(bindings);
    record.limit_size = spec.limit_size;
    record.start_offset = spec.from_earliest ? 0 : log->Info().head_offset;
    bool created = false;
    absl::StatusOr<QueueRecord> stored = store_->CreateQueue(record, &created);
    if (!stored.ok()) {
      std::move(done)(stored.status());
      return;
    }
    auto queue = std::make_shared<Queue>(*std::move(stored), log->name(),
                                         log->kind(), &context_);
    log->AttachQueue(queue);
    {
      absl::MutexLock lock(&mu_);
      queues_.insert_or_assign(spec.name, queue);
    }
    std::move(done)(queue->Info());
  });
}

absl::StatusOr<QueueInfo> QueueManager::GetQueue(absl::string_view name) const {
  absl::StatusOr<std::shared_ptr<Queue>> queue = FindForField("name", name);
  if (!queue.ok()) return queue.status();
  return (*queue)->Info();
}

absl::StatusOr<std::vector<QueueInfo>> QueueManager::ListQueues(
    absl::string_view exchange) const {
  if (!exchange.empty()) {
    if (absl::Status status = ValidateName("exchange", exchange); !status.ok())
      return status;
    if (router_->Find(exchange) == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("exchange: exchange '", exchange, "' not found"));
    }
  }
  std::vector<QueueInfo> infos;
  absl::MutexLock lock(&mu_);
  for (const auto& [name, queue] : queues_) {
    if (exchange.empty() || queue->exchange() == exchange)
      infos.push_back(queue->Info());
  }
  return infos;
}

void QueueManager::DeleteQueue(std::string name,
                               absl::AnyInvocable<void(absl::Status) &&> done) {
  absl::StatusOr<std::shared_ptr<Queue>> found = FindForField("name", name);
  if (!found.ok()) {
    std::move(done)(found.status());
    return;
  }
  admin_->Post([this, name = std::move(name),
                done = std::move(done)]() mutable {
    absl::MutexLock admin(&admin_mu_);
    std::shared_ptr<Queue> queue = Find(name);
    if (queue == nullptr) {
      std::move(done)(QueueNotFound("name", name));
      return;
    }
    // The row first: offsets written meanwhile skip a queue that is gone.
    absl::Status status = store_->DeleteQueue(name);
    if (!status.ok() && !absl::IsNotFound(status)) {
      std::move(done)(status);
      return;
    }
    queue->MarkDeleted(
        absl::NotFoundError(absl::StrCat("queue '", name, "' was deleted")));
    if (std::shared_ptr<ExchangeLog> log = router_->Find(queue->exchange()))
      log->DetachQueue(queue.get());
    {
      absl::MutexLock lock(&mu_);
      queues_.erase(name);
    }
    offsets_.ForgetQueue(queue->record().id);
    std::move(done)(absl::OkStatus());
  });
}

void QueueManager::OnExchangeDeleted(const ExchangeLog& log) {
  absl::MutexLock admin(&admin_mu_);
  std::vector<std::shared_ptr<Queue>> gone;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = queues_.begin(); it != queues_.end();) {
      if (it->second->record().exchange_id == log.id()) {
        gone.push_back(it->second);
        it = queues_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const std::shared_ptr<Queue>& queue : gone) {
    queue->MarkDeleted(absl::NotFoundError(
        absl::StrCat("exchange '", log.name(), "' of queue '",
                     queue->record().name, "' was deleted")));
    offsets_.ForgetQueue(queue->record().id);
  }
}

void QueueManager::CreateConsumer(
    std::string queue_name, std::string name,
    absl::AnyInvocable<void(absl::StatusOr<ConsumerInfo>) &&> done) {
  absl::StatusOr<std::shared_ptr<Queue>> queue =
      FindConsumerQueue("queue", queue_name, "name", name);
  if (!queue.ok()) {
    std::move(done)(queue.status());
    return;
  }
  (*queue)->EnsureConsumer(name);
  offsets_.Flush([queue = *queue, name = std::move(name),
                  done = std::move(done)](absl::Status status) mutable {
    if (!status.ok()) {
      std::move(done)(status);
      return;
    }
    std::optional<ConsumerInfo> info = queue->GetConsumer(name);
    if (!info) {
      std::move(done)(absl::NotFoundError(
          absl::StrCat("name: consumer '", name, "' was deleted")));
      return;
    }
    std::move(done)(*std::move(info));
  });
}

absl::StatusOr<std::vector<ConsumerInfo>> QueueManager::ListConsumers(
    absl::string_view queue_name) const {
  if (!queue_name.empty()) {
    absl::StatusOr<std::shared_ptr<Queue>> queue =
        FindForField("queue", queue_name);
    if (!queue.ok()) return queue.status();
    return (*queue)->Consumers();
  }
  std::vector<std::shared_ptr<Queue>> queues;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, queue] : queues_) queues.push_back(queue);
  }
  std::vector<ConsumerInfo> infos;
  for (const std::shared_ptr<Queue>& queue : queues) {
    std::vector<ConsumerInfo> consumers = queue->Consumers();
    infos.insert(infos.end(), std::make_move_iterator(consumers.begin()),
                 std::make_move_iterator(consumers.end()));
  }
  return infos;
}

void QueueManager::SeekConsumer(
    std::string queue_name, std::string name, SeekTarget target,
    absl::AnyInvocable<void(absl::StatusOr<ConsumerInfo>) &&> done) {
  absl::StatusOr<std::shared_ptr<Queue>> queue =
      FindConsumerQueue("queue", queue_name, "name", name);
  if (!queue.ok()) {
    std::move(done)(queue.status());
    return;
  }
  if (target.offset.has_value() == target.time.has_value()) {
    std::move(done)(absl::InvalidArgumentError(
        "target: set exactly one of offset and time"));
    return;
  }
  if (target.offset.has_value() && *target.offset == 0) {
    std::move(done)(absl::InvalidArgumentError("offset: must be at least 1"));
    return;
  }
  admin_->Post([this, queue = *queue, name = std::move(name), target,
                done = std::move(done)]() mutable {
    uint64_t offset;
    if (target.offset.has_value()) {
      offset = *target.offset;
    } else {
      absl::StatusOr<uint64_t> at =
          store_->OffsetAtTime(queue->record().exchange_id, *target.time);
      if (!at.ok()) {
        std::move(done)(at.status());
        return;
      }
      offset = *at;
    }
    absl::StatusOr<ConsumerInfo> info = queue->Seek(name, offset);
    if (!info.ok()) {
      std::move(done)(info.status());
      return;
    }
    offsets_.Flush([info = *std::move(info), queue, name,
                    done = std::move(done)](absl::Status status) mutable {
      if (!status.ok()) {
        std::move(done)(status);
        return;
      }
      std::optional<ConsumerInfo> now = queue->GetConsumer(name);
      std::move(done)(now ? *std::move(now) : std::move(info));
    });
  });
}

void QueueManager::DeleteConsumer(
    std::string queue_name, std::string name,
    absl::AnyInvocable<void(absl::Status) &&> done) {
  absl::StatusOr<std::shared_ptr<Queue>> queue =
      FindConsumerQueue("queue", queue_name, "name", name);
  if (!queue.ok()) {
    std::move(done)(queue.status());
    return;
  }
  if (absl::Status status = (*queue)->DeleteConsumer(name); !status.ok()) {
    std::move(done)(status);
    return;
  }
  // On the writer's thread, so a write of its offset in flight lands first.
  offsets_.Submit([this, queue_id = (*queue)->record().id,
                   name = std::move(name), done = std::move(done)]() mutable {
    std::move(done)(store_->DeleteConsumer(queue_id, name));
  });
}

void QueueManager::Subscribe(
    SubscribeSpec spec,
    absl::AnyInvocable<void(absl::StatusOr<std::shared_ptr<Subscription>>) &&>
        done) {
  const std::string& prefix = spec.field_prefix;
  absl::StatusOr<std::shared_ptr<Queue>> queue =
      FindConsumerQueue(absl::StrCat(prefix, "queue"), spec.queue,
                        absl::StrCat(prefix, "consumer"), spec.consumer);
  if (!queue.ok()) {
    std::move(done)(queue.status());
    return;
  }
  if (spec.max_in_flight == 0)
    spec.max_in_flight = options_.default_max_in_flight;
  if (absl::Status status =
          ValidateAtMost(absl::StrCat(prefix, "max_in_flight"),
                         spec.max_in_flight, options_.max_max_in_flight);
      !status.ok()) {
    std::move(done)(status);
    return;
  }
  Queue::Start start{Queue::Start::Kind::kResume, 0};
  switch (spec.position) {
    case SubscribeSpec::Position::kResume:
      break;
    case SubscribeSpec::Position::kEarliest:
      start.kind = Queue::Start::Kind::kEarliest;
      break;
    case SubscribeSpec::Position::kLatest:
      start.kind = Queue::Start::Kind::kLatest;
      break;
    case SubscribeSpec::Position::kOffset:
      if (spec.offset == 0) {
        std::move(done)(absl::InvalidArgumentError(
            absl::StrCat(prefix, "offset: must be at least 1")));
        return;
      }
      start = {Queue::Start::Kind::kOffset, spec.offset};
      break;
    case SubscribeSpec::Position::kTime:
      // Finding the offset reads the store: off the caller's thread.
      admin_->Post([this, queue = *queue, spec = std::move(spec),
                    done = std::move(done)]() mutable {
        absl::StatusOr<uint64_t> offset =
            store_->OffsetAtTime(queue->record().exchange_id, spec.time);
        if (!offset.ok()) {
          std::move(done)(offset.status());
          return;
        }
        std::move(done)(queue->Attach(
            spec.consumer, {Queue::Start::Kind::kOffset, *offset},
            spec.max_in_flight, spec.takeover, spec.report_caught_up));
      });
      return;
  }
  std::move(done)((*queue)->Attach(spec.consumer, start, spec.max_in_flight,
                                   spec.takeover, spec.report_caught_up));
}

void QueueManager::Ack(
    std::string queue_name, std::string consumer, uint64_t offset,
    absl::AnyInvocable<void(absl::StatusOr<uint64_t>) &&> done) {
  absl::StatusOr<std::shared_ptr<Queue>> queue =
      FindConsumerQueue("queue", queue_name, "consumer", consumer);
  if (!queue.ok()) {
    std::move(done)(queue.status());
    return;
  }
  if (offset == 0) {
    std::move(done)(absl::InvalidArgumentError("offset: must be at least 1"));
    return;
  }
  absl::StatusOr<uint64_t> committed =
      (*queue)->AckUnattached(consumer, offset);
  if (!committed.ok()) {
    std::move(done)(committed.status());
    return;
  }
  offsets_.Flush([committed = *committed,
                  done = std::move(done)](absl::Status status) mutable {
    if (!status.ok()) {
      std::move(done)(status);
      return;
    }
    std::move(done)(committed);
  });
}

Stats QueueManager::GetStats() const {
  Stats stats;
  stats.at = context_.clock->Now();
  for (const std::shared_ptr<ExchangeLog>& log : router_->Logs())
    stats.exchanges.push_back({log->Info(), log->EventsIn()});
  std::sort(stats.exchanges.begin(), stats.exchanges.end(),
            [](const ExchangeStats& a, const ExchangeStats& b) {
              return a.exchange.name < b.exchange.name;
            });
  std::vector<std::shared_ptr<Queue>> queues;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, queue] : queues_) queues.push_back(queue);
  }
  for (const std::shared_ptr<Queue>& queue : queues)
    stats.queues.push_back(queue->Stats());
  return stats;
}

absl::Status QueueManager::FlushOffsets() { return offsets_.FlushNow(); }

}  // namespace evrouter::core
