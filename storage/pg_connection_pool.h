#ifndef EVROUTER_STORAGE_PG_CONNECTION_POOL_H_
#define EVROUTER_STORAGE_PG_CONNECTION_POOL_H_

// Internal to the Postgres store; exceptions from libpqxx stop here.

#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/records.h"

struct pg_conn;  // libpq's PGconn

namespace evrouter {

// A pooled connection: libpqxx for most statements, and its libpq handle for
// the binary hot paths (pg_binary.h). The handle is fixed for the life of the
// connection (reactivation is off; a lost connection is discarded).
struct PgSession {
  pqxx::connection& conn;
  pg_conn* raw;
};

// After a failed connection attempt the pool waits before the next one:
// `initial`, doubled after each further failure up to `max`, back to
// `initial` once a connection opens. Meanwhile calls that need a new
// connection fail at once with UNAVAILABLE instead of each waiting out a
// connect timeout against a database that is down.
struct PgReconnectBackoff {
  absl::Duration initial = absl::Milliseconds(100);
  absl::Duration max = absl::Seconds(5);
};

// A fixed number of slots for connections to one DSN; a slot holds an open
// connection or nullptr (opened on next use). Thread-safe: Run may be called
// from any number of threads; a caller blocks while every slot is borrowed.
class PgConnectionPool {
 public:
  // `size` >= 1 slots, all empty: nothing connects until the first Run.
  PgConnectionPool(std::string dsn, int size, PgReconnectBackoff backoff = {});

  PgConnectionPool(const PgConnectionPool&) = delete;
  PgConnectionPool& operator=(const PgConnectionPool&) = delete;

  // Runs `fn` on a borrowed connection, mapping exceptions to a status
  // (RunMappingPgErrors, prefixed with `what`). A lost connection is dropped.
  // Retry rule: when the lost connection had been idle in the pool (so the
  // server may merely have restarted) and `commit_started` is null or still
  // false, `fn` runs once more on a fresh connection; never more than once,
  // and never after `fn` set `*commit_started` (the commit outcome is unknown).
  absl::Status Run(std::string_view what, bool* commit_started,
                   absl::FunctionRef<absl::Status(pqxx::connection&)> fn);
  // The same, with the libpq handle too.
  absl::Status RunSession(std::string_view what, bool* commit_started,
                          absl::FunctionRef<absl::Status(PgSession&)> fn);

  // The slots' use right now.
  ConnectionPoolUse Use() const;

 private:
  struct Pooled {
    std::unique_ptr<pqxx::connection> conn;
    pg_conn* raw = nullptr;
  };
  // Opens a connection and finds its libpq handle. Throws like libpqxx.
  Pooled Connect();
  // OK when a connection attempt may be made now; UNAVAILABLE, naming the
  // last failure, while the reconnect backoff runs.
  absl::Status MayConnect(std::string_view what);
  void ConnectFailed(std::string_view why);
  void Connected();
  Pooled Acquire();
  void Release(Pooled pooled);

  const std::string dsn_;
  const PgReconnectBackoff backoff_;
  const int size_;
  mutable absl::Mutex mu_;
  // The slots not borrowed; borrowed ones are size_ - slots_.size().
  std::vector<Pooled> slots_ ABSL_GUARDED_BY(mu_);
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
  // Reconnect backoff: no attempt before next_attempt_; the delay after the
  // next failure; why the last attempt failed.
  absl::Time next_attempt_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Duration delay_ ABSL_GUARDED_BY(mu_);
  std::string last_failure_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evrouter

#endif  // EVROUTER_STORAGE_PG_CONNECTION_POOL_H_
