#include "bench/pg_ceiling.h"

#include <unistd.h>

#include <algorithm>
#include <memory>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/bench_payload.h"
#include "bench/pg_session.h"
#include "storage/pg_binary.h"

namespace evrouter::bench {
namespace {

constexpr int64_t kExchangeId = 1;
constexpr int16_t kColumns = 11;

// One row as the server writes it (storage/pg_event_store.cc): the same
// columns, in the same binary COPY format.
void AppendRow(PgBinaryCopyBuffer& copy, uint64_t offset, absl::Time stored_at,
               std::mt19937_64& random) {
  std::string id(16, '\0');
  for (int i = 0; i < 16; ++i) id[i] = static_cast<char>(random());
  copy.StartRow(kColumns);
  copy.AddInt64(kExchangeId);
  copy.AddInt64(static_cast<int64_t>(offset));
  copy.AddBytes(id);
  copy.AddBool(false);
  copy.AddBytes("bench.ceiling");
  copy.AddBytes("evrouter-bench");
  copy.AddNull();  // headers
  copy.AddBytes("application/octet-stream");
  copy.AddBytes(MakePayload(SteadyNowNs()));
  copy.AddNull();  // event_time
  copy.AddTimestamp(stored_at);
}

}  // namespace

absl::StatusOr<CeilingResult> MeasureCeiling(const std::string& dsn,
                                             uint64_t rows,
                                             uint32_t rows_per_tx) {
  absl::StatusOr<std::unique_ptr<PgSession>> session = PgSession::Connect(dsn);
  if (!session.ok()) return session.status();
  PgSession& pg = **session;
  absl::StatusOr<std::optional<std::string>> events_table =
      pg.QueryValue("SELECT to_regclass('events')::text");
  if (!events_table.ok()) return events_table.status();
  if (!events_table->has_value()) {
    return absl::FailedPreconditionError(
        "no table 'events' in the --pg-dsn database: point --pg-dsn at the "
        "database evrouterd uses (it creates the table at start)");
  }
  const std::string table = absl::StrCat("bench_ceiling_", getpid());
  if (absl::Status created = pg.Exec(
          absl::StrCat("CREATE TABLE ", table, " (LIKE events INCLUDING ALL)"));
      !created.ok()) {
    return created;
  }
  // The server's append script without its per-transaction check: the
  // whole transaction in two round trips.
  const std::string script = absl::StrCat(
      "BEGIN; COPY ", table,
      " (exchange_id, event_offset, id, publisher_id, type, source, headers, "
      "content_type, payload, event_time, stored_at) FROM STDIN "
      "(FORMAT binary); COMMIT");
  std::mt19937_64 random(std::random_device{}());
  std::string buffer;
  absl::Status status = absl::OkStatus();
  const absl::Time start = absl::Now();
  for (uint64_t next = 1; next <= rows && status.ok();) {
    const uint64_t end = std::min<uint64_t>(rows, next + rows_per_tx - 1);
    PgBinaryCopyBuffer copy(&buffer);
    const absl::Time stored_at = absl::Now();
    for (uint64_t offset = next; offset <= end; ++offset) {
      AppendRow(copy, offset, stored_at, random);
    }
    bool commit_started = false;
    status = RunCopyScript(pg.raw(), script, copy.Finish(), "ceiling",
                           &commit_started);
    next = end + 1;
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  absl::Status dropped = pg.Exec(absl::StrCat("DROP TABLE ", table));
  if (!status.ok()) return status;
  if (!dropped.ok()) return dropped;
  CeilingResult result;
  result.rows = rows;
  result.seconds = seconds;
  result.rows_per_sec = seconds > 0 ? static_cast<double>(rows) / seconds : 0;
  return result;
}

}  // namespace evrouter::bench
