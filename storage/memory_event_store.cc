#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "storage/event_store.h"
#include "storage/store_checks.h"

namespace evrouter {
namespace {

// Postgres keeps timestamps to the microsecond; so does this store.
absl::Time TruncateToMicros(absl::Time t) {
  return absl::FromUnixMicros(absl::ToUnixMicros(t));
}

absl::Status NotFoundExchange(int64_t exchange_id) {
  return absl::NotFoundError(
      absl::StrCat("exchange id ", exchange_id, " not found"));
}

class MemoryEventStore : public EventStore {
 public:
  absl::StatusOr<std::vector<ExchangeRecord>> LoadExchanges() override {
    absl::MutexLock lock(&mu_);
    std::vector<ExchangeRecord> out;
    for (const auto& [name, exchange] : exchanges_) {
      ExchangeRecord record = exchange.record;
      record.head_offset = exchange.events.size();
      out.push_back(std::move(record));
    }
    return out;
  }

  absl::StatusOr<ExchangeRecord> CreateExchange(std::string_view name,
                                                ExchangeKind kind,
                                                bool* created) override {
    absl::MutexLock lock(&mu_);
    auto it = exchanges_.find(std::string(name));
    if (it != exchanges_.end()) {
      if (it->second.record.kind != kind) {
        return absl::AlreadyExistsError(absl::StrCat(
            "exchange '", std::string(name), "' already exists with kind ",
            ExchangeKindName(it->second.record.kind)));
      }
      *created = false;
      ExchangeRecord record = it->second.record;
      record.head_offset = it->second.events.size();
      return record;
    }
    Exchange& exchange = exchanges_[std::string(name)];
    exchange.record.id = ++last_id_;
    exchange.record.name = std::string(name);
    exchange.record.kind = kind;
    exchange.record.created_at = TruncateToMicros(absl::Now());
    *created = true;
    return exchange.record;
  }

  absl::Status DeleteExchange(std::string_view name) override {
    absl::MutexLock lock(&mu_);
    auto it = exchanges_.find(std::string(name));
    if (it == exchanges_.end()) {
      return absl::NotFoundError(
          absl::StrCat("exchange '", std::string(name), "' not found"));
    }
    const int64_t exchange_id = it->second.record.id;
    exchanges_.erase(it);
    for (auto queue = queues_.begin(); queue != queues_.end();) {
      if (queue->second.exchange_id == exchange_id) {
        EraseConsumersOf(queue->second.id);
        queue = queues_.erase(queue);
      } else {
        ++queue;
      }
    }
    return absl::OkStatus();
  }

  absl::Status AppendEvents(int64_t exchange_id,
                            absl::Span<const Event> events) override {
    absl::MutexLock lock(&mu_);
    Exchange* exchange = FindById(exchange_id);
    if (exchange == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("exchange id ", exchange_id, " not found"));
    }
    uint64_t expected = exchange->events.size() + 1;
    for (const Event& event : events) {
      if (event.offset != expected++) {
        return absl::AbortedError(absl::StrCat(
            "offset conflict: ", event.offset, " does not follow the head"));
      }
    }
    exchange->events.insert(exchange->events.end(), events.begin(),
                            events.end());
    return absl::OkStatus();
  }

  absl::StatusOr<uint64_t> HeadOffset(int64_t exchange_id) override {
    absl::MutexLock lock(&mu_);
    Exchange* exchange = FindById(exchange_id);
    if (exchange == nullptr) return absl::NotFoundError("exchange not found");
    return exchange->events.size();
  }

  absl::StatusOr<std::vector<StoredId>> RecentIds(
      int64_t exchange_id, absl::Time since, uint64_t after_offset) override {
    absl::MutexLock lock(&mu_);
    Exchange* exchange = FindById(exchange_id);
    if (exchange == nullptr) return absl::NotFoundError("exchange not found");
    std::vector<StoredId> out;
    for (const Event& event : exchange->events) {
      if (event.publisher_id &&
          (event.stored_at >= since || event.offset > after_offset)) {
        out.push_back({event.id, event.offset, event.stored_at});
      }
    }
    return out;
  }

  absl::StatusOr<std::vector<Event>> ReadEvents(int64_t exchange_id,
                                                uint64_t from_offset,
                                                size_t limit) override {
    absl::MutexLock lock(&mu_);
    Exchange* exchange = FindById(exchange_id);
    if (exchange == nullptr) return absl::NotFoundError("exchange not found");
    std::vector<Event> out;
    for (uint64_t offset = std::max<uint64_t>(from_offset, 1);
         offset <= exchange->events.size() && out.size() < limit; ++offset) {
      out.push_back(exchange->events[offset - 1]);
    }
    return out;
  }

  absl::StatusOr<uint64_t> OffsetAtTime(int64_t exchange_id,
                                        absl::Time time) override {
    absl::MutexLock lock(&mu_);
    Exchange* exchange = FindById(exchange_id);
    if (exchange == nullptr) return NotFoundExchange(exchange_id);
    // stored_at is non-decreasing in offset order.
    const int64_t micros = absl::ToUnixMicros(time);
    auto it = std::partition_point(
        exchange->events.begin(), exchange->events.end(),
        [micros](const Event& event) {
          return absl::ToUnixMicros(event.stored_at) < micros;
        });
    return static_cast<uint64_t>(it - exchange->events.begin()) + 1;
  }

  absl::StatusOr<std::vector<QueueRecord>> LoadQueues() override {
    absl::MutexLock lock(&mu_);
    std::vector<QueueRecord> out;
    out.reserve(queues_.size());
    for (const auto& [name, queue] : queues_) out.push_back(queue);
    return out;
  }

  absl::StatusOr<QueueRecord> CreateQueue(const QueueRecord& spec,
                                          bool* created) override {
    if (absl::Status status = CheckQueueSpec(spec); !status.ok()) {
      return status;
    }
    absl::MutexLock lock(&mu_);
    auto it = queues_.find(spec.name);
    if (it != queues_.end()) {
      if (absl::Status status = CheckSameQueue(it->second, spec);
          !status.ok()) {
        return status;
      }
      if (created != nullptr) *created = false;
      return it->second;
    }
    if (FindById(spec.exchange_id) == nullptr) {
      return NotFoundExchange(spec.exchange_id);
    }
    QueueRecord& queue = queues_[spec.name];
    queue = spec;
    queue.id = ++last_queue_id_;
    queue.created_at = TruncateToMicros(absl::Now());
    if (created != nullptr) *created = true;
    return queue;
  }

  absl::Status DeleteQueue(std::string_view name) override {
    absl::MutexLock lock(&mu_);
    auto it = queues_.find(std::string(name));
    if (it == queues_.end()) {
      return absl::NotFoundError(
          absl::StrCat("queue '", std::string(name), "' not found"));
    }
    EraseConsumersOf(it->second.id);
    queues_.erase(it);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<ConsumerRecord>> LoadConsumers() override {
    absl::MutexLock lock(&mu_);
    std::vector<ConsumerRecord> out;
    out.reserve(consumers_.size());
    for (const auto& [key, consumer] : consumers_) out.push_back(consumer);
    return out;
  }

  absl::Status SaveConsumers(
      absl::Span<const ConsumerRecord> consumers) override {
    for (const ConsumerRecord& consumer : consumers) {
      if (absl::Status status = CheckConsumer(consumer); !status.ok()) {
        return status;
      }
    }
    absl::MutexLock lock(&mu_);
    std::set<int64_t> queue_ids;
    for (const auto& [name, queue] : queues_) queue_ids.insert(queue.id);
    for (const ConsumerRecord& consumer : consumers) {
      if (queue_ids.count(consumer.queue_id) == 0) continue;
      auto [it, inserted] = consumers_.try_emplace(
          std::make_pair(consumer.queue_id, consumer.name), consumer);
      ConsumerRecord& stored = it->second;
      if (inserted) {
        stored.created_at = TruncateToMicros(consumer.created_at);
      } else {
        stored.committed_offset = consumer.committed_offset;
      }
      stored.last_active_at = TruncateToMicros(consumer.last_active_at);
    }
    return absl::OkStatus();
  }

  absl::Status DeleteConsumer(int64_t queue_id,
                              std::string_view name) override {
    absl::MutexLock lock(&mu_);
    consumers_.erase(std::make_pair(queue_id, std::string(name)));
    return absl::OkStatus();
  }

  absl::Status Ping() override { return absl::OkStatus(); }
  ConnectionPoolUse PoolUse() const override { return {}; }

 private:
  struct Exchange {
    ExchangeRecord record;
    std::vector<Event> events;  // events[i].offset == i + 1
  };

  Exchange* FindById(int64_t id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (auto& [name, exchange] : exchanges_) {
      if (exchange.record.id == id) return &exchange;
    }
    return nullptr;
  }

  void EraseConsumersOf(int64_t queue_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    consumers_.erase(consumers_.lower_bound({queue_id, std::string()}),
                     consumers_.lower_bound({queue_id + 1, std::string()}));
  }

  absl::Mutex mu_;
  std::map<std::string, Exchange> exchanges_ ABSL_GUARDED_BY(mu_);
  int64_t last_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, QueueRecord> queues_ ABSL_GUARDED_BY(mu_);
  int64_t last_queue_id_ ABSL_GUARDED_BY(mu_) = 0;
  // By (queue_id, name): the order LoadConsumers returns.
  std::map<std::pair<int64_t, std::string>, ConsumerRecord> consumers_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::unique_ptr<EventStore> NewMemoryEventStore() {
  return std::make_unique<MemoryEventStore>();
}

}  // namespace evrouter
