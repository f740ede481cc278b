// The queue store contract (queue_store_contract.h) on PostgreSQL, and what
// only a database shows: concurrency, and text arrays as Postgres sees them.

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "storage/migrations.h"
#include "storage/pg_event_store.h"
#include "storage/pg_migrator.h"
#include "storage/pg_text_array.h"
#include "tests/pg/queue_store_contract.h"
#include "tests/support/pg_test_database.h"

namespace evrouter::testing {
namespace {

using Rows = std::vector<std::vector<std::string>>;

const absl::Time kBase = absl::FromUnixMicros(1700000000123456);

// A fresh database with the schema applied, and a store on it.
class PgHarness : public StoreHarness {
 public:
  explicit PgHarness(int pool_size = 2) {
    if (db_.dsn().empty()) return;  // PgTestDatabase recorded why
    const absl::Status migrated =
        ApplyMigrations(db_.dsn(), EmbeddedMigrations());
    if (!migrated.ok()) {
      ADD_FAILURE() << "migrations: " << migrated;
      return;
    }
    absl::StatusOr<std::unique_ptr<EventStore>> store =
        NewPgEventStore({.dsn = db_.dsn(), .pool_size = pool_size});
    if (!store.ok()) {
      ADD_FAILURE() << "open store: " << store.status();
      return;
    }
    store_ = *std::move(store);
  }

  EventStore* store() override { return store_.get(); }
  const PgTestDatabase& db() const { return db_; }

 private:
  PgTestDatabase db_;
  std::unique_ptr<EventStore> store_;
};

INSTANTIATE_TEST_SUITE_P(Pg, QueueStoreContractTest,
                         ::testing::Values(StoreKind{
                             "Pg",
                             [] { return std::make_unique<PgHarness>(); }}),
                         StoreKindName);

class PgQueueStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(HasFatalFailure());
    ASSERT_NE(harness_.store(), nullptr);
  }

  EventStore& store() { return *harness_.store(); }
  const std::string& dsn() const { return harness_.db().dsn(); }

  int64_t CreateExchange(const std::string& name) {
    bool created = false;
    absl::StatusOr<ExchangeRecord> record =
        store().CreateExchange(name, ExchangeKind::kTopic, &created);
    EXPECT_TRUE(record.ok()) << record.status();
    return record.ok() ? record->id : 0;
  }

  QueueRecord CreateQueue(const std::string& name, int64_t exchange_id,
                          std::vector<std::string> bindings = {"a.*"}) {
    QueueRecord spec;
    spec.name = name;
    spec.exchange_id = exchange_id;
    spec.bindings = std::move(bindings);
    spec.limit_size = 10;
    bool created = false;
    absl::StatusOr<QueueRecord> record = store().CreateQueue(spec, &created);
    EXPECT_TRUE(record.ok()) << record.status();
    return record.ok() ? *record : QueueRecord{};
  }

  PgHarness harness_{8};
};

ConsumerRecord Consumer(int64_t queue_id, std::string name, uint64_t offset) {
  ConsumerRecord consumer;
  consumer.queue_id = queue_id;
  consumer.name = std::move(name);
  consumer.committed_offset = offset;
  consumer.created_at = kBase;
  consumer.last_active_at = kBase;
  return consumer;
}

TEST_F(PgQueueStoreTest, BindingsAreStoredAsArrayElements) {
  const int64_t exchange = CreateExchange("orders");
  CreateQueue("q", exchange, {"", "a,b", "back\\slash", "x\"y"});
  CreateQueue("fanout", exchange, {});
  EXPECT_EQ(
      QueryRows(dsn(),
                "SELECT name, cardinality(bindings), bindings[1], bindings[2], "
                "bindings[3], bindings[4] FROM queues ORDER BY name"),
      (Rows{{"fanout", "0", "NULL", "NULL", "NULL", "NULL"},
            {"q", "4", "", "a,b", "back\\slash", "x\"y"}}));
}

TEST_F(PgQueueStoreTest, ConcurrentCreatesOfOneQueueCreateItOnce) {
  const int64_t exchange = CreateExchange("orders");
  QueueRecord spec;
  spec.name = "q";
  spec.exchange_id = exchange;
  spec.bindings = {"a.#"};
  spec.limit_size = 10;
  std::vector<absl::StatusOr<QueueRecord>> results(
      8, absl::UnknownError("not run"));
  std::vector<bool> created(results.size(), false);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      bool was_created = false;
      results[i] = store().CreateQueue(spec, &was_created);
      created[i] = was_created;
    });
  }
  for (std::thread& thread : threads) thread.join();
  int created_count = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].status();
    EXPECT_EQ(results[i]->id, results[0]->id);
    if (created[i]) ++created_count;
  }
  EXPECT_EQ(created_count, 1);
  EXPECT_EQ(QueryRows(dsn(), "SELECT count(*) FROM queues"), (Rows{{"1"}}));
}

TEST_F(PgQueueStoreTest, SaveConsumersRetriesWhenAQueueIsDeletedMeanwhile) {
  const int64_t exchange = CreateExchange("orders");
  const QueueRecord doomed = CreateQueue("doomed", exchange);
  const QueueRecord kept = CreateQueue("kept", exchange);
  ASSERT_TRUE(store().SaveConsumers({Consumer(doomed.id, "old", 1)}).ok());

  // A delete that has not committed yet: the save's EXISTS filter still sees
  // the queue, and its foreign key check waits for the delete's row lock.
  pqxx::connection conn(dsn());
  std::optional<pqxx::work> deleting(std::in_place, conn);
  deleting->exec("DELETE FROM queues WHERE name = 'doomed'");

  absl::Status saved = absl::UnknownError("not run");
  std::thread saver([&] {
    saved = store().SaveConsumers({Consumer(doomed.id, "new", 2),
                                   Consumer(doomed.id, "old", 3),
                                   Consumer(kept.id, "k", 4)});
  });
  const bool waited = WaitForLockWaiter(harness_.db(), absl::Seconds(30));
  deleting->commit();
  deleting.reset();
  saver.join();

  EXPECT_TRUE(waited) << "the save never waited for the delete";
  // The foreign key check failed once; the retry skipped the gone queue.
  EXPECT_TRUE(saved.ok()) << saved;
  EXPECT_EQ(QueryRows(dsn(),
                      "SELECT queue_id, name, committed_offset FROM consumers"),
            (Rows{{absl::StrCat(kept.id), "k", "4"}}));
}

TEST_F(PgQueueStoreTest, ConsumersKeepTheirCreatedAtColumn) {
  const int64_t exchange = CreateExchange("orders");
  const QueueRecord q = CreateQueue("q", exchange);
  ConsumerRecord consumer = Consumer(q.id, "c", 1);
  ASSERT_TRUE(store().SaveConsumers({consumer}).ok());
  consumer.created_at = kBase + absl::Hours(1);
  consumer.last_active_at = kBase + absl::Hours(2);
  consumer.committed_offset = 2;
  ASSERT_TRUE(store().SaveConsumers({consumer}).ok());
  EXPECT_EQ(QueryRows(dsn(),
                      "SELECT committed_offset, created_at AT TIME ZONE 'UTC', "
                      "last_active_at AT TIME ZONE 'UTC' FROM consumers"),
            (Rows{{"2", "2023-11-14 22:13:20.123456",
                   "2023-11-15 00:13:20.123456"}}));
}

// The array helpers against what Postgres itself reads and prints.
TEST_F(PgQueueStoreTest, TextArraysRoundTripThroughPostgres) {
  const std::vector<std::string> elements = {
      "",    "a.*",  "#",    "x\"y",         "back\\slash",     "with space",
      "{a}", "a,b",  "NULL", "null",         " lead",           "trail ",
      "\t",  "\\\"", "'q'",  "h\xc3\xa9llo", "\xf0\x9f\x98\x80"};
  pqxx::connection conn(dsn());
  pqxx::nontransaction tx(conn);
  const pqxx::result result = tx.exec_params(
      "SELECT a::text, cardinality(a), a[1], a[4], a[5] "
      "FROM (SELECT $1::text[] AS a) t",
      TextArrayLiteral(elements));
  ASSERT_EQ(result.size(), 1u);
  EXPECT_EQ(result[0][1].as<size_t>(), elements.size());
  EXPECT_EQ(result[0][2].as<std::string>(), "");
  EXPECT_EQ(result[0][3].as<std::string>(), "x\"y");
  EXPECT_EQ(result[0][4].as<std::string>(), "back\\slash");
  EXPECT_EQ(ParseTextArray(result[0][0].as<std::string>()), elements);

  const pqxx::result empty = tx.exec_params(
      "SELECT $1::text[]::text, cardinality($1::text[])", TextArrayLiteral({}));
  EXPECT_EQ(empty[0][0].as<std::string>(), "{}");
  EXPECT_EQ(empty[0][1].as<int>(), 0);
  EXPECT_EQ(ParseTextArray(empty[0][0].as<std::string>()),
            std::vector<std::string>{});
}

}  // namespace
}  // namespace evrouter::testing
