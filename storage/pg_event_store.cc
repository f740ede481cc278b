#include "storage/pg_event_store.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "storage/pg_errors.h"

namespace evrouter {
namespace {

// Debian's Abseil has its own string_view type; convert at call sites.
absl::string_view AsAbsl(std::string_view s) { return {s.data(), s.size()}; }

// Timestamps cross the wire as integer microseconds since the Unix epoch;
// EXTRACT returns numeric since PostgreSQL 14, so this is exact.
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

constexpr std::string_view kDeleteExchange =
    "DELETE FROM exchanges WHERE name = $1";

// One row per existing exchange: its head offset (0 when empty).
constexpr std::string_view kSelectHead = R"sql(
SELECT COALESCE((SELECT e.event_offset FROM events e
                 WHERE e.exchange_id = x.id
                 ORDER BY e.event_offset DESC LIMIT 1), 0)
FROM exchanges x WHERE x.id = $1)sql";

constexpr std::string_view kExchangeExists =
    "SELECT 1 FROM exchanges WHERE id = $1";

constexpr std::string_view kEventsTable = "events";
const std::vector<std::string>& EventColumns() {
  static const auto* const kColumns = new std::vector<std::string>{
      "exchange_id", "event_offset", "id",      "type",       "source",
      "headers",     "content_type", "payload", "event_time", "stored_at"};
  return *kColumns;
}

constexpr std::string_view kReadEvents = R"sql(
SELECT event_offset, id::text, type, source, headers::text, content_type,
       encode(payload, 'hex'),
       (EXTRACT(EPOCH FROM event_time) * 1000000)::bigint,
       (EXTRACT(EPOCH FROM stored_at) * 1000000)::bigint
FROM events
WHERE exchange_id = $1 AND event_offset >= $2
ORDER BY event_offset
LIMIT $3)sql";

// A UNION so that each arm uses its own index.
constexpr std::string_view kRecentIds = R"sql(
SELECT id::text, event_offset,
       (EXTRACT(EPOCH FROM stored_at) * 1000000)::bigint
FROM events WHERE exchange_id = $1 AND stored_at >= $2::timestamptz
UNION
SELECT id::text, event_offset,
       (EXTRACT(EPOCH FROM stored_at) * 1000000)::bigint
FROM events WHERE exchange_id = $1 AND event_offset > $3
ORDER BY 2)sql";

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

std::string FormatUuid(std::string_view bytes) {
  const std::string hex = absl::BytesToHexString(AsAbsl(bytes));
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-",
                      hex.substr(12, 4), "-", hex.substr(16, 4), "-",
                      hex.substr(20));
}

std::string ParseUuid(std::string_view text) {
  return absl::HexStringToBytes(absl::StrReplaceAll(AsAbsl(text), {{"-", ""}}));
}

// timestamptz input, truncated to microseconds, always in UTC.
std::string FormatTimestamp(absl::Time t) {
  if (t == absl::InfinitePast()) return "-infinity";
  if (t == absl::InfiniteFuture()) return "infinity";
  return absl::FormatTime("%E4Y-%m-%d %H:%M:%E6S+00", t, absl::UTCTimeZone());
}

absl::Time TimeFromMicros(const pqxx::field& field) {
  return absl::FromUnixMicros(field.as<int64_t>());
}

// JSON string literal for `s`: quotes, backslashes and control characters
// escaped; other bytes (UTF-8) copied as they are.
void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

// {"k": "v", ...}, or nullopt for no headers (stored as NULL).
std::optional<std::string> HeadersToJson(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  if (headers.empty()) return std::nullopt;
  std::string json = "{";
  for (const auto& [key, value] : headers) {
    if (json.size() > 1) json.push_back(',');
    AppendJsonString(key, &json);
    json.push_back(':');
    AppendJsonString(value, &json);
  }
  json.push_back('}');
  return json;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Parses the flat object of strings that HeadersToJson wrote, as jsonb
// prints it back.
class FlatJsonParser {
 public:
  explicit FlatJsonParser(std::string_view in) : in_(in) {}

  bool Parse(std::vector<std::pair<std::string, std::string>>* out) {
    SkipSpace();
    if (!Consume('{')) return false;
    SkipSpace();
    if (Consume('}')) return AtEnd();
    while (true) {
      std::string key, value;
      SkipSpace();
      if (!ParseString(&key)) return false;
      SkipSpace();
      if (!Consume(':')) return false;
      SkipSpace();
      if (!ParseString(&value)) return false;
      out->emplace_back(std::move(key), std::move(value));
      SkipSpace();
      if (Consume('}')) return AtEnd();
      if (!Consume(',')) return false;
    }
  }

 private:
  bool AtEnd() {
    SkipSpace();
    return pos_ == in_.size();
  }
  void SkipSpace() {
    while (pos_ < in_.size() && absl::ascii_isspace(in_[pos_])) ++pos_;
  }
  bool Consume(char c) {
    if (pos_ < in_.size() && in_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool ParseHex4(uint32_t* value) {
    if (pos_ + 4 > in_.size()) return false;
    *value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = in_[pos_++];
      if (!absl::ascii_isxdigit(c)) return false;
      *value = *value * 16 + (absl::ascii_isdigit(c)
                                  ? c - '0'
                                  : absl::ascii_tolower(c) - 'a' + 10);
    }
    return true;
  }
  bool ParseString(std::string* out) {
    if (!Consume('"')) return false;
    while (pos_ < in_.size()) {
      const char c = in_[pos_++];
      if (c == '"') return true;
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= in_.size()) return false;
      const char e = in_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t cp;
          if (!ParseHex4(&cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00) {
            uint32_t low;
            if (!Consume('\\') || !Consume('u') || !ParseHex4(&low) ||
                low < 0xDC00 || low >= 0xE000) {
              return false;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  std::string_view in_;
  size_t pos_ = 0;
};

int64_t ClampToInt64(uint64_t value) {
  return value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
             ? std::numeric_limits<int64_t>::max()
             : static_cast<int64_t>(value);
}

bool ValidKind(int kind) { return kind >= 1 && kind <= 3; }

// A fixed number of slots; a slot holds an open connection or nullptr (opened
// on next use). Borrowers block while every slot is out.
class ConnectionPool {
 public:
  ConnectionPool(std::string dsn, int size) : dsn_(std::move(dsn)) {
    slots_.resize(size);
  }

  // Runs `fn` on a borrowed connection, mapping exceptions to a status. A
  // lost connection is dropped; when it had been idle in the pool (so the
  // server may merely have restarted) and `commit_started` is null or false,
  // `fn` runs once more on a fresh connection.
  absl::Status Run(std::string_view what, bool* commit_started,
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

 private:
  std::unique_ptr<pqxx::connection> Acquire() {
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

  void Release(std::unique_ptr<pqxx::connection> conn) {
    absl::MutexLock lock(&mu_);
    // Open connections go to the back so they are reused first.
    if (conn == nullptr) {
      slots_.insert(slots_.begin(), nullptr);
    } else {
      slots_.push_back(std::move(conn));
    }
  }

  const std::string dsn_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<pqxx::connection>> slots_ ABSL_GUARDED_BY(mu_);
};

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
          pqxx::result result =
              tx.exec_params(std::string(kDeleteExchange), std::string(name));
          Commit(tx, &commit_started);
          if (result.affected_rows() == 0) {
            return absl::NotFoundError(
                absl::StrCat("exchange '", AsAbsl(name), "' not found"));
          }
          return absl::OkStatus();
        });
  }

  absl::Status AppendEvents(int64_t exchange_id,
                            absl::Span<const Event> events) override {
    if (events.empty()) return absl::OkStatus();
    // Convert first, so bad input never reaches the database.
    struct Row {
      std::string offset, id, payload;
      std::optional<std::string> headers, time;
      std::string stored_at;
    };
    std::vector<Row> rows;
    rows.reserve(events.size());
    for (const Event& event : events) {
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
      if (event.stored_at == absl::InfinitePast() ||
          event.stored_at == absl::InfiniteFuture() ||
          (event.time.has_value() && (*event.time == absl::InfinitePast() ||
                                      *event.time == absl::InfiniteFuture()))) {
        return absl::InvalidArgumentError(absl::StrCat(
            "event at offset ", event.offset, ": time must be finite"));
      }
      Row row;
      row.offset = absl::StrCat(event.offset);
      row.id = FormatUuid(event.id);
      row.payload = absl::StrCat("\\x", absl::BytesToHexString(event.payload));
      row.headers = HeadersToJson(event.headers);
      if (event.time.has_value()) row.time = FormatTimestamp(*event.time);
      row.stored_at = FormatTimestamp(event.stored_at);
      rows.push_back(std::move(row));
    }
    const std::string exchange = absl::StrCat(exchange_id);
    bool commit_started = false;
    return pool_.Run(
        "append events", &commit_started, [&](pqxx::connection& conn) {
          pqxx::work tx(conn);
          pqxx::result head =
              tx.exec_params(std::string(kSelectHead), exchange_id);
          if (head.empty()) return NotFoundExchange(exchange_id);
          const uint64_t expected = head[0][0].as<uint64_t>() + 1;
          if (events.front().offset != expected) {
            return absl::AlreadyExistsError(absl::StrCat(
                "exchange id ", exchange_id, ": offset ", events.front().offset,
                " does not follow the head ", expected - 1));
          }
          for (size_t i = 1; i < events.size(); ++i) {
            if (events[i].offset != events[i - 1].offset + 1) {
              return absl::InvalidArgumentError(absl::StrCat(
                  "offsets are not contiguous at ", events[i].offset));
            }
          }
          pqxx::stream_to stream(tx, std::string(kEventsTable), EventColumns());
          for (size_t i = 0; i < events.size(); ++i) {
            const Event& event = events[i];
            const Row& row = rows[i];
            // const char* because a null pointer is how stream_to writes NULL.
            const char* headers =
                row.headers.has_value() ? row.headers->c_str() : nullptr;
            const char* time =
                row.time.has_value() ? row.time->c_str() : nullptr;
            stream << std::tie(exchange, row.offset, row.id, event.type,
                               event.source, headers, event.content_type,
                               row.payload, time, row.stored_at);
          }
          stream.complete();
          Commit(tx, &commit_started);
          return absl::OkStatus();
        });
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
            StoredId id;
            id.id = ParseUuid(row[0].c_str());
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
    absl::Status status =
        pool_.Run("read events", nullptr, [&](pqxx::connection& conn) {
          out.clear();
          pqxx::read_transaction tx(conn);
          pqxx::result result =
              tx.exec_params(std::string(kReadEvents), exchange_id,
                             ClampToInt64(from_offset), ClampToInt64(limit));
          if (result.empty()) return CheckExchangeExists(tx, exchange_id);
          out.reserve(result.size());
          for (const pqxx::row& row : result) {
            absl::StatusOr<Event> event = EventFromRow(row);
            if (!event.ok()) return event.status();
            out.push_back(*std::move(event));
          }
          return absl::OkStatus();
        });
    if (!status.ok()) return status;
    return out;
  }

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

  static absl::StatusOr<Event> EventFromRow(const pqxx::row& row) {
    Event event;
    event.offset = row[0].as<uint64_t>();
    event.id = ParseUuid(row[1].c_str());
    event.type = std::string(row[2].c_str(), row[2].size());
    event.source = std::string(row[3].c_str(), row[3].size());
    if (!row[4].is_null()) {
      FlatJsonParser parser(std::string_view(row[4].c_str(), row[4].size()));
      if (!parser.Parse(&event.headers)) {
        return absl::InternalError(absl::StrCat(
            "event ", event.offset, ": headers are not a flat JSON object"));
      }
      std::sort(event.headers.begin(), event.headers.end());
    }
    event.content_type = std::string(row[5].c_str(), row[5].size());
    event.payload = absl::HexStringToBytes(
        absl::string_view(row[6].c_str(), row[6].size()));
    if (!row[7].is_null()) event.time = TimeFromMicros(row[7]);
    event.stored_at = TimeFromMicros(row[8]);
    return event;
  }

  ConnectionPool pool_;
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
