#include "storage/pg_event_store.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "storage/pg_binary.h"
#include "storage/pg_connection_pool.h"
#include "storage/pg_json_headers.h"
#include "storage/pg_queue_statements.h"
#include "storage/pg_timestamps.h"
#include "storage/store_checks.h"
#include "storage/uuid.h"

namespace evrouter {
namespace {

// Debian's Abseil has its own string_view type; convert at call sites.
absl::string_view AsAbsl(std::string_view s) { return {s.data(), s.size()}; }

// Timestamps cross the wire as integer microseconds since the Unix epoch
// (see pg_timestamps.h).
constexpr std::string_view kLoadExchanges = R"sql(
SELECT x.id, x.name, x.kind,
       (EXTRACT(EPOCH FROM x.created_at) * 1000000)::bigint,
       COALESCE(h.event_offset, 0)
FROM exchanges x
LEFT JOIN LATERAL (
  SELECT e.event_offset FROM events e WHERE e.exchange_id = x.id
  ORDER BY e.event_offset DESC LIMIT 1) h ON true
ORDER BY x.name COLLATE "C")sql";

constexpr std::string_view kInsertExchange = R"sql(
INSERT INTO exchanges (name, kind) VALUES ($1, $2)
ON CONFLICT (name) DO NOTHING
RETURNING id, kind, (EXTRACT(EPOCH FROM created_at) * 1000000)::bigint, 0)sql";

constexpr std::string_view kSelectExchangeByName = R"sql(
SELECT x.id, x.kind, (EXTRACT(EPOCH FROM x.created_at) * 1000000)::bigint,
       COALESCE(h.event_offset, 0)
FROM exchanges x
LEFT JOIN LATERAL (
  SELECT e.event_offset FROM events e WHERE e.exchange_id = x.id
  ORDER BY e.event_offset DESC LIMIT 1) h ON true
WHERE x.name = $1)sql";

// Events have no foreign key (0003): they go with their exchange here.
constexpr std::string_view kDeleteExchange =
    "DELETE FROM exchanges WHERE name = $1 RETURNING id";
constexpr std::string_view kDeleteExchangeEvents =
    "DELETE FROM events WHERE exchange_id = $1";

// One row per existing exchange: its head offset (0 when empty).
constexpr std::string_view kSelectHead = R"sql(
SELECT COALESCE((SELECT e.event_offset FROM events e
                 WHERE e.exchange_id = x.id
                 ORDER BY e.event_offset DESC LIMIT 1), 0)
FROM exchanges x WHERE x.id = $1)sql";

constexpr std::string_view kExchangeExists =
    "SELECT 1 FROM exchanges WHERE id = $1";

// One append is one transaction in two round trips (RunCopyScript): binary
// COPY (no hex-encoded payloads, no escaping, no text parsing of UUIDs and
// timestamps), then evrouter_check_append (migration 0003: locks the exchange
// row, refuses a gap after the stored head; the primary key refuses overlaps)
// and COMMIT. Arguments: exchange id, first offset.
constexpr std::string_view kAppendScript = R"sql(
BEGIN;
COPY events (exchange_id, event_offset, id, publisher_id, type, source,
             headers, content_type, payload, event_time, stored_at)
FROM STDIN (FORMAT binary);
SELECT evrouter_check_append($1, $2);
COMMIT)sql";
constexpr int16_t kCopyEventsColumns = 11;
// A storage thread keeps its COPY buffer up to this size between appends
// (ordinary group commits are a few hundred KiB).
constexpr size_t kKeptCopyBufferBytes = size_t{4} << 20;

// Offsets are gapless, so the range bound is exact; it keeps the plan an
// index range scan even before the table was analyzed (without it Postgres
// may scan every row above $2 and sort them: ~100x slower far behind).
// Read with binary results (see PgBinaryResult); columns in EventFromRow order.
constexpr std::string_view kReadEvents = R"sql(
SELECT event_offset, id, type, source, headers, content_type, payload,
       event_time, stored_at, publisher_id
FROM events
WHERE exchange_id = $1 AND event_offset >= $2 AND event_offset < $2 + $3
ORDER BY event_offset
LIMIT $3)sql";

// A UNION so that each arm uses its own index.
constexpr std::string_view kRecentIds = R"sql(
SELECT id::text, event_offset,
       (EXTRACT(EPOCH FROM stored_at) * 1000000)::bigint
FROM events
WHERE exchange_id = $1 AND stored_at >= $2::timestamptz AND publisher_id
UNION
SELECT id::text, event_offset,
       (EXTRACT(EPOCH FROM stored_at) * 1000000)::bigint
FROM events WHERE exchange_id = $1 AND event_offset > $3 AND publisher_id
ORDER BY 2)sql";

// stored_at is non-decreasing in offset order, so the first event at or after
// the time comes first on the (exchange_id, stored_at) index; ties go to the
// smaller offset. No such event: head + 1. No row: no such exchange.
constexpr std::string_view kOffsetAtTime = R"sql(
SELECT COALESCE(
  (SELECT e.event_offset FROM events e
   WHERE e.exchange_id = x.id AND e.stored_at >= $2::timestamptz
   ORDER BY e.stored_at, e.event_offset LIMIT 1),
  (SELECT e.event_offset FROM events e WHERE e.exchange_id = x.id
   ORDER BY e.event_offset DESC LIMIT 1) + 1,
  1)
FROM exchanges x WHERE x.id = $1)sql";

constexpr std::string_view kPing = "SELECT 1";

// True when `dsn` sets `key`, in either DSN form.
bool HasKey(std::string_view dsn, std::string_view key, bool uri) {
  size_t pos = 0;
  while ((pos = dsn.find(key, pos)) != std::string_view::npos) {
    const bool starts =
        pos == 0 || (uri ? (dsn[pos - 1] == '?' || dsn[pos - 1] == '&')
                         : absl::ascii_isspace(dsn[pos - 1]));
    size_t end = pos + key.size();
    if (!uri) {
      while (end < dsn.size() && absl::ascii_isspace(dsn[end])) ++end;
    }
    if (starts && end < dsn.size() && dsn[end] == '=') return true;
    pos += key.size();
  }
  return false;
}

int64_t ClampToInt64(uint64_t value) {
  return value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
             ? std::numeric_limits<int64_t>::max()
             : static_cast<int64_t>(value);
}

bool ValidKind(int kind) { return kind >= 1 && kind <= 3; }

void Commit(pqxx::work& tx, bool* commit_started) {
  *commit_started = true;
  tx.commit();
}

ExchangeRecord ExchangeFromRow(const pqxx::row& row, std::string_view name) {
  ExchangeRecord record;
  record.id = row[0].as<int64_t>();
  record.name = std::string(name);
  record.kind = static_cast<ExchangeKind>(row[1].as<int>());
  record.created_at = TimeFromMicros(row[2]);
  record.head_offset = row[3].as<uint64_t>();
  return record;
}

// Postgres prints a uuid column in canonical form, so this never happens.
absl::Status BadStoredId(const pqxx::field& field) {
  return absl::InternalError(
      absl::StrCat("stored id '", field.c_str(), "' is not a UUID"));
}

absl::Status NotFoundExchange(int64_t exchange_id) {
  return absl::NotFoundError(
      absl::StrCat("exchange id ", exchange_id, " not found"));
}

class PgEventStore : public EventStore {
 public:
  PgEventStore(std::string dsn, int pool_size)
      : pool_(std::move(dsn), pool_size) {}

  absl::StatusOr<std::vector<ExchangeRecord>> LoadExchanges() override {
    std::vector<ExchangeRecord> out;
    absl::Status status =
        pool_.Run("load exchanges", nullptr, [&](pqxx::connection& conn) {
          out.clear();
          pqxx::read_transaction tx(conn);
          for (const pqxx::row& row : tx.exec(std::string(kLoadExchanges))) {
            ExchangeRecord record;
            record.id = row[0].as<int64_t>();
            record.name = row[1].as<std::string>();
            record.kind = static_cast<ExchangeKind>(row[2].as<int>());
            record.created_at = TimeFromMicros(row[3]);
            record.head_offset = row[4].as<uint64_t>();
            out.push_back(std::move(record));
          }
          return absl::OkStatus();
        });
    if (!status.ok()) return status;
    return out;
  }

  absl::StatusOr<ExchangeRecord> CreateExchange(std::string_view name,
                                                ExchangeKind kind,
                                                bool* created) override {
    if (!ValidKind(static_cast<int>(kind))) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid exchange kind ", static_cast<int>(kind)));
    }
    ExchangeRecord record;
    bool was_created = false;
    bool commit_started = false;
    absl::Status status = pool_.Run(
        "create exchange", &commit_started, [&](pqxx::connection& conn) {
          // Retried when a concurrent delete removes the row between the
          // conflicting insert and the read-back.
          for (int attempt = 0; attempt < 3; ++attempt) {
            pqxx::work tx(conn);
            pqxx::result inserted =
                tx.exec_params(std::string(kInsertExchange), std::string(name),
                               static_cast<int>(kind));
            was_created = !inserted.empty();
            pqxx::result existing =
                was_created ? inserted
                            : tx.exec_params(std::string(kSelectExchangeByName),
                                             std::string(name));
            if (existing.empty()) continue;
            record = ExchangeFromRow(existing[0], name);
            Commit(tx, &commit_started);
            return absl::OkStatus();
          }
          return absl::AbortedError(
              absl::StrCat("create exchange '", AsAbsl(name),
                           "': concurrently created and deleted"));
        });
    if (!status.ok()) return status;
    if (record.kind != kind) {
      return absl::AlreadyExistsError(absl::StrCat(
          "exchange '", AsAbsl(name), "' already exists with kind ",
          ExchangeKindName(record.kind)));
    }
    if (created != nullptr) *created = was_created;
    return record;
  }

  absl::Status DeleteExchange(std::string_view name) override {
    bool commit_started = false;
    return pool_.Run(
        "delete exchange", &commit_started, [&](pqxx::connection& conn) {
          pqxx::work tx(conn);
          pqxx::result deleted =
              tx.exec_params(std::string(kDeleteExchange), std::string(name));
          if (deleted.empty()) {
            return absl::NotFoundError(
                absl::StrCat("exchange '", AsAbsl(name), "' not found"));
          }
          tx.exec_params(std::string(kDeleteExchangeEvents),
                         deleted[0][0].as<int64_t>());
          Commit(tx, &commit_started);
          return absl::OkStatus();
        });
  }

  absl::Status AppendEvents(int64_t exchange_id,
                            absl::Span<const Event> events) override {
    if (events.empty()) return absl::OkStatus();
    // Encode first, so bad input never reaches the database. One buffer per
    // storage thread, reused (a fresh one per commit cost more in page faults
    // than the encoding); one grown past kKeptCopyBufferBytes is freed after.
    thread_local std::string copy_data;
    PgBinaryCopyBuffer copy(&copy_data);
    for (size_t i = 0; i < events.size(); ++i) {
      const Event& event = events[i];
      if (event.id.size() != 16) {
        return absl::InvalidArgumentError(
            absl::StrCat("event at offset ", event.offset,
                         ": id must be 16 bytes, got ", event.id.size()));
      }
      if (event.offset == 0 ||
          event.offset >
              static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return absl::InvalidArgumentError(
            absl::StrCat("event offset ", event.offset, " out of range"));
      }
      if (i > 0 && event.offset != events[i - 1].offset + 1) {
        return absl::InvalidArgumentError(
            absl::StrCat("offsets are not contiguous at ", event.offset));
      }
      if (event.stored_at == absl::InfinitePast() ||
          event.stored_at == absl::InfiniteFuture() ||
          (event.time.has_value() && (*event.time == absl::InfinitePast() ||
                                      *event.time == absl::InfiniteFuture()))) {
        return absl::InvalidArgumentError(absl::StrCat(
            "event at offset ", event.offset, ": time must be finite"));
      }
      copy.StartRow(kCopyEventsColumns);
      copy.AddInt64(exchange_id);
      copy.AddInt64(static_cast<int64_t>(event.offset));
      copy.AddBytes(event.id);
      copy.AddBool(event.publisher_id);
      copy.AddBytes(event.type);
      copy.AddBytes(event.source);
      if (std::optional<std::string> headers = HeadersToJson(event.headers)) {
        copy.AddJsonb(*headers);
      } else {
        copy.AddNull();
      }
      copy.AddBytes(event.content_type);
      copy.AddBytes(event.payload);
      if (event.time.has_value()) {
        copy.AddTimestamp(*event.time);
      } else {
        copy.AddNull();
      }
      copy.AddTimestamp(event.stored_at);
    }
    const std::string& data = copy.Finish();
    bool commit_started = false;
    const std::string script = absl::StrReplaceAll(
        AsAbsl(kAppendScript), {{"$1", absl::StrCat(exchange_id)},
                                {"$2", absl::StrCat(events.front().offset)}});
    absl::Status status = pool_.RunSession(
        "append events", &commit_started, [&](PgSession& session) {
          return RunCopyScript(session.raw, script, data, "append events",
                               &commit_started);
        });
    if (copy_data.capacity() > kKeptCopyBufferBytes)
      std::string().swap(copy_data);
    // A primary-key collision means another writer appended these offsets.
    if (absl::IsAlreadyExists(status)) {
      return absl::AbortedError(absl::StrCat(
          "offset conflict in exchange id ", exchange_id,
          " (another writer on this database?): ", status.message()));
    }
    return status;
  }

  absl::StatusOr<uint64_t> HeadOffset(int64_t exchange_id) override {
    uint64_t head = 0;
    absl::Status status =
        pool_.Run("head offset", nullptr, [&](pqxx::connection& conn) {
          pqxx::read_transaction tx(conn);
          pqxx::result result =
              tx.exec_params(std::string(kSelectHead), exchange_id);
          if (result.empty()) return NotFoundExchange(exchange_id);
          head = result[0][0].as<uint64_t>();
          return absl::OkStatus();
        });
    if (!status.ok()) return status;
    return head;
  }

  absl::StatusOr<std::vector<StoredId>> RecentIds(
      int64_t exchange_id, absl::Time since, uint64_t after_offset) override {
    std::vector<StoredId> out;
    absl::Status status =
        pool_.Run("recent ids", nullptr, [&](pqxx::connection& conn) {
          out.clear();
          pqxx::read_transaction tx(conn);
          pqxx::result result = tx.exec_params(
              std::string(kRecentIds), exchange_id, FormatTimestamp(since),
              ClampToInt64(after_offset));
          if (result.empty()) return CheckExchangeExists(tx, exchange_id);
          out.reserve(result.size());
          for (const pqxx::row& row : result) {
            std::optional<std::string> uuid = ParseUuid(row[0].c_str());
            if (!uuid.has_value()) return BadStoredId(row[0]);
            StoredId id;
            id.id = *std::move(uuid);
            id.offset = row[1].as<uint64_t>();
            id.stored_at = TimeFromMicros(row[2]);
            out.push_back(std::move(id));
          }
          return absl::OkStatus();
        });
    if (!status.ok()) return status;
    return out;
  }

  absl::StatusOr<std::vector<Event>> ReadEvents(int64_t exchange_id,
                                                uint64_t from_offset,
                                                size_t limit) override {
    std::vector<Event> out;
    // from + limit must stay a bigint in the range bound.
    const int64_t from = ClampToInt64(from_offset);
    const int64_t bounded_limit = std::min(
        ClampToInt64(limit), std::numeric_limits<int64_t>::max() - from);
    absl::Status status =
        pool_.RunSession("read events", nullptr, [&](PgSession& session) {
          out.clear();
          absl::StatusOr<PgBinaryResult> result =
              ExecBinary(session.raw, kReadEvents,
                         {exchange_id, from, bounded_limit}, "read events");
          if (!result.ok()) return result.status();
          if (result->rows() == 0) {
            pqxx::read_transaction tx(session.conn);
            return CheckExchangeExists(tx, exchange_id);
          }
          out.reserve(result->rows());
          for (int row = 0; row < result->rows(); ++row) {
            absl::StatusOr<Event> event = EventFromRow(*result, row);
            if (!event.ok()) return event.status();
            out.push_back(*std::move(event));
          }
          return absl::OkStatus();
        });
    if (!status.ok()) return status;
    return out;
  }

  absl::StatusOr<uint64_t> OffsetAtTime(int64_t exchange_id,
                                        absl::Time time) override {
    uint64_t offset = 0;
    absl::Status status =
        pool_.Run("offset at time", nullptr, [&](pqxx::connection& conn) {
          pqxx::read_transaction tx(conn);
          pqxx::result result = tx.exec_params(
              std::string(kOffsetAtTime), exchange_id, FormatTimestamp(time));
          if (result.empty()) return NotFoundExchange(exchange_id);
          offset = result[0][0].as<uint64_t>();
          return absl::OkStatus();
        });
    if (!status.ok()) return status;
    return offset;
  }

  absl::StatusOr<std::vector<QueueRecord>> LoadQueues() override {
    std::vector<QueueRecord> out;
    absl::Status status = pool_.Run(
        "load queues", nullptr,
        [&](pqxx::connection& conn) { return PgLoadQueues(conn, &out); });
    if (!status.ok()) return status;
    return out;
  }

  absl::StatusOr<QueueRecord> CreateQueue(const QueueRecord& spec,
                                          bool* created) override {
    if (absl::Status status = CheckQueueSpec(spec); !status.ok()) {
      return status;
    }
    QueueRecord record;
    bool was_created = false;
    bool commit_started = false;
    absl::Status status =
        pool_.Run("create queue", &commit_started, [&](pqxx::connection& conn) {
          return PgCreateQueue(conn, spec, &record, &was_created,
                               &commit_started);
        });
    if (!status.ok()) return status;
    if (!was_created) {
      absl::Status same = CheckSameQueue(record, spec);
      if (!same.ok()) return same;
    }
    if (created != nullptr) *created = was_created;
    return record;
  }

  absl::Status DeleteQueue(std::string_view name) override {
    bool commit_started = false;
    return pool_.Run("delete queue", &commit_started,
                     [&](pqxx::connection& conn) {
                       return PgDeleteQueue(conn, name, &commit_started);
                     });
  }

  absl::StatusOr<std::vector<ConsumerRecord>> LoadConsumers() override {
    std::vector<ConsumerRecord> out;
    absl::Status status = pool_.Run(
        "load consumers", nullptr,
        [&](pqxx::connection& conn) { return PgLoadConsumers(conn, &out); });
    if (!status.ok()) return status;
    return out;
  }

  absl::Status SaveConsumers(
      absl::Span<const ConsumerRecord> consumers) override {
    if (consumers.empty()) return absl::OkStatus();
    for (const ConsumerRecord& consumer : consumers) {
      if (absl::Status status = CheckConsumer(consumer); !status.ok()) {
        return status;
      }
    }
    bool commit_started = false;
    return pool_.Run("save consumers", &commit_started,
                     [&](pqxx::connection& conn) {
                       return PgSaveConsumers(conn, consumers, &commit_started);
                     });
  }

  absl::Status DeleteConsumer(int64_t queue_id,
                              std::string_view name) override {
    bool commit_started = false;
    return pool_.Run(
        "delete consumer", &commit_started, [&](pqxx::connection& conn) {
          return PgDeleteConsumer(conn, queue_id, name, &commit_started);
        });
  }

  ConnectionPoolUse PoolUse() const override { return pool_.Use(); }

  absl::Status Ping() override {
    return pool_.Run("ping", nullptr, [&](pqxx::connection& conn) {
      pqxx::nontransaction tx(conn);
      tx.exec(std::string(kPing));
      return absl::OkStatus();
    });
  }

 private:
  static absl::Status CheckExchangeExists(pqxx::transaction_base& tx,
                                          int64_t exchange_id) {
    if (tx.exec_params(std::string(kExchangeExists), exchange_id).empty()) {
      return NotFoundExchange(exchange_id);
    }
    return absl::OkStatus();
  }

  static absl::StatusOr<Event> EventFromRow(const PgBinaryResult& result,
                                            int row) {
    Event event;
    absl::StatusOr<int64_t> offset = result.Int64(row, 0);
    if (!offset.ok()) return offset.status();
    event.offset = static_cast<uint64_t>(*offset);
    event.id = std::string(result.Bytes(row, 1));
    if (event.id.size() != 16) {
      return absl::InternalError(
          absl::StrCat("event ", event.offset, ": stored id is not 16 bytes"));
    }
    event.type = std::string(result.Bytes(row, 2));
    event.source = std::string(result.Bytes(row, 3));
    if (!result.IsNull(row, 4)) {
      absl::StatusOr<std::string_view> json = result.Jsonb(row, 4);
      if (!json.ok()) return json.status();
      if (!HeadersFromJson(*json, &event.headers)) {
        return absl::InternalError(absl::StrCat(
            "event ", event.offset, ": headers are not a flat JSON object"));
      }
    }
    event.content_type = std::string(result.Bytes(row, 5));
    event.payload = std::string(result.Bytes(row, 6));
    if (!result.IsNull(row, 7)) {
      absl::StatusOr<absl::Time> time = result.Timestamp(row, 7);
      if (!time.ok()) return time.status();
      event.time = *time;
    }
    absl::StatusOr<absl::Time> stored_at = result.Timestamp(row, 8);
    if (!stored_at.ok()) return stored_at.status();
    event.stored_at = *stored_at;
    absl::StatusOr<bool> publisher_id = result.Bool(row, 9);
    if (!publisher_id.ok()) return publisher_id.status();
    event.publisher_id = *publisher_id;
    return event;
  }

  PgConnectionPool pool_;
};

}  // namespace

std::string WithConnectionDefaults(std::string_view dsn,
                                   absl::Duration connect_timeout) {
  const bool uri = absl::StartsWith(AsAbsl(dsn), "postgresql://") ||
                   absl::StartsWith(AsAbsl(dsn), "postgres://");
  // libpq treats connect_timeout 1 as 2 and 0 as "wait forever".
  const int64_t timeout_seconds = std::max<int64_t>(
      2, absl::ToInt64Seconds(absl::Ceil(connect_timeout, absl::Seconds(1))));
  const std::pair<std::string_view, std::string> defaults[] = {
      {"connect_timeout", absl::StrCat(timeout_seconds)},
      {"keepalives", "1"},
      {"keepalives_idle", "30"},
      {"keepalives_interval", "10"},
      {"keepalives_count", "3"},
      // Sent data unacknowledged this long (a partitioned network) breaks
      // the connection instead of hanging a commit until keepalives notice.
      {"tcp_user_timeout", "20000"},
      {"client_encoding", "UTF8"},
  };
  std::string out(dsn);
  for (const auto& [key, value] : defaults) {
    if (HasKey(dsn, key, uri)) continue;
    if (uri) {
      out.push_back(out.find('?') == std::string::npos ? '?' : '&');
    } else if (!out.empty()) {
      out.push_back(' ');
    }
    absl::StrAppend(&out, AsAbsl(key), "=", value);
  }
  return out;
}

absl::StatusOr<std::unique_ptr<EventStore>> NewPgEventStore(
    const PgStoreOptions& options) {
  if (options.pool_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("pool_size must be at least 1, got ", options.pool_size));
  }
  if (options.connect_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("connect_timeout must be positive");
  }
  return std::make_unique<PgEventStore>(
      WithConnectionDefaults(options.dsn, options.connect_timeout),
      options.pool_size);
}

}  // namespace evrouter
