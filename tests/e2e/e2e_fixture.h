#ifndef EVROUTER_TESTS_E2E_E2E_FIXTURE_H_
#define EVROUTER_TESTS_E2E_E2E_FIXTURE_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/evrouter_client.h"
#include "tests/support/pg_test_database.h"
#include "tests/support/server_process.h"

namespace evrouter::testing {

// A fresh database and a running evrouterd on it, per test.
class E2ETest : public ::testing::Test {
 protected:
  void StartServer(std::vector<std::string> extra_args = {}) {
    ASSERT_FALSE(db_.dsn().empty()) << "no test database";
    server_ = std::make_unique<ServerProcess>(db_.dsn(), std::move(extra_args));
    absl::Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }

  void SetUp() override { StartServer(); }

  client::Client& client() { return server_->client(); }

  // SELECT returning one value, as text.
  std::string QueryValue(const std::string& sql) {
    std::vector<std::vector<std::string>> rows = QueryRows(db_.dsn(), sql);
    if (rows.size() != 1 || rows[0].size() != 1) return "<not one value>";
    return rows[0][0];
  }

  std::string StoredCount(const std::string& exchange) {
    return QueryValue(
        absl::StrCat("SELECT count(*) FROM events e JOIN exchanges x ON x.id = "
                     "e.exchange_id "
                     "WHERE x.name = '",
                     exchange, "'"));
  }

  PgTestDatabase db_;
  std::unique_ptr<ServerProcess> server_;
};

// A fresh database and a directory of test certificates (made by
// tests/support/make_test_certs.sh: ca.pem, server.pem/.key for localhost
// and 127.0.0.1, client.pem/.key, and another CA's), removed afterwards. Each
// test starts its own server.
class CertificatesE2ETest : public E2ETest {
 protected:
  void SetUp() override {
    ASSERT_FALSE(db_.dsn().empty()) << "no test database";
    char dir[] = "/tmp/evrouter-certs-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    certs_ = dir;
    std::string output;
    ASSERT_EQ(RunCommand({"/bin/bash", MAKE_TEST_CERTS_PATH, certs_}, &output),
              0)
        << output;
  }

  void TearDown() override {
    if (!certs_.empty()) std::filesystem::remove_all(certs_);
  }

  // The path of certificate file `name`.
  std::string Cert(const std::string& name) const {
    return absl::StrCat(certs_, "/", name);
  }

  std::string certs_;
};

inline v1::Event MakeEvent(std::string type, std::string payload = "p",
                           std::string id = "") {
  v1::Event event;
  event.set_type(std::move(type));
  event.set_payload(std::move(payload));
  event.set_id(std::move(id));
  return event;
}

inline std::vector<v1::Event> MakeEvents(int count,
                                         const std::string& type = "t.e") {
  std::vector<v1::Event> events;
  for (int i = 0; i < count; ++i)
    events.push_back(MakeEvent(type, absl::StrCat("payload-", i)));
  return events;
}

// Every stored event of the database at `dsn`: id -> offset.
inline std::map<std::string, uint64_t> StoredOffsets(const std::string& dsn) {
  std::map<std::string, uint64_t> stored;
  for (const auto& row :
       QueryRows(dsn, "SELECT id::text, event_offset FROM events")) {
    stored[row[0]] = std::stoull(row[1]);
  }
  return stored;
}

// Invariant 1: how many acked events (id -> acked offset) are not in
// `stored` at the offset they were acked with; each one is a test failure.
inline size_t CountLostAcks(const std::map<std::string, uint64_t>& acked,
                            const std::map<std::string, uint64_t>& stored) {
  size_t lost = 0;
  for (const auto& [id, offset] : acked) {
    auto it = stored.find(id);
    if (it != stored.end() && it->second == offset) continue;
    ++lost;
    ADD_FAILURE() << "acked event " << id << " at offset " << offset
                  << (it == stored.end() ? " was lost"
                                         : " is stored elsewhere");
  }
  return lost;
}

// Invariant 2 for a database with one exchange: its `count` stored events
// have exactly the offsets 1..count (no gap, no duplicate).
inline ::testing::AssertionResult OffsetsAreOneTo(const std::string& dsn,
                                                  size_t count) {
  const std::vector<std::vector<std::string>> rows =
      QueryRows(dsn,
                "SELECT concat_ws(',', count(*), count(DISTINCT event_offset), "
                "min(event_offset), max(event_offset)) FROM events");
  const std::string want = absl::StrCat(count, ",", count, ",1,", count);
  const std::string got = rows.size() == 1 ? rows[0][0] : "<no row>";
  if (got == want) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "count, distinct offsets, min, max: got " << got << ", want "
         << want;
}

}  // namespace evrouter::testing

#endif  // EVROUTER_TESTS_E2E_E2E_FIXTURE_H_
