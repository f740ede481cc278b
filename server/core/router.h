#ifndef EVROUTER_SERVER_CORE_ROUTER_H_
#define EVROUTER_SERVER_CORE_ROUTER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/core/clock.h"
#include "server/core/exchange_log.h"
#include "server/core/executor.h"
#include "server/core/publish_metrics.h"
#include "server/core/validation.h"
#include "storage/event_store.h"

namespace evrouter::core {

struct RouterOptions {
  PublishLimits limits;
  ExchangeLogOptions log;
};

// The core of the server: the exchanges and their writers. Validates
// publishes, hands them to the exchange's single writer, and runs admin
// operations against the store on the executor, never on the caller's thread.
// Reads (GetExchange, ListExchanges) come from memory. Thread-safe.
class Router {
 public:
  // `store`, `executor` and `clock` must outlive the router.
  Router(RouterOptions options, EventStore* store, Executor* executor,
         Clock* clock);

  // Restores every exchange, its head and dedup window from the store.
  // Blocking; call once before serving.
  absl::Status Load();

  // Validation failures call `done` inline; otherwise `done` runs on a storage
  // thread after commit.
  void Publish(absl::string_view exchange, std::vector<EventInput> events,
               PublishCallback done);

  // Creates an exchange (same kind again: the existing one). `done` runs on a
  // storage thread, or inline for invalid arguments.
  void CreateExchange(
      std::string name, ExchangeKind kind,
      absl::AnyInvocable<void(absl::StatusOr<ExchangeInfo>) &&> done);

  // Deletes an exchange and its events; queued publishes to it fail NOT_FOUND.
  void DeleteExchange(std::string name,
                      absl::AnyInvocable<void(absl::Status) &&> done);

  absl::StatusOr<ExchangeInfo> GetExchange(absl::string_view name) const;
  std::vector<ExchangeInfo> ListExchanges() const;  // sorted by name

  const PublishLimits& limits() const { return options_.limits; }
  // Write-path histograms, for /metrics.
  const PublishMetrics& metrics() const { return metrics_; }

  // The writer of an exchange, or nullptr.
  std::shared_ptr<ExchangeLog> Find(absl::string_view name) const;
  // Every writer, in no particular order.
  std::vector<std::shared_ptr<ExchangeLog>> Logs() const;

  // Called (on a storage thread, under the admin lock) after an exchange row
  // is gone: its queues and consumers went with it. Set once, before serving.
  void SetExchangeDeletedListener(
      absl::AnyInvocable<void(const ExchangeLog& log)> listener) {
    deleted_listener_ = std::move(listener);
  }

 private:
  std::shared_ptr<ExchangeLog> NewLog(ExchangeRecord record);

  const RouterOptions options_;
  EventStore* const store_;
  Executor* const executor_;
  Clock* const clock_;
  PublishMetrics metrics_;

  absl::AnyInvocable<void(const ExchangeLog& log)> deleted_listener_;
  // Serialises admin operations (rare) so create/delete of one name never race.
  absl::Mutex admin_mu_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<ExchangeLog>> exchanges_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace evrouter::core

#endif  // EVROUTER_SERVER_CORE_ROUTER_H_
