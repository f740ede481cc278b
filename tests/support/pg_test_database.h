#ifndef EVROUTER_TESTS_SUPPORT_PG_TEST_DATABASE_H_
#define EVROUTER_TESTS_SUPPORT_PG_TEST_DATABASE_H_

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace evrouter::testing {

// Creates a fresh, uniquely named database (evr_test_<pid>_<counter>) on the
// cluster named by EVROUTER_TEST_PG_DSN (a URI like
// postgresql://postgres@127.0.0.1:PORT/postgres) and drops it WITH (FORCE) in
// the destructor. When the variable is missing or the cluster cannot be
// reached it records a fatal failure: Postgres tests never skip. Check
// HasFatalFailure() in SetUp. Not thread-safe; use from the test thread.
class PgTestDatabase {
 public:
  PgTestDatabase();
  ~PgTestDatabase();
  PgTestDatabase(const PgTestDatabase&) = delete;
  PgTestDatabase& operator=(const PgTestDatabase&) = delete;

  // Connection string of the new database; empty after a failed setup.
  const std::string& dsn() const { return dsn_; }
  const std::string& name() const { return name_; }

 private:
  std::string admin_dsn_;
  std::string dsn_;
  std::string name_;
};

// Runs one SQL statement on `dsn` and returns all rows as strings (NULL ->
// "NULL"). Records a test failure and returns no rows on error.
std::vector<std::vector<std::string>> QueryRows(const std::string& dsn,
                                                const std::string& sql);

// Polls until some session of `db` waits for a lock (a statement blocked
// behind another transaction), up to `within`; false if none did.
bool WaitForLockWaiter(const PgTestDatabase& db, absl::Duration within);

}  // namespace evrouter::testing

#endif  // EVROUTER_TESTS_SUPPORT_PG_TEST_DATABASE_H_
