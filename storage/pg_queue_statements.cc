#include "storage/pg_queue_statements.h"

#include <algorithm>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "storage/pg_text_array.h"
#include "storage/pg_timestamps.h"

namespace evrouter {
namespace {

// Debian's Abseil has its own string_view type; convert at call sites.
absl::string_view AsAbsl(std::string_view s) { return {s.data(), s.size()}; }

constexpr std::string_view kLoadQueues = R"sql(
SELECT id, exchange_id, bindings, limit_size, start_offset,
       (EXTRACT(EPOCH FROM created_at) * 1000000)::bigint, name
FROM queues
ORDER BY name COLLATE "C")sql";

// A foreign key violation means the exchange does not exist; a name conflict
// inserts nothing and the existing row is read back.
constexpr std::string_view kInsertQueue = R"sql(
INSERT INTO queues (name, exchange_id, bindings, limit_size, start_offset)
VALUES ($1, $2, $3::text[], $4, $5)
ON CONFLICT (name) DO NOTHING
RETURNING id, exchange_id, bindings, limit_size, start_offset,
          (EXTRACT(EPOCH FROM created_at) * 1000000)::bigint)sql";

constexpr std::string_view kSelectQueueByName = R"sql(
SELECT id, exchange_id, bindings, limit_size, start_offset,
       (EXTRACT(EPOCH FROM created_at) * 1000000)::bigint
FROM queues WHERE name = $1)sql";

constexpr std::string_view kDeleteQueue = "DELETE FROM queues WHERE name = $1";

constexpr std::string_view kLoadConsumers = R"sql(
SELECT queue_id, name, committed_offset,
       (EXTRACT(EPOCH FROM created_at) * 1000000)::bigint,
       (EXTRACT(EPOCH FROM last_active_at) * 1000000)::bigint
FROM consumers
ORDER BY queue_id, name COLLATE "C")sql";

// Arrays as text literals (libpqxx 6.4 has no array parameters); rows of
// deleted queues are skipped. created_at is only written on insert.
constexpr std::string_view kUpsertConsumers = R"sql(
INSERT INTO consumers (queue_id, name, committed_offset, created_at,
                       last_active_at)
SELECT t.queue_id, t.name, t.committed_offset, t.created_at, t.last_active_at
FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::timestamptz[],
            $5::timestamptz[])
     AS t (queue_id, name, committed_offset, created_at, last_active_at)
WHERE EXISTS (SELECT 1 FROM queues q WHERE q.id = t.queue_id)
ON CONFLICT (queue_id, name) DO UPDATE
SET committed_offset = EXCLUDED.committed_offset,
    last_active_at = EXCLUDED.last_active_at)sql";

constexpr std::string_view kDeleteConsumer =
    "DELETE FROM consumers WHERE queue_id = $1 AND name = $2";

void Commit(pqxx::work& tx, bool* commit_started) {
  *commit_started = true;
  tx.commit();
}

// Columns: id, exchange_id, bindings, limit_size, start_offset, created_at.
absl::Status QueueFromRow(const pqxx::row& row, std::string_view name,
                          QueueRecord* queue) {
  std::optional<std::vector<std::string>> bindings =
      ParseTextArray(std::string_view(row[2].c_str(), row[2].size()));
  if (!bindings.has_value()) {
    return absl::InternalError(
        absl::StrCat("queue '", AsAbsl(name), "': stored bindings ",
                     row[2].c_str(), " are not a text array"));
  }
  queue->id = row[0].as<int64_t>();
  queue->name = std::string(name);
  queue->exchange_id = row[1].as<int64_t>();
  queue->bindings = *std::move(bindings);
  queue->limit_size = row[3].as<uint32_t>();
  queue->start_offset = row[4].as<uint64_t>();
  queue->created_at = TimeFromMicros(row[5]);
  return absl::OkStatus();
}

// The array parameters of kUpsertConsumers.
struct ConsumerArrays {
  std::string queue_ids, names, offsets, created_at, last_active_at;
};

// Sorts by key, so that concurrent saves lock rows in one order, and merges
// repeated keys: the first created_at, the last offset and activity.
ConsumerArrays ToArrays(absl::Span<const ConsumerRecord> consumers) {
  std::vector<ConsumerRecord> rows(consumers.begin(), consumers.end());
  std::stable_sort(rows.begin(), rows.end(),
                   [](const ConsumerRecord& a, const ConsumerRecord& b) {
                     return std::tie(a.queue_id, a.name) <
                            std::tie(b.queue_id, b.name);
                   });
  std::vector<ConsumerRecord> merged;
  merged.reserve(rows.size());
  for (ConsumerRecord& row : rows) {
    if (!merged.empty() && merged.back().queue_id == row.queue_id &&
        merged.back().name == row.name) {
      merged.back().committed_offset = row.committed_offset;
      merged.back().last_active_at = row.last_active_at;
    } else {
      merged.push_back(std::move(row));
    }
  }
  std::vector<std::string> queue_ids, names, offsets, created_at, active_at;
  for (const ConsumerRecord& row : merged) {
    queue_ids.push_back(absl::StrCat(row.queue_id));
    names.push_back(row.name);
    offsets.push_back(absl::StrCat(row.committed_offset));
    created_at.push_back(FormatTimestamp(row.created_at));
    active_at.push_back(FormatTimestamp(row.last_active_at));
  }
  return {TextArrayLiteral(queue_ids), TextArrayLiteral(names),
          TextArrayLiteral(offsets), TextArrayLiteral(created_at),
          TextArrayLiteral(active_at)};
}

}  // namespace

absl::Status PgLoadQueues(pqxx::connection& conn,
                          std::vector<QueueRecord>* out) {
  out->clear();
  pqxx::read_transaction tx(conn);
  pqxx::result result = tx.exec(std::string(kLoadQueues));
  out->reserve(result.size());
  for (const pqxx::row& row : result) {
    QueueRecord queue;
    absl::Status status = QueueFromRow(
        row, std::string_view(row[6].c_str(), row[6].size()), &queue);
    if (!status.ok()) return status;
    out->push_back(std::move(queue));
  }
  return absl::OkStatus();
}

absl::Status PgCreateQueue(pqxx::connection& conn, const QueueRecord& spec,
                           QueueRecord* record, bool* created,
                           bool* commit_started) {
  const std::string bindings = TextArrayLiteral(spec.bindings);
  // Retried when a concurrent delete removes the row between the conflicting
  // insert and the read-back.
  for (int attempt = 0; attempt < 3; ++attempt) {
    pqxx::work tx(conn);
    pqxx::result inserted;
    try {
      inserted =
          tx.exec_params(std::string(kInsertQueue), spec.name, spec.exchange_id,
                         bindings, static_cast<int64_t>(spec.limit_size),
                         static_cast<int64_t>(spec.start_offset));
    } catch (const pqxx::foreign_key_violation&) {
      return absl::NotFoundError(
          absl::StrCat("exchange id ", spec.exchange_id, " not found"));
    }
    *created = !inserted.empty();
    pqxx::result existing =
        *created ? inserted
                 : tx.exec_params(std::string(kSelectQueueByName), spec.name);
    if (existing.empty()) continue;
    absl::Status status = QueueFromRow(existing[0], spec.name, record);
    if (!status.ok()) return status;
    Commit(tx, commit_started);
    return absl::OkStatus();
  }
  return absl::AbortedError(absl::StrCat(
      "create queue '", spec.name, "': concurrently created and deleted"));
}

absl::Status PgDeleteQueue(pqxx::connection& conn, std::string_view name,
                           bool* commit_started) {
  pqxx::work tx(conn);
  pqxx::result result =
      tx.exec_params(std::string(kDeleteQueue), std::string(name));
  Commit(tx, commit_started);
  if (result.affected_rows() == 0) {
    return absl::NotFoundError(
        absl::StrCat("queue '", AsAbsl(name), "' not found"));
  }
  return absl::OkStatus();
}

absl::Status PgLoadConsumers(pqxx::connection& conn,
                             std::vector<ConsumerRecord>* out) {
  out->clear();
  pqxx::read_transaction tx(conn);
  pqxx::result result = tx.exec(std::string(kLoadConsumers));
  out->reserve(result.size());
  for (const pqxx::row& row : result) {
    ConsumerRecord consumer;
    consumer.queue_id = row[0].as<int64_t>();
    consumer.name = std::string(row[1].c_str(), row[1].size());
    consumer.committed_offset = row[2].as<uint64_t>();
    consumer.created_at = TimeFromMicros(row[3]);
    consumer.last_active_at = TimeFromMicros(row[4]);
    out->push_back(std::move(consumer));
  }
  return absl::OkStatus();
}

absl::Status PgSaveConsumers(pqxx::connection& conn,
                             absl::Span<const ConsumerRecord> consumers,
                             bool* commit_started) {
  if (consumers.empty()) return absl::OkStatus();
  const ConsumerArrays arrays = ToArrays(consumers);
  // A queue deleted after the EXISTS filter saw it fails the foreign key
  // check; the second attempt's filter no longer sees it.
  for (int attempt = 0;; ++attempt) {
    try {
      pqxx::work tx(conn);
      tx.exec_params(std::string(kUpsertConsumers), arrays.queue_ids,
                     arrays.names, arrays.offsets, arrays.created_at,
                     arrays.last_active_at);
      Commit(tx, commit_started);
      return absl::OkStatus();
    } catch (const pqxx::foreign_key_violation&) {
      if (attempt > 0 || *commit_started) throw;
    }
  }
}

absl::Status PgDeleteConsumer(pqxx::connection& conn, int64_t queue_id,
                              std::string_view name, bool* commit_started) {
  pqxx::work tx(conn);
  tx.exec_params(std::string(kDeleteConsumer), queue_id, std::string(name));
  Commit(tx, commit_started);
  return absl::OkStatus();
}

}  // namespace evrouter
