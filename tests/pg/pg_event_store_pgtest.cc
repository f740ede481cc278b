#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <limits>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "storage/migrations.h"
#include "storage/pg_event_store.h"
#include "storage/pg_migrator.h"
#include "tests/support/pg_test_database.h"

namespace evrouter {
namespace {

using Rows = std::vector<std::vector<std::string>>;

const absl::Time kBase = absl::FromUnixMicros(1700000000123456);

std::string IdFor(uint64_t n) {
  std::string id(16, '\0');
  for (int i = 0; i < 8; ++i) id[15 - i] = static_cast<char>(n >> (8 * i));
  id[0] = '\xab';
  return id;
}

Event MakeEvent(uint64_t offset) {
  Event event;
  event.id = IdFor(offset);
  event.type = "user.created";
  event.source = "accounts";
  event.content_type = "application/json";
  event.payload = absl::StrCat("{\"n\":", offset, "}");
  event.offset = offset;
  event.stored_at = kBase + absl::Seconds(offset);
  return event;
}

std::vector<Event> MakeEvents(uint64_t first, uint64_t count) {
  std::vector<Event> events;
  for (uint64_t i = 0; i < count; ++i) events.push_back(MakeEvent(first + i));
  return events;
}

void ExpectSameEvent(const Event& got, const Event& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.type, want.type);
  EXPECT_EQ(got.source, want.source);
  EXPECT_EQ(got.headers, want.headers);
  EXPECT_EQ(got.content_type, want.content_type);
  EXPECT_EQ(got.payload, want.payload);
  EXPECT_EQ(got.time, want.time);
  EXPECT_EQ(got.offset, want.offset);
  EXPECT_EQ(got.stored_at, want.stored_at);
}

// A port on 127.0.0.1 that nothing listens on.
int ClosedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return -1;
  }
  close(fd);
  return ntohs(addr.sin_port);
}

class PgEventStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(HasFatalFailure());
    ASSERT_TRUE(ApplyMigrations(db_.dsn(), EmbeddedMigrations()).ok());
    store_ = OpenStore(2);
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<EventStore> OpenStore(int pool_size) {
    absl::StatusOr<std::unique_ptr<EventStore>> store =
        NewPgEventStore({.dsn = db_.dsn(), .pool_size = pool_size});
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  int64_t Create(std::string_view name,
                 ExchangeKind kind = ExchangeKind::kFanout) {
    bool created = false;
    absl::StatusOr<ExchangeRecord> record =
        store_->CreateExchange(name, kind, &created);
    EXPECT_TRUE(record.ok()) << record.status();
    EXPECT_TRUE(created);
    return record.ok() ? record->id : 0;
  }

  testing::PgTestDatabase db_;
  std::unique_ptr<EventStore> store_;
};

TEST_F(PgEventStoreTest, CreateExchangeReturnsExistingWithSameKind) {
  bool created = false;
  absl::StatusOr<ExchangeRecord> first =
      store_->CreateExchange("orders", ExchangeKind::kTopic, &created);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(created);
  EXPECT_EQ(first->name, "orders");
  EXPECT_EQ(first->kind, ExchangeKind::kTopic);
  EXPECT_EQ(first->head_offset, 0u);
  EXPECT_GT(first->id, 0);
  EXPECT_LT(absl::AbsDuration(absl::Now() - first->created_at),
            absl::Minutes(5));

  absl::StatusOr<ExchangeRecord> again =
      store_->CreateExchange("orders", ExchangeKind::kTopic, &created);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(created);
  EXPECT_EQ(again->id, first->id);
  EXPECT_EQ(again->created_at, first->created_at);
}

TEST_F(PgEventStoreTest, CreateExchangeWithOtherKindIsAlreadyExists) {
  Create("orders", ExchangeKind::kDirect);
  bool created = true;
  absl::StatusOr<ExchangeRecord> other =
      store_->CreateExchange("orders", ExchangeKind::kFanout, &created);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(other.status().message().find("direct"), std::string::npos)
      << other.status();
}

TEST_F(PgEventStoreTest, LoadExchangesSortedByNameWithHeads) {
  const int64_t b = Create("b.events");
  Create("a.events", ExchangeKind::kTopic);
  ASSERT_TRUE(store_->AppendEvents(b, MakeEvents(1, 3)).ok());

  absl::StatusOr<std::vector<ExchangeRecord>> all = store_->LoadExchanges();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].name, "a.events");
  EXPECT_EQ((*all)[0].kind, ExchangeKind::kTopic);
  EXPECT_EQ((*all)[0].head_offset, 0u);
  EXPECT_EQ((*all)[1].name, "b.events");
  EXPECT_EQ((*all)[1].id, b);
  EXPECT_EQ((*all)[1].head_offset, 3u);
}

TEST_F(PgEventStoreTest, DeleteExchangeCascadesToEvents) {
  const int64_t id = Create("orders");
  ASSERT_TRUE(store_->AppendEvents(id, MakeEvents(1, 5)).ok());
  ASSERT_TRUE(store_->DeleteExchange("orders").ok());

  EXPECT_EQ(store_->DeleteExchange("orders").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(testing::QueryRows(db_.dsn(), "SELECT count(*) FROM events"),
            (Rows{{"0"}}));
  absl::StatusOr<std::vector<ExchangeRecord>> all = store_->LoadExchanges();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
  EXPECT_EQ(store_->HeadOffset(id).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(PgEventStoreTest, AppendThenReadRoundTripsTrickyData) {
  const int64_t id = Create("tricky");
  Event binary = MakeEvent(1);
  binary.payload = std::string("\0\xff\x01\\x00'\"\t\n", 10);
  binary.headers = {{"a\"quote", "back\\slash"},
                    {"line", "one\ntwo\r\tthree\x01\x1f"},
                    {"unicode", "h\xc3\xa9llo \xe2\x9c\x93 \xf0\x9f\x98\x80"},
                    {"z", ""}};
  binary.time = kBase + absl::Microseconds(7);
  binary.type = "type with 'quote' and \\ backslash";
  Event plain = MakeEvent(2);
  plain.payload.clear();
  plain.content_type.clear();
  plain.time.reset();
  Event unicode_key = MakeEvent(3);
  unicode_key.headers = {{"\xc3\xa9t\xc3\xa9", "{\"json\": [1]}"}};
  unicode_key.time = absl::FromUnixMicros(-1234567);  // before the epoch
  const std::vector<Event> events = {binary, plain, unicode_key};
  ASSERT_TRUE(store_->AppendEvents(id, events).ok());

  absl::StatusOr<std::vector<Event>> read = store_->ReadEvents(id, 1, 10);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 3u);
  for (size_t i = 0; i < events.size(); ++i) {
    SCOPED_TRACE(i);
    ExpectSameEvent((*read)[i], events[i]);
  }
  EXPECT_EQ(testing::QueryRows(db_.dsn(),
                               "SELECT headers IS NULL, event_time IS NULL "
                               "FROM events WHERE event_offset = 2"),
            (Rows{{"t", "t"}}));
  EXPECT_EQ(testing::QueryRows(db_.dsn(),
                               "SELECT headers->>'line', octet_length(payload)"
                               " FROM events WHERE event_offset = 1"),
            (Rows{{"one\ntwo\r\tthree\x01\x1f", "10"}}));
}

TEST_F(PgEventStoreTest, HeadersComeBackSortedByKey) {
  const int64_t id = Create("headers");
  Event event = MakeEvent(1);
  event.headers = {{"b", "2"}, {"a", "1"}, {"B", "3"}};
  ASSERT_TRUE(store_->AppendEvents(id, {event}).ok());
  absl::StatusOr<std::vector<Event>> read = store_->ReadEvents(id, 1, 1);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 1u);
  const std::vector<std::pair<std::string, std::string>> sorted = {
      {"B", "3"}, {"a", "1"}, {"b", "2"}};
  EXPECT_EQ((*read)[0].headers, sorted);
}

TEST_F(PgEventStoreTest, StoredTimesAreTruncatedToMicroseconds) {
  const int64_t id = Create("times");
  Event event = MakeEvent(1);
  event.stored_at = kBase + absl::Nanoseconds(999);
  event.time = kBase + absl::Nanoseconds(1500);
  ASSERT_TRUE(store_->AppendEvents(id, {event}).ok());
  absl::StatusOr<std::vector<Event>> read = store_->ReadEvents(id, 1, 1);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].stored_at, kBase);
  EXPECT_EQ((*read)[0].time, kBase + absl::Microseconds(1));
}

// A failed append script (BEGIN; COPY; check; COMMIT) is rolled back and
// leaves its connection idle: with one connection, every later statement
// works and nothing of the failed batches is stored.
TEST_F(PgEventStoreTest, FailedAppendsLeaveTheConnectionUsable) {
  std::unique_ptr<EventStore> store = OpenStore(1);
  ASSERT_NE(store, nullptr);
  const int64_t id = Create("orders");
  ASSERT_TRUE(store->AppendEvents(id, MakeEvents(1, 3)).ok());
  // Failing in the COPY (primary key), in the check (a gap) and in the check
  // (the exchange is gone), each followed by statements on the same
  // connection.
  EXPECT_EQ(store->AppendEvents(id, MakeEvents(3, 2)).code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(store->AppendEvents(id, MakeEvents(9, 2)).code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(store->AppendEvents(id + 1000, MakeEvents(1, 1)).code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(store->AppendEvents(id, MakeEvents(4, 2)).ok());
  absl::StatusOr<std::vector<Event>> read = store->ReadEvents(id, 1, 100);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 5u);
  for (size_t i = 0; i < read->size(); ++i) {
    ExpectSameEvent((*read)[i], MakeEvent(i + 1));
  }
  EXPECT_EQ(testing::QueryRows(db_.dsn(), "SELECT count(*) FROM events"),
            (Rows{{"5"}}));
  // No transaction was left open on the server.
  EXPECT_EQ(
      testing::QueryRows(
          db_.dsn(), absl::StrCat("SELECT count(*) FROM pg_stat_activity WHERE "
                                  "datname = '",
                                  db_.name(), "' AND state LIKE 'idle in%'")),
      (Rows{{"0"}}));
}

TEST_F(PgEventStoreTest, CollidingBatchStoresNothing) {
  const int64_t id = Create("orders");
  ASSERT_TRUE(store_->AppendEvents(id, MakeEvents(1, 2)).ok());

  // Offsets 2..5 collide on offset 2: nothing of the batch may be stored.
  EXPECT_EQ(store_->AppendEvents(id, MakeEvents(2, 4)).code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(testing::QueryRows(db_.dsn(), "SELECT count(*) FROM events"),
            (Rows{{"2"}}));
  absl::StatusOr<uint64_t> head = store_->HeadOffset(id);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, 2u);
}

// Events have no foreign key (migration 0003); the append locks the exchange
// row instead. An append that meets an uncommitted delete waits for it, then
// finds the exchange gone and stores nothing: no orphaned events.
TEST_F(PgEventStoreTest, AppendWaitingForAnExchangeDeleteStoresNothing) {
  const int64_t id = Create("orders");
  ASSERT_TRUE(store_->AppendEvents(id, MakeEvents(1, 3)).ok());

  pqxx::connection conn(db_.dsn());
  std::optional<pqxx::work> deleting(std::in_place, conn);
  deleting->exec("DELETE FROM exchanges WHERE name = 'orders'");
  deleting->exec(absl::StrCat("DELETE FROM events WHERE exchange_id = ", id));

  absl::Status appended = absl::UnknownError("not run");
  std::thread appender(
      [&] { appended = store_->AppendEvents(id, MakeEvents(4, 5)); });
  const bool waited = testing::WaitForLockWaiter(db_, absl::Seconds(30));
  deleting->commit();
  deleting.reset();
  appender.join();

  EXPECT_TRUE(waited) << "the append never waited for the delete";
  EXPECT_EQ(appended.code(), absl::StatusCode::kNotFound) << appended;
  EXPECT_EQ(testing::QueryRows(db_.dsn(), "SELECT count(*) FROM events"),
            (Rows{{"0"}}));
}

// The other order: a delete that meets an uncommitted append (its lock on the
// exchange row) waits for it, then deletes its events too.
TEST_F(PgEventStoreTest, ExchangeDeleteWaitsForAnAppendAndTakesItsEvents) {
  const int64_t id = Create("orders");
  ASSERT_TRUE(store_->AppendEvents(id, MakeEvents(1, 3)).ok());

  pqxx::connection conn(db_.dsn());
  std::optional<pqxx::work> appending(std::in_place, conn);
  appending->exec(absl::StrCat("SELECT 1 FROM exchanges WHERE id = ", id,
                               " FOR KEY SHARE"));
  appending->exec(absl::StrCat(
      "INSERT INTO events (exchange_id, event_offset, id, publisher_id, type, "
      "source, content_type, payload, stored_at) VALUES (",
      id, ", 4, gen_random_uuid(), false, 't', 's', '', '', now())"));

  absl::Status deleted = absl::UnknownError("not run");
  std::thread deleter([&] { deleted = store_->DeleteExchange("orders"); });
  const bool waited = testing::WaitForLockWaiter(db_, absl::Seconds(30));
  appending->commit();
  appending.reset();
  deleter.join();

  EXPECT_TRUE(waited) << "the delete never waited for the append";
  EXPECT_TRUE(deleted.ok()) << deleted;
  EXPECT_EQ(testing::QueryRows(db_.dsn(), "SELECT count(*) FROM events"),
            (Rows{{"0"}}));
}

TEST_F(PgEventStoreTest, ConcurrentWritersOfOneOffsetStoreOneBatch) {
  const int64_t id = Create("orders");
  // Both writers pass the head check; the primary key rejects one at COPY.
  std::vector<absl::Status> results(4);
  std::vector<std::thread> threads;
  std::unique_ptr<EventStore> store = OpenStore(4);
  for (absl::Status& result : results) {
    threads.emplace_back(
        [&] { result = store->AppendEvents(id, MakeEvents(1, 50)); });
  }
  for (std::thread& thread : threads) thread.join();
  int ok = 0;
  for (const absl::Status& result : results) {
    if (result.ok()) {
      ++ok;
    } else {
      EXPECT_EQ(result.code(), absl::StatusCode::kAborted) << result;
    }
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(testing::QueryRows(db_.dsn(), "SELECT count(*) FROM events"),
            (Rows{{"50"}}));
}

TEST_F(PgEventStoreTest, BatchMustFollowTheHead) {
  const int64_t id = Create("orders");
  EXPECT_EQ(store_->AppendEvents(id, MakeEvents(2, 2)).code(),
            absl::StatusCode::kAborted);
  std::vector<Event> gap = MakeEvents(1, 3);
  gap[2].offset = 5;
  EXPECT_EQ(store_->AppendEvents(id, gap).code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<Event> bad_id = MakeEvents(1, 1);
  bad_id[0].id = "short";
  EXPECT_EQ(store_->AppendEvents(id, bad_id).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(testing::QueryRows(db_.dsn(), "SELECT count(*) FROM events"),
            (Rows{{"0"}}));
}

TEST_F(PgEventStoreTest, UnknownExchangeIsNotFound) {
  EXPECT_EQ(store_->AppendEvents(999, MakeEvents(1, 1)).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->ReadEvents(999, 1, 10).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->RecentIds(999, kBase, 0).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->HeadOffset(999).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(PgEventStoreTest, LargeBatchAppendsAndReadsInPages) {
  const int64_t id = Create("bulk");
  const std::vector<Event> events = MakeEvents(1, 3000);
  ASSERT_TRUE(store_->AppendEvents(id, events).ok());
  ASSERT_TRUE(store_->AppendEvents(id, MakeEvents(3001, 1)).ok());
  absl::StatusOr<uint64_t> head = store_->HeadOffset(id);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, 3001u);

  uint64_t next = 1;
  while (next <= 3001) {
    absl::StatusOr<std::vector<Event>> page = store_->ReadEvents(id, next, 700);
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_FALSE(page->empty());
    for (const Event& event : *page) ASSERT_EQ(event.offset, next++);
  }
  absl::StatusOr<std::vector<Event>> past = store_->ReadEvents(id, 3002, 10);
  ASSERT_TRUE(past.ok());
  EXPECT_TRUE(past->empty());
  absl::StatusOr<std::vector<Event>> none = store_->ReadEvents(id, 1, 0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  // The offset range bound never overflows a bigint.
  absl::StatusOr<std::vector<Event>> far =
      store_->ReadEvents(id, std::numeric_limits<uint64_t>::max(),
                         std::numeric_limits<size_t>::max());
  ASSERT_TRUE(far.ok()) << far.status();
  EXPECT_TRUE(far->empty());
}

TEST_F(PgEventStoreTest, HeadOffsetIsZeroWhenEmpty) {
  const int64_t id = Create("orders");
  absl::StatusOr<uint64_t> head = store_->HeadOffset(id);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(*head, 0u);
  ASSERT_TRUE(store_->AppendEvents(id, MakeEvents(1, 4)).ok());
  head = store_->HeadOffset(id);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, 4u);
}

TEST_F(PgEventStoreTest, RecentIdsByTimeOrOffsetOnlyPublisherSet) {
  const int64_t id = Create("orders");
  std::vector<Event> events = MakeEvents(1, 10);  // stored_at base+n s
  // Offsets 5 and 10 carry server-generated ids: never part of the window.
  for (Event& event : events) {
    event.publisher_id = event.offset != 5 && event.offset != 10;
  }
  ASSERT_TRUE(store_->AppendEvents(id, events).ok());

  // Time picks 8..10, offset picks 4..10; the union, once, in order, without
  // the generated ids.
  absl::StatusOr<std::vector<StoredId>> ids =
      store_->RecentIds(id, kBase + absl::Seconds(8), 3);
  ASSERT_TRUE(ids.ok()) << ids.status();
  const std::vector<uint64_t> expected = {4, 6, 7, 8, 9};
  ASSERT_EQ(ids->size(), expected.size());
  for (size_t i = 0; i < ids->size(); ++i) {
    EXPECT_EQ((*ids)[i].offset, expected[i]);
    EXPECT_EQ((*ids)[i].id, events[expected[i] - 1].id);
    EXPECT_EQ((*ids)[i].stored_at, events[expected[i] - 1].stored_at);
  }
  ids = store_->RecentIds(id, kBase + absl::Seconds(9), 10);
  ASSERT_TRUE(ids.ok());
  ASSERT_EQ(ids->size(), 1u);
  EXPECT_EQ((*ids)[0].offset, 9u);
  ids = store_->RecentIds(id, absl::InfiniteFuture(), 10);
  ASSERT_TRUE(ids.ok());
  EXPECT_TRUE(ids->empty());
  ids = store_->RecentIds(id, absl::InfinitePast(), 10);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->size(), 8u);

  // ReadEvents returns the flag as stored.
  absl::StatusOr<std::vector<Event>> read = store_->ReadEvents(id, 1, 10);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 10u);
  for (const Event& event : *read) {
    EXPECT_EQ(event.publisher_id, events[event.offset - 1].publisher_id);
  }
}

TEST_F(PgEventStoreTest, PingSucceeds) { EXPECT_TRUE(store_->Ping().ok()); }

TEST_F(PgEventStoreTest, RecoversAfterServerClosesConnections) {
  ASSERT_TRUE(store_->Ping().ok());
  const int64_t id = Create("orders");
  // Kill every session of the store; waits until each backend is gone.
  const Rows killed = testing::QueryRows(
      db_.dsn(), absl::StrCat("SELECT pg_terminate_backend(pid, 5000) FROM "
                              "pg_stat_activity WHERE datname = '",
                              db_.name(), "' AND pid <> pg_backend_pid()"));
  ASSERT_FALSE(killed.empty());
  // Idle pooled connections are dead; the store reconnects by itself.
  EXPECT_TRUE(store_->Ping().ok());
  EXPECT_TRUE(store_->AppendEvents(id, MakeEvents(1, 1)).ok());
  absl::StatusOr<uint64_t> head = store_->HeadOffset(id);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(*head, 1u);
}

TEST_F(PgEventStoreTest, SmallPoolServesManyThreads) {
  std::unique_ptr<EventStore> store = OpenStore(2);
  const int64_t id = Create("orders");
  ASSERT_TRUE(store->AppendEvents(id, MakeEvents(1, 20)).ok());
  std::vector<std::thread> threads;
  std::vector<int> failures(8, 0);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        absl::StatusOr<std::vector<Event>> read = store->ReadEvents(id, 1, 20);
        if (!read.ok() || read->size() != 20) ++failures[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
  const Rows sessions = testing::QueryRows(
      db_.dsn(), absl::StrCat("SELECT count(*) FROM pg_stat_activity WHERE "
                              "datname = '",
                              db_.name(), "' AND pid <> pg_backend_pid()"));
  ASSERT_EQ(sessions.size(), 1u);
  ASSERT_EQ(sessions[0].size(), 1u);
  int64_t connections = 0;
  ASSERT_TRUE(absl::SimpleAtoi(sessions[0][0], &connections)) << sessions[0][0];
  EXPECT_LE(connections, 4);  // the two pools of two
}

TEST_F(PgEventStoreTest, UnreachableDatabaseIsUnavailableQuickly) {
  const int port = ClosedPort();
  ASSERT_GT(port, 0);
  const std::string dsn =
      absl::StrCat("postgresql://postgres:secret@127.0.0.1:", port, "/x");
  absl::StatusOr<std::unique_ptr<EventStore>> store = NewPgEventStore(
      {.dsn = dsn, .pool_size = 1, .connect_timeout = absl::Seconds(2)});
  ASSERT_TRUE(store.ok()) << store.status();

  // A hang would show as the test's ctest timeout; no timing is asserted.
  const absl::Status ping = (*store)->Ping();
  EXPECT_EQ(ping.code(), absl::StatusCode::kUnavailable) << ping;
  EXPECT_EQ(ping.message().find("secret"), std::string::npos) << ping;
  EXPECT_EQ((*store)->LoadExchanges().status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ((*store)->AppendEvents(1, MakeEvents(1, 1)).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(ApplyMigrations(dsn, EmbeddedMigrations()).code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(PgEventStoreTest, RejectsInvalidOptions) {
  EXPECT_EQ(NewPgEventStore({.dsn = db_.dsn(), .pool_size = 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace evrouter
