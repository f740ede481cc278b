#include "tests/support/pg_test_database.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <exception>
#include <pqxx/pqxx>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace evrouter::testing {
namespace {

constexpr char kDsnVariable[] = "EVROUTER_TEST_PG_DSN";

// `dsn` pointing at database `name`: the URI path is replaced, a key=value
// string gets a trailing dbname (the last one wins).
std::string WithDatabase(const std::string& dsn, const std::string& name) {
  const size_t scheme = dsn.find("://");
  if (scheme == std::string::npos) {
    return absl::StrCat(dsn, " dbname=", name);
  }
  const size_t path = dsn.find_first_of("/?#", scheme + 3);
  if (path == std::string::npos) return absl::StrCat(dsn, "/", name);
  size_t rest = path;
  if (dsn[path] == '/') {
    rest = dsn.find_first_of("?#", path);
    if (rest == std::string::npos) rest = dsn.size();
  }
  return absl::StrCat(dsn.substr(0, path), "/", name, dsn.substr(rest));
}

// Records a fatal failure; a void function, so usable from a constructor.
void FailSetup(const std::string& message) { GTEST_FAIL() << message; }

void Execute(const std::string& dsn, const std::string& sql) {
  pqxx::connection conn(dsn);
  pqxx::nontransaction tx(conn);
  tx.exec(sql);
}

}  // namespace

PgTestDatabase::PgTestDatabase() {
  static std::atomic<int> counter{0};
  const char* env = std::getenv(kDsnVariable);
  if (env == nullptr || *env == '\0') {
    FailSetup(absl::StrCat(kDsnVariable,
                           " is not set: Postgres tests need a cluster, e.g. "
                           "postgresql://postgres@127.0.0.1:5432/postgres"));
    return;
  }
  admin_dsn_ = env;
  const std::string name = absl::StrCat("evr_test_", getpid(), "_", ++counter);
  try {
    // A crashed earlier run with the same pid may have left it behind.
    Execute(admin_dsn_,
            absl::StrCat("DROP DATABASE IF EXISTS ", name, " WITH (FORCE)"));
    Execute(admin_dsn_, absl::StrCat("CREATE DATABASE ", name));
  } catch (const std::exception& e) {
    FailSetup(absl::StrCat("cannot create test database ", name, " via ",
                           kDsnVariable, ": ", e.what()));
    return;
  }
  name_ = name;
  dsn_ = WithDatabase(admin_dsn_, name_);
}

PgTestDatabase::~PgTestDatabase() {
  if (name_.empty()) return;
  try {
    Execute(admin_dsn_,
            absl::StrCat("DROP DATABASE IF EXISTS ", name_, " WITH (FORCE)"));
  } catch (const std::exception& e) {
    ADD_FAILURE() << "cannot drop test database " << name_ << ": " << e.what();
  }
}

std::vector<std::vector<std::string>> QueryRows(const std::string& dsn,
                                                const std::string& sql) {
  std::vector<std::vector<std::string>> rows;
  try {
    pqxx::connection conn(dsn);
    pqxx::nontransaction tx(conn);
    for (const pqxx::row& row : tx.exec(sql)) {
      std::vector<std::string>& out = rows.emplace_back();
      for (const pqxx::field& field : row) {
        out.push_back(field.is_null()
                          ? "NULL"
                          : std::string(field.c_str(), field.size()));
      }
    }
  } catch (const std::exception& e) {
    ADD_FAILURE() << "query failed: " << sql << ": " << e.what();
    rows.clear();
  }
  return rows;
}

bool WaitForLockWaiter(const PgTestDatabase& db, absl::Duration within) {
  const std::string sql =
      absl::StrCat("SELECT count(*) FROM pg_stat_activity WHERE datname = '",
                   db.name(), "' AND wait_event_type = 'Lock'");
  const absl::Time deadline = absl::Now() + within;
  while (true) {
    const std::vector<std::vector<std::string>> rows = QueryRows(db.dsn(), sql);
    if (rows.size() == 1 && rows[0].size() == 1 && rows[0][0] != "0") {
      return true;
    }
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

}  // namespace evrouter::testing
