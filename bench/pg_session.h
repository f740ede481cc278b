#ifndef EVROUTER_BENCH_PG_SESSION_H_
#define EVROUTER_BENCH_PG_SESSION_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

// libpq's connection (PGconn), kept out of this header.
struct pg_conn;

namespace evrouter::bench {

// One libpq connection with the few operations the bench needs. Errors carry
// Postgres's message. Not thread-safe.
class PgSession {
 public:
  static absl::StatusOr<std::unique_ptr<PgSession>> Connect(
      const std::string& dsn);
  PgSession(const PgSession&) = delete;
  PgSession& operator=(const PgSession&) = delete;
  ~PgSession();

  // Runs a statement that returns no rows.
  absl::Status Exec(const std::string& sql);
  // The first column of the first row; nullopt for no row or SQL NULL.
  absl::StatusOr<std::optional<std::string>> QueryValue(const std::string& sql);

  // The libpq handle, for storage/pg_binary.h.
  pg_conn* raw() const { return conn_; }

 private:
  explicit PgSession(pg_conn* conn) : conn_(conn) {}
  absl::Status Error(absl::string_view what) const;

  pg_conn* conn_;
};

// The TCP port of a libpq DSN (URI or key=value); 5432 when it names none.
absl::StatusOr<int> DsnPort(const std::string& dsn);

// The DSN as key=value text with its database replaced by `database`.
absl::StatusOr<std::string> DsnWithDatabase(const std::string& dsn,
                                            absl::string_view database);

}  // namespace evrouter::bench

#endif  // EVROUTER_BENCH_PG_SESSION_H_
