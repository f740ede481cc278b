#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <string>

#include "storage/pg_errors.h"
#include "tests/support/pg_test_database.h"

namespace evrouter {
namespace {

class PgErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(HasFatalFailure()); }

  // Runs `sql` through RunMappingPgErrors on a fresh connection.
  absl::Status Run(const std::string& sql) {
    return RunMappingPgErrors("test", [&] {
      pqxx::connection conn(db_.dsn());
      pqxx::work tx(conn);
      tx.exec(sql);
      tx.commit();
      return absl::OkStatus();
    });
  }

  static std::string Raise(const std::string& sqlstate) {
    return "DO $$ BEGIN RAISE EXCEPTION 'raised' USING ERRCODE = '" + sqlstate +
           "'; END $$";
  }

  testing::PgTestDatabase db_;
};

TEST_F(PgErrorsTest, MapsSqlStatesToCodes) {
  EXPECT_EQ(Run(Raise("23505")).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Run(Raise("40001")).code(), absl::StatusCode::kAborted);
  EXPECT_EQ(Run(Raise("40P01")).code(), absl::StatusCode::kAborted);
  EXPECT_EQ(Run(Raise("57P01")).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Run(Raise("57P03")).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Run(Raise("08006")).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Run(Raise("23503")).code(), absl::StatusCode::kNotFound);
}

TEST_F(PgErrorsTest, OtherErrorsAreInternalWithMessage) {
  const absl::Status status = Run("SELECT 1/0");
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_NE(status.message().find("division by zero"), std::string::npos)
      << status;
  EXPECT_EQ(status.message().rfind("test: ", 0), 0u) << status;
}

TEST_F(PgErrorsTest, UniqueViolationIsAlreadyExists) {
  ASSERT_TRUE(Run("CREATE TABLE t (k int PRIMARY KEY)").ok());
  ASSERT_TRUE(Run("INSERT INTO t VALUES (1)").ok());
  EXPECT_EQ(Run("INSERT INTO t VALUES (1)").code(),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(PgErrorsTest, TerminatedConnectionIsUnavailable) {
  const absl::Status status = RunMappingPgErrors("test", [&] {
    pqxx::connection conn(db_.dsn());
    pqxx::nontransaction tx(conn);
    tx.exec("SELECT pg_terminate_backend(pg_backend_pid())");
    return absl::OkStatus();
  });
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
}

TEST_F(PgErrorsTest, NonPqxxExceptionsAreInternal) {
  const absl::Status status = RunMappingPgErrors(
      "test", []() -> absl::Status { throw std::runtime_error("boom"); });
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(status.message(), "test: boom");
}

}  // namespace
}  // namespace evrouter
