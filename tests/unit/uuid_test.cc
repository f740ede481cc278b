#include "storage/uuid.h"

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace evrouter {
namespace {

int Version(const std::string& bytes) {
  return static_cast<unsigned char>(bytes[6]) >> 4;
}

int VariantBits(const std::string& bytes) {
  return static_cast<unsigned char>(bytes[8]) >> 6;
}

uint64_t EmbeddedMillis(const std::string& bytes) {
  uint64_t millis = 0;
  for (int i = 0; i < 6; ++i)
    millis = millis << 8 | static_cast<unsigned char>(bytes[i]);
  return millis;
}

TEST(UuidTest, ParseAndFormatRoundTrip) {
  const std::string text = "0190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d";
  std::optional<std::string> bytes = ParseUuid(text);
  ASSERT_TRUE(bytes.has_value());
  ASSERT_EQ(bytes->size(), 16u);
  EXPECT_EQ(static_cast<unsigned char>((*bytes)[0]), 0x01);
  EXPECT_EQ(static_cast<unsigned char>((*bytes)[1]), 0x90);
  EXPECT_EQ(static_cast<unsigned char>((*bytes)[15]), 0x6d);
  EXPECT_EQ(FormatUuid(*bytes), text);
}

TEST(UuidTest, ParseAcceptsUpperCaseAndFormatsLowerCase) {
  std::optional<std::string> bytes =
      ParseUuid("ABCDEF01-2345-6789-ABCD-EF0123456789");
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(FormatUuid(*bytes), "abcdef01-2345-6789-abcd-ef0123456789");
}

TEST(UuidTest, FormatRoundTripsEveryByteValue) {
  std::string bytes(16, '\0');
  for (int start = 0; start < 256; start += 16) {
    for (int i = 0; i < 16; ++i) bytes[i] = static_cast<char>(start + i);
    std::optional<std::string> parsed = ParseUuid(FormatUuid(bytes));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, bytes);
  }
}

TEST(UuidTest, ParseRejectsBadForms) {
  const std::vector<std::string> bad = {
      "",
      "0190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6",    // short
      "0190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d0",  // long
      "0190a3c45e6f7a8b9c0d1e2f3a4b5c6d",       // no dashes
      "0190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6g",   // non-hex
      "0190a3c4-5e6f-7a8b-9c0d 1e2f3a4b5c6d",   // space for dash
      "0190a3c45-e6f-7a8b-9c0d-1e2f3a4b5c6d",   // dash moved
      "{190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6}",   // braces
      "0190a3c4_5e6f_7a8b_9c0d_1e2f3a4b5c6d",   // underscores
      "0190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c-d",   // extra dash
      "+190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d",   // sign
  };
  for (const std::string& text : bad) {
    EXPECT_FALSE(ParseUuid(text).has_value()) << text;
  }
}

TEST(UuidTest, NewUuidV7HasVersionAndVariant) {
  for (int i = 0; i < 100; ++i) {
    std::string id = NewUuidV7(absl::Now());
    ASSERT_EQ(id.size(), 16u);
    EXPECT_EQ(Version(id), 7);
    EXPECT_EQ(VariantBits(id), 0b10);
    EXPECT_EQ(FormatUuid(id)[14], '7');
  }
}

TEST(UuidTest, NewUuidV7EmbedsTheMillisecondTime) {
  absl::Time now = absl::FromUnixMicros(1'712'345'678'901'234);
  std::string id = NewUuidV7(now);
  EXPECT_EQ(EmbeddedMillis(id), 1'712'345'678'901u);
  EXPECT_EQ(EmbeddedMillis(NewUuidV7(absl::UnixEpoch())), 0u);
  // The 48-bit maximum (year 10889) survives intact.
  absl::Time max = absl::FromUnixMillis((int64_t{1} << 48) - 1);
  EXPECT_EQ(EmbeddedMillis(NewUuidV7(max)), (uint64_t{1} << 48) - 1);
}

TEST(UuidTest, NewUuidV7CallsDiffer) {
  absl::Time now = absl::FromUnixMillis(1'700'000'000'000);
  std::string a = NewUuidV7(now);
  std::string b = NewUuidV7(now);
  EXPECT_NE(a, b);
  // Same millisecond: the timestamp part agrees, the random part differs.
  EXPECT_EQ(a.substr(0, 6), b.substr(0, 6));
  EXPECT_NE(a.substr(6), b.substr(6));
}

}  // namespace
}  // namespace evrouter
