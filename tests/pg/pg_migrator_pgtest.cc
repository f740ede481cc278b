#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/migrations.h"
#include "storage/pg_migrator.h"
#include "tests/support/pg_test_database.h"

namespace evrouter {
namespace {

using Rows = std::vector<std::vector<std::string>>;

class MigratorTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(HasFatalFailure()); }

  Rows AppliedVersions() {
    return testing::QueryRows(
        db_.dsn(), "SELECT version, name FROM schema_migrations ORDER BY 1");
  }

  Rows ExpectedVersions() {
    Rows rows;
    for (const Migration& m : EmbeddedMigrations()) {
      rows.push_back({absl::StrCat(m.version), m.name});
    }
    return rows;
  }

  testing::PgTestDatabase db_;
};

TEST_F(MigratorTest, AppliesEmbeddedMigrationsOnEmptyDatabase) {
  ASSERT_FALSE(EmbeddedMigrations().empty());
  ASSERT_TRUE(ApplyMigrations(db_.dsn(), EmbeddedMigrations()).ok());
  EXPECT_EQ(AppliedVersions(), ExpectedVersions());
  EXPECT_EQ(testing::QueryRows(db_.dsn(),
                               "SELECT count(*) FROM information_schema.tables "
                               "WHERE table_name IN ('exchanges', 'events')"),
            (Rows{{"2"}}));
}

TEST_F(MigratorTest, SecondRunIsANoOp) {
  ASSERT_TRUE(ApplyMigrations(db_.dsn(), EmbeddedMigrations()).ok());
  const Rows first = testing::QueryRows(
      db_.dsn(), "SELECT version, applied_at FROM schema_migrations");
  ASSERT_TRUE(ApplyMigrations(db_.dsn(), EmbeddedMigrations()).ok());
  EXPECT_EQ(testing::QueryRows(
                db_.dsn(), "SELECT version, applied_at FROM schema_migrations"),
            first);
}

TEST_F(MigratorTest, ConcurrentRunsApplyEachVersionOnce) {
  std::vector<absl::Status> results(4);
  std::vector<std::thread> threads;
  for (absl::Status& result : results) {
    threads.emplace_back([&result, dsn = db_.dsn()] {
      result = ApplyMigrations(dsn, EmbeddedMigrations());
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& result : results) EXPECT_TRUE(result.ok()) << result;
  EXPECT_EQ(AppliedVersions(), ExpectedVersions());
}

TEST_F(MigratorTest, AppliesOnlyNewVersionsInOrder) {
  const std::vector<Migration> first = {
      {1, "0001_a", "CREATE TABLE a (x int)"}};
  ASSERT_TRUE(ApplyMigrations(db_.dsn(), first).ok());
  // Given out of order: 3 depends on 2.
  const std::vector<Migration> all = {{3, "0003_c", "INSERT INTO b VALUES (1)"},
                                      {1, "0001_a", "CREATE TABLE a (x int)"},
                                      {2, "0002_b", "CREATE TABLE b (x int)"}};
  ASSERT_TRUE(ApplyMigrations(db_.dsn(), all).ok());
  EXPECT_EQ(AppliedVersions(),
            (Rows{{"1", "0001_a"}, {"2", "0002_b"}, {"3", "0003_c"}}));
  EXPECT_EQ(testing::QueryRows(db_.dsn(), "SELECT x FROM b"), (Rows{{"1"}}));
}

TEST_F(MigratorTest, FailedMigrationIsRolledBackAndNamed) {
  const std::vector<Migration> migrations = {
      {1, "0001_a", "CREATE TABLE a (x int)"},
      {2, "0002_bad", "CREATE TABLE b (x int); SELECT no_such_column FROM a"}};
  const absl::Status status = ApplyMigrations(db_.dsn(), migrations);
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_NE(status.message().find("0002_bad"), std::string::npos) << status;
  EXPECT_EQ(AppliedVersions(), (Rows{{"1", "0001_a"}}));
  EXPECT_EQ(testing::QueryRows(db_.dsn(),
                               "SELECT count(*) FROM information_schema.tables "
                               "WHERE table_name = 'b'"),
            (Rows{{"0"}}));
}

TEST_F(MigratorTest, RejectsDuplicateVersions) {
  const std::vector<Migration> migrations = {{1, "0001_a", "SELECT 1"},
                                             {1, "0001_b", "SELECT 1"}};
  EXPECT_EQ(ApplyMigrations(db_.dsn(), migrations).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace evrouter
