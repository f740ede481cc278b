#include "storage/pg_connection_pool.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/time/time.h"

namespace evrouter {
namespace {

// Nothing listens on port 1: every attempt is refused at once.
constexpr char kRefusedDsn[] =
    "postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=2";

absl::Status RunCounting(PgConnectionPool& pool, int* calls) {
  return pool.Run("test", nullptr, [calls](pqxx::connection&) {
    ++*calls;
    return absl::OkStatus();
  });
}

TEST(PgConnectionPoolTest, RefusedConnectBacksOffAndFailsFastMeanwhile) {
  PgConnectionPool pool(kRefusedDsn, 2,
                        {.initial = absl::Hours(1), .max = absl::Hours(2)});
  int calls = 0;
  absl::Status first = RunCounting(pool, &calls);
  EXPECT_EQ(first.code(), absl::StatusCode::kUnavailable) << first;
  EXPECT_EQ(first.message().find("next connection attempt"), std::string::npos)
      << first;

  // Within the backoff no attempt is made: the answer names the last
  // failure and when the next attempt may happen.
  absl::Status second = RunCounting(pool, &calls);
  EXPECT_EQ(second.code(), absl::StatusCode::kUnavailable) << second;
  EXPECT_NE(second.message().find("postgres unreachable"), std::string::npos)
      << second;
  EXPECT_NE(second.message().find("next connection attempt in"),
            std::string::npos)
      << second;
  EXPECT_EQ(calls, 0);
}

TEST(PgConnectionPoolTest, WithoutBackoffEveryCallTriesToConnect) {
  PgConnectionPool pool(
      kRefusedDsn, 1,
      {.initial = absl::ZeroDuration(), .max = absl::ZeroDuration()});
  int calls = 0;
  for (int i = 0; i < 3; ++i) {
    absl::Status status = RunCounting(pool, &calls);
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
    EXPECT_EQ(status.message().find("next connection attempt"),
              std::string::npos)
        << status;
  }
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace evrouter
