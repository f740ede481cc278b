#include "server/core/router.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace evrouter::core {
namespace {

absl::Status ExchangeNotFound(absl::string_view field, absl::string_view name) {
  return absl::NotFoundError(
      absl::StrCat(field, ": exchange '", name, "' not found"));
}

}  // namespace

Router::Router(RouterOptions options, EventStore* store, Executor* executor,
               Clock* clock)
    : options_(std::move(options)),
      store_(store),
      executor_(executor),
      clock_(clock) {}

std::shared_ptr<ExchangeLog> Router::NewLog(ExchangeRecord record) {
  return std::make_shared<ExchangeLog>(std::move(record), options_.log, store_,
                                       executor_, clock_, &metrics_);
}

absl::Status Router::Load() {
  absl::StatusOr<std::vector<ExchangeRecord>> records = store_->LoadExchanges();
  if (!records.ok()) return records.status();
  absl::flat_hash_map<std::string, std::shared_ptr<ExchangeLog>> loaded;
  for (ExchangeRecord& record : *records) {
    std::string name = record.name;
    std::shared_ptr<ExchangeLog> log = NewLog(std::move(record));
    if (absl::Status status = log->Restore(); !status.ok()) return status;
    loaded.emplace(std::move(name), std::move(log));
  }
  absl::MutexLock lock(&mu_);
  exchanges_ = std::move(loaded);
  return absl::OkStatus();
}

std::shared_ptr<ExchangeLog> Router::Find(absl::string_view name) const {
  absl::MutexLock lock(&mu_);
  auto it = exchanges_.find(name);
  return it == exchanges_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<ExchangeLog>> Router::Logs() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<ExchangeLog>> logs;
  logs.reserve(exchanges_.size());
  for (const auto& [name, log] : exchanges_) logs.push_back(log);
  return logs;
}

void Router::Publish(absl::string_view exchange, std::vector<EventInput> events,
                     PublishCallback done) {
  if (absl::Status status = ValidateName("exchange", exchange); !status.ok()) {
    std::move(done)(status);
    return;
  }
  if (absl::Status status = ValidateBatch(events, options_.limits);
      !status.ok()) {
    std::move(done)(status);
    return;
  }
  std::shared_ptr<ExchangeLog> log = Find(exchange);
  if (log == nullptr) {
    std::move(done)(ExchangeNotFound("exchange", exchange));
    return;
  }
  const absl::Time now = clock_->Now();
  metrics_.batch_events.Observe(events.size());
  std::vector<Event> stored;
  stored.reserve(events.size());
  size_t bytes = 0;
  for (EventInput& input : events) {
    stored.push_back(ToStoredEvent(std::move(input), now));
    const Event& event = stored.back();
    bytes += event.payload.size() + event.type.size() + event.source.size() +
             event.content_type.size() + 64;
    for (const auto& [key, value] : event.headers)
      bytes += key.size() + value.size();
  }
  log->Append(std::move(stored), bytes, std::move(done));
}

void Router::CreateExchange(
    std::string name, ExchangeKind kind,
    absl::AnyInvocable<void(absl::StatusOr<ExchangeInfo>) &&> done) {
  if (absl::Status status = ValidateName("name", name); !status.ok()) {
    std::move(done)(status);
    return;
  }
  if (absl::Status status = ValidateExchangeKind("kind", kind); !status.ok()) {
    std::move(done)(status);
    return;
  }
  executor_->Post(
      [this, name = std::move(name), kind, done = std::move(done)]() mutable {
        absl::MutexLock admin(&admin_mu_);
        bool created = false;
        absl::StatusOr<ExchangeRecord> record =
            store_->CreateExchange(name, kind, &created);
        if (!record.ok()) {
          std::move(done)(record.status());
          return;
        }
        // The writer in memory is kept unless it belongs to another row
        // (one whose delete was reported failed but did commit).
        std::shared_ptr<ExchangeLog> existing = Find(name);
        if (existing != nullptr && existing->id() == record->id) {
          std::move(done)(existing->Info());
          return;
        }
        std::shared_ptr<ExchangeLog> log = NewLog(*std::move(record));
        // A new row is empty: nothing to restore, nothing that could fail.
        if (!created) {
          if (absl::Status status = log->Restore(); !status.ok()) {
            std::move(done)(status);
            return;
          }
        }
        ExchangeInfo info = log->Info();
        {
          absl::MutexLock lock(&mu_);
          exchanges_.insert_or_assign(name, std::move(log));
        }
        if (existing != nullptr) {
          existing->Close();
          if (deleted_listener_) deleted_listener_(*existing);
        }
        std::move(done)(std::move(info));
      });
}

void Router::DeleteExchange(std::string name,
                            absl::AnyInvocable<void(absl::Status) &&> done) {
  if (absl::Status status = ValidateName("name", name); !status.ok()) {
    std::move(done)(status);
    return;
  }
  executor_->Post(
      [this, name = std::move(name), done = std::move(done)]() mutable {
        absl::MutexLock admin(&admin_mu_);
        std::shared_ptr<ExchangeLog> log = Find(name);
        if (log == nullptr) {
          std::move(done)(ExchangeNotFound("name", name));
          return;
        }
        log->Close();  // no new appends while the rows go
        absl::Status status = store_->DeleteExchange(name);
        // A lost reply may hide a delete that did commit: ask before
        // reopening the writer.
        if (!status.ok() && !absl::IsNotFound(status) &&
            !absl::IsNotFound(store_->HeadOffset(log->id()).status())) {
          log->Reopen();
          std::move(done)(status);
          return;
        }
        {
          absl::MutexLock lock(&mu_);
          exchanges_.erase(name);
        }
        if (deleted_listener_) deleted_listener_(*log);
        std::move(done)(absl::OkStatus());
      });
}

absl::StatusOr<ExchangeInfo> Router::GetExchange(absl::string_view name) const {
  if (absl::Status status = ValidateName("name", name); !status.ok())
    return status;
  std::shared_ptr<ExchangeLog> log = Find(name);
  if (log == nullptr) return ExchangeNotFound("name", name);
  return log->Info();
}

std::vector<ExchangeInfo> Router::ListExchanges() const {
  std::vector<std::shared_ptr<ExchangeLog>> logs = Logs();
  std::vector<ExchangeInfo> infos;
  infos.reserve(logs.size());
  for (const auto& log : logs) infos.push_back(log->Info());
  std::sort(infos.begin(), infos.end(),
            [](const ExchangeInfo& a, const ExchangeInfo& b) {
              return a.name < b.name;
            });
  return infos;
}

}  // namespace evrouter::core
