#ifndef EVROUTER_STORAGE_PG_BINARY_H_
#define EVROUTER_STORAGE_PG_BINARY_H_

// Internal to the Postgres store: PostgreSQL's binary wire format and plain
// libpq, for the two hot paths (appending events with COPY, reading them back
// for catch-up). Binary avoids hex-encoding payloads, escaping COPY text and
// parsing timestamps and UUIDs on both sides; plain libpq lets an append be
// two round trips instead of five. Failures come back as statuses
// (pg_errors' mapping); a lost connection is UNAVAILABLE.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct pg_conn;  // libpq's PGconn (PgSession::raw)

namespace evrouter {

// Builds the data of `COPY ... FROM STDIN (FORMAT binary)`: the signature,
// then rows of fields in the table's column order, then the trailer (added by
// Finish). Values use each type's binary send format. Writes into `*data`
// (cleared first), so a caller can keep one buffer's capacity across appends:
// a fresh buffer per append cost more in page faults than the encoding.
class PgBinaryCopyBuffer {
 public:
  explicit PgBinaryCopyBuffer(std::string* data);

  void StartRow(int16_t fields);
  void AddInt64(int64_t value);           // bigint
  void AddBool(bool value);               // boolean
  void AddBytes(std::string_view value);  // bytea, text, uuid (16 raw bytes)
  void AddJsonb(std::string_view json);   // jsonb (version 1 + JSON text)
  void AddTimestamp(absl::Time time);     // timestamptz, truncated to µs
  void AddNull();

  // Appends the trailer; the buffer is complete afterwards.
  const std::string& Finish();

 private:
  void AddLength(int32_t length);
  std::string& data_;
};

// Runs `script`, semicolon-separated statements of which exactly one is a
// `COPY ... FROM STDIN (FORMAT binary)`, as one simple query on an idle
// connection, feeding `data` (from PgBinaryCopyBuffer::Finish) to the COPY.
// The statements after the COPY run once its data is in, in the same round
// trip: "BEGIN; COPY ...; <checks>; COMMIT" is a whole transaction in two
// round trips. Sets `*commit_started` just before the data goes out (from
// then on a lost connection leaves the outcome unknown). On failure the
// transaction is rolled back and the connection left idle.
absl::Status RunCopyScript(pg_conn* conn, std::string_view script,
                           std::string_view data, std::string_view what,
                           bool* commit_started);

// The rows of a query run with binary results: field values are the raw
// bytes of each type's binary send format. Holds the libpq result.
class PgBinaryResult {
 public:
  PgBinaryResult(PgBinaryResult&& other) noexcept;
  PgBinaryResult& operator=(PgBinaryResult&&) = delete;
  ~PgBinaryResult();

  int rows() const;
  bool IsNull(int row, int column) const;
  std::string_view Bytes(int row, int column) const;  // text, bytea, uuid
  // The typed readers fail (INTERNAL) when the field has the wrong size.
  absl::StatusOr<int64_t> Int64(int row, int column) const;
  absl::StatusOr<bool> Bool(int row, int column) const;
  absl::StatusOr<absl::Time> Timestamp(int row, int column) const;
  // The JSON text of a jsonb field.
  absl::StatusOr<std::string_view> Jsonb(int row, int column) const;

 private:
  friend absl::StatusOr<PgBinaryResult> ExecBinary(
      pg_conn* conn, std::string_view sql, const std::vector<int64_t>& params,
      std::string_view what);
  explicit PgBinaryResult(void* result) : result_(result) {}
  void* result_;  // PGresult*
};

// Runs one statement `sql` with bigint parameters $1.. (in its own implicit
// transaction: one round trip), asking for binary results.
absl::StatusOr<PgBinaryResult> ExecBinary(pg_conn* conn, std::string_view sql,
                                          const std::vector<int64_t>& params,
                                          std::string_view what);

}  // namespace evrouter

#endif  // EVROUTER_STORAGE_PG_BINARY_H_
