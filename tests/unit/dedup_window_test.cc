#include "server/core/dedup_window.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace evrouter::core {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

TEST(DedupWindowTest, FindsAnAddedId) {
  DedupWindow window(absl::Minutes(2), 1000);
  EXPECT_TRUE(window.enabled());
  EXPECT_FALSE(window.Find("a").has_value());
  window.Add("a", 1, kT0);
  window.Add("b", 2, kT0);
  ASSERT_TRUE(window.Find("a").has_value());
  EXPECT_EQ(*window.Find("a"), 1u);
  EXPECT_EQ(*window.Find("b"), 2u);
  EXPECT_FALSE(window.Find("c").has_value());
  EXPECT_EQ(window.size(), 2u);
}

TEST(DedupWindowTest, ExpiresIdsOlderThanTheWindow) {
  DedupWindow window(absl::Minutes(2), 1000);
  window.Add("old", 1, kT0);
  window.Add("new", 2, kT0 + absl::Minutes(1));
  window.Expire(kT0 + absl::Minutes(2));  // cutoff == kT0: kept
  EXPECT_TRUE(window.Find("old").has_value());
  window.Expire(kT0 + absl::Minutes(2) + absl::Microseconds(1));
  EXPECT_FALSE(window.Find("old").has_value());
  EXPECT_TRUE(window.Find("new").has_value());
  EXPECT_EQ(window.size(), 1u);
  window.Expire(kT0 + absl::Minutes(10));
  EXPECT_FALSE(window.Find("new").has_value());
  EXPECT_EQ(window.size(), 0u);
}

TEST(DedupWindowTest, ReAddedIdSurvivesExpiryOfItsOlderEntry) {
  DedupWindow window(absl::Minutes(2), 1000);
  window.Add("a", 1, kT0);
  // Stored again after its first window passed, at a new offset.
  window.Add("a", 5, kT0 + absl::Minutes(3));
  EXPECT_EQ(*window.Find("a"), 5u);
  window.Expire(kT0 + absl::Minutes(4));  // drops only the first entry
  ASSERT_TRUE(window.Find("a").has_value());
  EXPECT_EQ(*window.Find("a"), 5u);
  window.Expire(kT0 + absl::Minutes(6));
  EXPECT_FALSE(window.Find("a").has_value());
}

TEST(DedupWindowTest, ZeroWindowStoresNothing) {
  DedupWindow window(absl::ZeroDuration(), 1000);
  EXPECT_FALSE(window.enabled());
  window.Add("a", 1, kT0);
  EXPECT_FALSE(window.Find("a").has_value());
  EXPECT_EQ(window.size(), 0u);
  window.Expire(kT0);
  EXPECT_EQ(window.size(), 0u);
}

TEST(DedupWindowTest, KeepsAtMostMaxIdsForgettingTheOldest) {
  DedupWindow window(absl::Minutes(2), 3);
  for (int i = 1; i <= 5; ++i) {
    window.Add(std::string(1, static_cast<char>('a' + i - 1)), i,
               kT0 + absl::Seconds(i));
  }
  EXPECT_EQ(window.size(), 3u);
  EXPECT_FALSE(window.Find("a").has_value());
  EXPECT_FALSE(window.Find("b").has_value());
  EXPECT_EQ(window.Find("c"), 3u);
  EXPECT_EQ(window.Find("e"), 5u);
}

TEST(DedupWindowTest, ZeroMaxIdsDisables) {
  DedupWindow window(absl::Minutes(2), 0);
  EXPECT_FALSE(window.enabled());
}

}  // namespace
}  // namespace evrouter::core
