#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "storage/event_store.h"

namespace evrouter {
namespace {

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
    exchange.record.created_at =
        absl::FromUnixMicros(absl::ToUnixMicros(absl::Now()));
    *created = true;
    return exchange.record;
  }

  absl::Status DeleteExchange(std::string_view name) override {
    absl::MutexLock lock(&mu_);
    if (exchanges_.erase(std::string(name)) == 0) {
      return absl::NotFoundError(
          absl::StrCat("exchange '", std::string(name), "' not found"));
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

  absl::Status Ping() override { return absl::OkStatus(); }

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

  absl::Mutex mu_;
  std::map<std::string, Exchange> exchanges_ ABSL_GUARDED_BY(mu_);
  int64_t last_id_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

std::unique_ptr<EventStore> NewMemoryEventStore() {
  return std::make_unique<MemoryEventStore>();
}

}  // namespace evrouter
