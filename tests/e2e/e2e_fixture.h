#ifndef EVROUTER_TESTS_E2E_E2E_FIXTURE_H_
#define EVROUTER_TESTS_E2E_E2E_FIXTURE_H_

#include <gtest/gtest.h>

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

}  // namespace evrouter::testing

#endif  // EVROUTER_TESTS_E2E_E2E_FIXTURE_H_
