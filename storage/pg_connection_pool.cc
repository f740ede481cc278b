#include "storage/pg_connection_pool.h"

#include <utility>

#include "storage/pg_errors.h"

namespace evrouter {

PgConnectionPool::PgConnectionPool(std::string dsn, int size)
    : dsn_(std::move(dsn)) {
  slots_.resize(size);
}

absl::Status PgConnectionPool::Run(
    std::string_view what, bool* commit_started,
    absl::FunctionRef<absl::Status(pqxx::connection&)> fn) {
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<pqxx::connection> conn = Acquire();
    bool fresh = false;
    if (commit_started != nullptr) *commit_started = false;
    absl::Status status = RunMappingPgErrors(what, [&] {
      if (conn == nullptr || !conn->is_open()) {
        conn.reset();
        fresh = true;
        conn = std::make_unique<pqxx::connection>(dsn_);
      }
      return fn(*conn);
    });
    const bool lost = IsConnectionLost(status);
    Release(lost ? nullptr : std::move(conn));
    const bool may_retry = commit_started == nullptr || !*commit_started;
    if (lost && !fresh && may_retry && attempt == 0) continue;
    return status;
  }
}

std::unique_ptr<pqxx::connection> PgConnectionPool::Acquire() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](std::vector<std::unique_ptr<pqxx::connection>>* slots) {
        return !slots->empty();
      },
      &slots_));
  std::unique_ptr<pqxx::connection> conn = std::move(slots_.back());
  slots_.pop_back();
  return conn;
}

void PgConnectionPool::Release(std::unique_ptr<pqxx::connection> conn) {
  absl::MutexLock lock(&mu_);
  // Open connections go to the back so they are reused first.
  if (conn == nullptr) {
    slots_.insert(slots_.begin(), nullptr);
  } else {
    slots_.push_back(std::move(conn));
  }
}

}  // namespace evrouter
