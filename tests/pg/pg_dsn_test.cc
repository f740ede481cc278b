#include <gtest/gtest.h>

#include "absl/time/time.h"
#include "storage/pg_event_store.h"
#include "storage/pg_migrator.h"

namespace evrouter {
namespace {

TEST(MaskDsnPasswordTest, MasksUriUserinfoPassword) {
  EXPECT_EQ(MaskDsnPassword("postgresql://user:secret@host:5432/db"),
            "postgresql://user:****@host:5432/db");
  EXPECT_EQ(MaskDsnPassword("postgres://u:p%40ss@h/db?sslmode=require"),
            "postgres://u:****@h/db?sslmode=require");
}

TEST(MaskDsnPasswordTest, MasksUriQueryPassword) {
  EXPECT_EQ(MaskDsnPassword("postgresql://u@h/db?password=secret&sslmode=x"),
            "postgresql://u@h/db?password=****&sslmode=x");
  EXPECT_EQ(MaskDsnPassword("postgresql://h/db?sslmode=x&password=secret"),
            "postgresql://h/db?sslmode=x&password=****");
}

TEST(MaskDsnPasswordTest, LeavesUriWithoutPasswordAlone) {
  EXPECT_EQ(MaskDsnPassword("postgresql://postgres@127.0.0.1:5432/postgres"),
            "postgresql://postgres@127.0.0.1:5432/postgres");
  EXPECT_EQ(MaskDsnPassword("postgresql://host/db"), "postgresql://host/db");
}

TEST(MaskDsnPasswordTest, MasksKeyValuePassword) {
  EXPECT_EQ(MaskDsnPassword("host=h user=u password=secret dbname=d"),
            "host=h user=u password=**** dbname=d");
  EXPECT_EQ(MaskDsnPassword("password = secret host=h"),
            "password = **** host=h");
}

TEST(MaskDsnPasswordTest, MasksQuotedKeyValuePassword) {
  EXPECT_EQ(MaskDsnPassword("host=h password='a b' user=u"),
            "host=h password=**** user=u");
  EXPECT_EQ(MaskDsnPassword(R"(password='it\'s secret' dbname=d)"),
            "password=**** dbname=d");
}

TEST(MaskDsnPasswordTest, LeavesOtherKeysAlone) {
  EXPECT_EQ(MaskDsnPassword("host=h passfile=/x user='a b'"),
            "host=h passfile=/x user='a b'");
}

TEST(WithConnectionDefaultsTest, AddsTimeoutAndKeepalivesToUri) {
  EXPECT_EQ(WithConnectionDefaults("postgresql://u@h/db", absl::Seconds(5)),
            "postgresql://u@h/db?connect_timeout=5&keepalives=1&"
            "keepalives_idle=30&keepalives_interval=10&keepalives_count=3&"
            "tcp_user_timeout=20000&client_encoding=UTF8");
}

TEST(WithConnectionDefaultsTest, AppendsToExistingUriQuery) {
  const std::string dsn = WithConnectionDefaults(
      "postgresql://u@h/db?sslmode=disable&connect_timeout=9",
      absl::Seconds(5));
  EXPECT_EQ(dsn.rfind("postgresql://u@h/db?sslmode=disable&connect_timeout=9&"
                      "keepalives=1&",
                      0),
            0u)
      << dsn;
  EXPECT_EQ(dsn.find("connect_timeout=5"), std::string::npos) << dsn;
}

TEST(WithConnectionDefaultsTest, AddsToKeyValueForm) {
  EXPECT_EQ(WithConnectionDefaults("host=h connect_timeout = 7 keepalives=0",
                                   absl::Milliseconds(2500)),
            "host=h connect_timeout = 7 keepalives=0 keepalives_idle=30 "
            "keepalives_interval=10 keepalives_count=3 tcp_user_timeout=20000 "
            "client_encoding=UTF8");
  EXPECT_EQ(WithConnectionDefaults("", absl::Milliseconds(2500)),
            "connect_timeout=3 keepalives=1 keepalives_idle=30 "
            "keepalives_interval=10 keepalives_count=3 tcp_user_timeout=20000 "
            "client_encoding=UTF8");
}

TEST(WithConnectionDefaultsTest, TimeoutIsAtLeastTwoSeconds) {
  EXPECT_EQ(WithConnectionDefaults("host=h", absl::Milliseconds(10))
                .rfind("host=h connect_timeout=2 ", 0),
            0u);
}

}  // namespace
}  // namespace evrouter
