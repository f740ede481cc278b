#include "storage/pg_connection_pool.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "storage/pg_errors.h"

namespace evrouter {
namespace {

// libpqxx 6.4 keeps the PGconn private; a large object may reach it through
// this protected static, and so may a subclass.
class RawConnection : public pqxx::largeobject {
 public:
  static pg_conn* Of(const pqxx::dbtransaction& tx) {
    return raw_connection(tx);
  }
};

}  // namespace

PgConnectionPool::PgConnectionPool(std::string dsn, int size,
                                   PgReconnectBackoff backoff)
    : dsn_(std::move(dsn)),
      backoff_(backoff),
      size_(size),
      delay_(backoff.initial) {
  slots_.resize(size);
}

absl::Status PgConnectionPool::Run(
    std::string_view what, bool* commit_started,
    absl::FunctionRef<absl::Status(pqxx::connection&)> fn) {
  return RunSession(what, commit_started,
                    [&](PgSession& session) { return fn(session.conn); });
}

PgConnectionPool::Pooled PgConnectionPool::Connect() {
  Pooled pooled;
  pooled.conn = std::make_unique<pqxx::connection>(dsn_);
  // A lost connection is discarded, never reconnected in place, so the
  // libpq handle taken here stays the connection's.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  pooled.conn->inhibit_reactivation(true);
#pragma GCC diagnostic pop
  pqxx::read_transaction tx(*pooled.conn);
  pooled.raw = RawConnection::Of(tx);
  tx.commit();
  return pooled;
}

absl::Status PgConnectionPool::RunSession(
    std::string_view what, bool* commit_started,
    absl::FunctionRef<absl::Status(PgSession&)> fn) {
  for (int attempt = 0;; ++attempt) {
    Pooled pooled = Acquire();
    bool fresh = false;
    if (commit_started != nullptr) *commit_started = false;
    absl::Status status = RunMappingPgErrors(what, [&] {
      if (pooled.conn == nullptr || !pooled.conn->is_open()) {
        pooled = Pooled();
        fresh = true;
        if (absl::Status allowed = MayConnect(what); !allowed.ok()) {
          return allowed;
        }
        try {
          pooled = Connect();
        } catch (const std::exception& e) {
          ConnectFailed(e.what());
          throw;
        }
        Connected();
      }
      PgSession session{*pooled.conn, pooled.raw};
      return fn(session);
    });
    const bool lost = IsConnectionLost(status);
    Release(lost ? Pooled() : std::move(pooled));
    const bool may_retry = commit_started == nullptr || !*commit_started;
    if (lost && !fresh && may_retry && attempt == 0) continue;
    return status;
  }
}

absl::Status PgConnectionPool::MayConnect(std::string_view what) {
  absl::MutexLock lock(&mu_);
  const absl::Time now = absl::Now();
  if (now >= next_attempt_) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(
      absl::string_view(what.data(), what.size()), ": postgres unreachable (",
      last_failure_, "); next connection attempt in ",
      absl::FormatDuration(
          absl::Ceil(next_attempt_ - now, absl::Milliseconds(1)))));
}

void PgConnectionPool::ConnectFailed(std::string_view why) {
  absl::MutexLock lock(&mu_);
  last_failure_ = std::string(
      absl::StripAsciiWhitespace(absl::string_view(why.data(), why.size())));
  next_attempt_ = absl::Now() + delay_;
  delay_ = std::min(delay_ * 2, backoff_.max);
}

void PgConnectionPool::Connected() {
  absl::MutexLock lock(&mu_);
  next_attempt_ = absl::InfinitePast();
  delay_ = backoff_.initial;
}

PgConnectionPool::Pooled PgConnectionPool::Acquire() {
  absl::MutexLock lock(&mu_);
  ++waiting_;
  mu_.Await(absl::Condition(
      +[](std::vector<Pooled>* slots) { return !slots->empty(); }, &slots_));
  --waiting_;
  Pooled pooled = std::move(slots_.back());
  slots_.pop_back();
  return pooled;
}

ConnectionPoolUse PgConnectionPool::Use() const {
  absl::MutexLock lock(&mu_);
  ConnectionPoolUse use;
  use.size = size_;
  use.in_use = size_ - static_cast<int>(slots_.size());
  for (const Pooled& slot : slots_) {
    if (slot.conn != nullptr) ++use.idle_open;
  }
  use.waiting = waiting_;
  return use;
}

void PgConnectionPool::Release(Pooled pooled) {
  absl::MutexLock lock(&mu_);
  // Open connections go to the back so they are reused first.
  if (pooled.conn == nullptr) {
    slots_.insert(slots_.begin(), Pooled());
  } else {
    slots_.push_back(std::move(pooled));
  }
}

}  // namespace evrouter
