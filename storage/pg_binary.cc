#include "storage/pg_binary.h"

#include <endian.h>
#include <libpq-fe.h>

#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "storage/pg_errors.h"

namespace evrouter {
namespace {

// Debian's Abseil has its own string_view type; convert at call sites.
absl::string_view AsAbsl(std::string_view s) { return {s.data(), s.size()}; }

// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 UTC).
constexpr int64_t kPgEpochUnixMicros = int64_t{946684800} * 1000000;

constexpr char kCopySignature[] = "PGCOPY\n\377\r\n\0";  // 11 bytes

// The status of a failed libpq operation on `conn` (with its result, if any).
absl::Status Failure(PGconn* conn, const PGresult* result,
                     std::string_view what) {
  if (PQstatus(conn) != CONNECTION_OK) {
    return absl::UnavailableError(absl::StrCat(
        AsAbsl(what), ": connection lost: ", PQerrorMessage(conn)));
  }
  const char* sqlstate = result != nullptr
                             ? PQresultErrorField(result, PG_DIAG_SQLSTATE)
                             : nullptr;
  const char* message =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY)
                        : nullptr;
  if (message == nullptr || *message == '\0') message = PQerrorMessage(conn);
  return StatusFromSqlState(what, sqlstate != nullptr ? sqlstate : "", message);
}

// Reads every remaining result of the command; the first failure wins.
absl::Status DrainResults(PGconn* conn, std::string_view what) {
  absl::Status status;
  while (PGresult* result = PQgetResult(conn)) {
    const ExecStatusType type = PQresultStatus(result);
    if (status.ok() && type != PGRES_COMMAND_OK && type != PGRES_TUPLES_OK) {
      status = Failure(conn, result, what);
    }
    PQclear(result);
  }
  if (status.ok() && PQstatus(conn) != CONNECTION_OK) {
    status = Failure(conn, nullptr, what);
  }
  return status;
}

void AppendBigEndian32(std::string* out, uint32_t value) {
  const uint32_t be = htobe32(value);
  out->append(reinterpret_cast<const char*>(&be), sizeof be);
}

void AppendBigEndian64(std::string* out, uint64_t value) {
  const uint64_t be = htobe64(value);
  out->append(reinterpret_cast<const char*>(&be), sizeof be);
}

absl::Status WrongSize(std::string_view type, int column, size_t size) {
  return absl::InternalError(absl::StrCat("column ", column, ": a ",
                                          AsAbsl(type), " of ", size,
                                          " bytes in a binary result"));
}

}  // namespace

PgBinaryCopyBuffer::PgBinaryCopyBuffer(std::string* data) : data_(*data) {
  data_.clear();
  data_.append(kCopySignature, sizeof kCopySignature - 1);
  AppendBigEndian32(&data_, 0);  // flags: no OIDs
  AppendBigEndian32(&data_, 0);  // header extension length
}

void PgBinaryCopyBuffer::StartRow(int16_t fields) {
  const uint16_t be = htobe16(static_cast<uint16_t>(fields));
  data_.append(reinterpret_cast<const char*>(&be), sizeof be);
}

void PgBinaryCopyBuffer::AddLength(int32_t length) {
  AppendBigEndian32(&data_, static_cast<uint32_t>(length));
}

void PgBinaryCopyBuffer::AddInt64(int64_t value) {
  AddLength(8);
  AppendBigEndian64(&data_, static_cast<uint64_t>(value));
}

void PgBinaryCopyBuffer::AddBool(bool value) {
  AddLength(1);
  data_.push_back(value ? 1 : 0);
}

void PgBinaryCopyBuffer::AddBytes(std::string_view value) {
  AddLength(static_cast<int32_t>(value.size()));
  data_.append(value);
}

void PgBinaryCopyBuffer::AddJsonb(std::string_view json) {
  AddLength(static_cast<int32_t>(json.size() + 1));
  data_.push_back(1);  // jsonb binary format version
  data_.append(json);
}

void PgBinaryCopyBuffer::AddTimestamp(absl::Time time) {
  AddInt64(absl::ToUnixMicros(time) - kPgEpochUnixMicros);
}

void PgBinaryCopyBuffer::AddNull() { AddLength(-1); }

const std::string& PgBinaryCopyBuffer::Finish() {
  StartRow(-1);
  return data_;
}

absl::Status RunCopyScript(PGconn* conn, std::string_view script,
                           std::string_view data, std::string_view what,
                           bool* commit_started) {
  absl::Status status;
  if (PQsendQuery(conn, std::string(script).c_str()) != 1) {
    return Failure(conn, nullptr, what);
  }
  // The results of the statements before the COPY, then its CopyInResponse.
  bool copying = false;
  while (!copying) {
    PGresult* result = PQgetResult(conn);
    if (result == nullptr) break;  // the script ended early (an error)
    const ExecStatusType type = PQresultStatus(result);
    if (type == PGRES_COPY_IN) {
      copying = true;
    } else if (status.ok() && type != PGRES_COMMAND_OK &&
               type != PGRES_TUPLES_OK) {
      status = Failure(conn, result, what);
    }
    PQclear(result);
  }
  if (copying) {
    *commit_started = true;
    // A failed send is reported by the COPY's result (or the connection).
    if (!status.ok() ||
        data.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
        PQputCopyData(conn, data.data(), static_cast<int>(data.size())) != 1) {
      PQputCopyEnd(conn, "evrouter: COPY abandoned");
    } else {
      PQputCopyEnd(conn, nullptr);
    }
    absl::Status rest = DrainResults(conn, what);
    if (status.ok()) status = rest;
  } else if (status.ok()) {
    status = Failure(conn, nullptr, what);  // no COPY in the script
  }
  // After an error the rest of the script was skipped, leaving the
  // transaction open (and failed): end it so the connection is idle.
  if (PQstatus(conn) == CONNECTION_OK &&
      PQtransactionStatus(conn) != PQTRANS_IDLE) {
    PQclear(PQexec(conn, "ROLLBACK"));
  }
  if (status.ok() && PQstatus(conn) != CONNECTION_OK) {
    status = Failure(conn, nullptr, what);
  }
  return status;
}

PgBinaryResult::PgBinaryResult(PgBinaryResult&& other) noexcept
    : result_(std::exchange(other.result_, nullptr)) {}

PgBinaryResult::~PgBinaryResult() {
  if (result_ != nullptr) PQclear(static_cast<PGresult*>(result_));
}

int PgBinaryResult::rows() const {
  return PQntuples(static_cast<const PGresult*>(result_));
}

bool PgBinaryResult::IsNull(int row, int column) const {
  return PQgetisnull(static_cast<const PGresult*>(result_), row, column) != 0;
}

std::string_view PgBinaryResult::Bytes(int row, int column) const {
  const auto* result = static_cast<const PGresult*>(result_);
  return {PQgetvalue(result, row, column),
          static_cast<size_t>(PQgetlength(result, row, column))};
}

absl::StatusOr<int64_t> PgBinaryResult::Int64(int row, int column) const {
  const std::string_view bytes = Bytes(row, column);
  if (bytes.size() != 8) return WrongSize("bigint", column, bytes.size());
  uint64_t be;
  std::memcpy(&be, bytes.data(), sizeof be);
  return static_cast<int64_t>(be64toh(be));
}

absl::StatusOr<bool> PgBinaryResult::Bool(int row, int column) const {
  const std::string_view bytes = Bytes(row, column);
  if (bytes.size() != 1) return WrongSize("boolean", column, bytes.size());
  return bytes[0] != 0;
}

absl::StatusOr<absl::Time> PgBinaryResult::Timestamp(int row,
                                                     int column) const {
  absl::StatusOr<int64_t> micros = Int64(row, column);
  if (!micros.ok()) return micros.status();
  // ±infinity are INT64_MIN / INT64_MAX.
  if (*micros == std::numeric_limits<int64_t>::max()) {
    return absl::InfiniteFuture();
  }
  if (*micros == std::numeric_limits<int64_t>::min()) {
    return absl::InfinitePast();
  }
  return absl::FromUnixMicros(*micros) + absl::Microseconds(kPgEpochUnixMicros);
}

absl::StatusOr<std::string_view> PgBinaryResult::Jsonb(int row,
                                                       int column) const {
  const std::string_view bytes = Bytes(row, column);
  if (bytes.empty() || bytes[0] != 1) {
    return absl::InternalError(absl::StrCat(
        "column ", column, ": unknown jsonb binary format version"));
  }
  return bytes.substr(1);
}

absl::StatusOr<PgBinaryResult> ExecBinary(PGconn* conn, std::string_view sql,
                                          const std::vector<int64_t>& params,
                                          std::string_view what) {
  // Parameters go in binary too: bigint, network byte order.
  std::vector<uint64_t> values(params.size());
  std::vector<const char*> pointers(params.size());
  std::vector<int> lengths(params.size(), 8);
  std::vector<int> formats(params.size(), 1);
  std::vector<Oid> types(params.size(), 20);  // int8
  for (size_t i = 0; i < params.size(); ++i) {
    values[i] = htobe64(static_cast<uint64_t>(params[i]));
    pointers[i] = reinterpret_cast<const char*>(&values[i]);
  }
  PGresult* result = PQexecParams(
      conn, std::string(sql).c_str(), static_cast<int>(params.size()),
      types.data(), pointers.data(), lengths.data(), formats.data(),
      /*resultFormat=*/1);
  if (PQresultStatus(result) != PGRES_TUPLES_OK) {
    absl::Status status = Failure(conn, result, what);
    PQclear(result);
    return status;
  }
  return PgBinaryResult(result);
}

}  // namespace evrouter
