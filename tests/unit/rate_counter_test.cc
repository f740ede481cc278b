#include "server/core/rate_counter.h"

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "server/core/clock.h"

namespace evrouter::core {
namespace {

// A clock that only moves when told; starts on a whole second.
class FakeClock : public Clock {
 public:
  absl::Time Now() override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }

 private:
  absl::Mutex mu_;
  absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
};

// Adds `n` events every `step` for `duration`, starting now; the clock ends
// `duration` later.
void AddSteadily(RateCounter& counter, FakeClock& clock, uint64_t n,
                 absl::Duration step, absl::Duration duration) {
  for (absl::Duration t = absl::ZeroDuration(); t < duration; t += step) {
    counter.Add(n);
    clock.Advance(step);
  }
}

TEST(RateCounterTest, ZeroAtStart) {
  FakeClock clock;
  RateCounter counter(&clock);
  RateCounter::Rates rates = counter.Get();
  EXPECT_EQ(rates.per_sec_10s, 0);
  EXPECT_EQ(rates.per_sec_1m, 0);
  clock.Advance(absl::Seconds(30));
  rates = counter.Get();
  EXPECT_EQ(rates.per_sec_10s, 0);
  EXPECT_EQ(rates.per_sec_1m, 0);
}

TEST(RateCounterTest, TotalCountsEverythingSinceCreation) {
  FakeClock clock;
  RateCounter counter(&clock);
  EXPECT_EQ(counter.Get().total, 0u);
  // Far more than the 60 one-second buckets hold.
  AddSteadily(counter, clock, 7, absl::Seconds(1), absl::Seconds(200));
  EXPECT_EQ(counter.Get().total, 7u * 200);
  clock.Advance(absl::Minutes(10));
  RateCounter::Rates rates = counter.Get();
  EXPECT_EQ(rates.per_sec_1m, 0);
  EXPECT_EQ(rates.total, 7u * 200);
}

TEST(RateCounterTest, SteadyRateOnWholeSeconds) {
  FakeClock clock;
  RateCounter counter(&clock);
  AddSteadily(counter, clock, 100, absl::Seconds(1), absl::Seconds(120));
  RateCounter::Rates rates = counter.Get();
  EXPECT_DOUBLE_EQ(rates.per_sec_10s, 100);
  EXPECT_DOUBLE_EQ(rates.per_sec_1m, 100);
}

TEST(RateCounterTest, SteadyRateCountsThePartialCurrentSecond) {
  FakeClock clock;
  RateCounter counter(&clock);
  // 10 events every 100 ms, 120.5 s long: 100 per second.
  AddSteadily(counter, clock, 10, absl::Milliseconds(100),
              absl::Milliseconds(120'500));
  RateCounter::Rates rates = counter.Get();
  EXPECT_NEAR(rates.per_sec_10s, 100, 1e-9);
  EXPECT_NEAR(rates.per_sec_1m, 100, 1e-9);
}

TEST(RateCounterTest, BurstLeavesTheTenSecondWindowBeforeTheMinute) {
  FakeClock clock;
  RateCounter counter(&clock);
  clock.Advance(absl::Minutes(5));  // an old counter: its age does not matter
  counter.Add(900);

  // Windows at whole seconds span 9 s and 59 s (see rate_counter.h).
  clock.Advance(absl::Seconds(5));
  RateCounter::Rates rates = counter.Get();
  EXPECT_DOUBLE_EQ(rates.per_sec_10s, 900.0 / 9);
  EXPECT_DOUBLE_EQ(rates.per_sec_1m, 900.0 / 59);

  clock.Advance(absl::Seconds(4) + absl::Milliseconds(500));  // 9.5 s later
  rates = counter.Get();
  EXPECT_DOUBLE_EQ(rates.per_sec_10s, 900.0 / 9.5);
  EXPECT_DOUBLE_EQ(rates.per_sec_1m, 900.0 / 59.5);

  clock.Advance(absl::Milliseconds(500));  // 10 s later: out of the 10 s
  rates = counter.Get();
  EXPECT_EQ(rates.per_sec_10s, 0);
  EXPECT_DOUBLE_EQ(rates.per_sec_1m, 900.0 / 59);

  clock.Advance(absl::Seconds(49) + absl::Milliseconds(999));  // 59.999 s
  rates = counter.Get();
  EXPECT_EQ(rates.per_sec_10s, 0);
  EXPECT_DOUBLE_EQ(rates.per_sec_1m, 900.0 / 59.999);

  clock.Advance(absl::Milliseconds(1));  // 60 s later: out of the minute
  rates = counter.Get();
  EXPECT_EQ(rates.per_sec_10s, 0);
  EXPECT_EQ(rates.per_sec_1m, 0);
}

TEST(RateCounterTest, GapLongerThanAMinuteResets) {
  FakeClock clock;
  RateCounter counter(&clock);
  clock.Advance(absl::Minutes(5));
  counter.Add(1000);
  clock.Advance(absl::Seconds(61));
  RateCounter::Rates rates = counter.Get();
  EXPECT_EQ(rates.per_sec_10s, 0);
  EXPECT_EQ(rates.per_sec_1m, 0);

  // Exactly 60 s after an add the same bucket comes round again; it must
  // start from zero, not from the stale count.
  clock.Advance(absl::Seconds(10));
  counter.Add(1000);
  clock.Advance(absl::Seconds(60));
  counter.Add(59);
  rates = counter.Get();
  EXPECT_DOUBLE_EQ(rates.per_sec_10s, 59.0 / 9);
  EXPECT_DOUBLE_EQ(rates.per_sec_1m, 1.0);
}

TEST(RateCounterTest, YoungCounterIsNotUnderestimated) {
  FakeClock clock;
  RateCounter counter(&clock);

  // Younger than one second: divided by one second.
  counter.Add(50);
  clock.Advance(absl::Milliseconds(500));
  RateCounter::Rates rates = counter.Get();
  EXPECT_DOUBLE_EQ(rates.per_sec_10s, 50);
  EXPECT_DOUBLE_EQ(rates.per_sec_1m, 50);

  // 5 s old at 100 per second: divided by the age, not by the window.
  counter.Add(50);
  clock.Advance(absl::Milliseconds(500));
  AddSteadily(counter, clock, 100, absl::Seconds(1), absl::Seconds(4));
  rates = counter.Get();
  EXPECT_DOUBLE_EQ(rates.per_sec_10s, 100);
  EXPECT_DOUBLE_EQ(rates.per_sec_1m, 100);

  // 30 s old: the 10 s window is full, the minute is not.
  AddSteadily(counter, clock, 100, absl::Seconds(1), absl::Seconds(25));
  rates = counter.Get();
  EXPECT_DOUBLE_EQ(rates.per_sec_10s, 100);
  EXPECT_DOUBLE_EQ(rates.per_sec_1m, 100);
}

TEST(RateCounterTest, ConcurrentAddsSumCorrectly) {
  FakeClock clock;
  RateCounter counter(&clock);
  constexpr int kThreads = 8;
  constexpr int kAddsPerThread = 20'000;
  std::atomic<bool> adding{true};
  std::thread reader([&] {
    while (adding.load()) {
      RateCounter::Rates rates = counter.Get();
      EXPECT_GE(rates.per_sec_10s, 0);
    }
  });
  std::vector<std::thread> writers;
  for (int i = 0; i < kThreads; ++i) {
    writers.emplace_back([&] {
      for (int k = 0; k < kAddsPerThread; ++k) counter.Add(1);
    });
  }
  for (std::thread& writer : writers) writer.join();
  adding.store(false);
  reader.join();

  // All within the counter's first second: divided by one second.
  RateCounter::Rates rates = counter.Get();
  EXPECT_DOUBLE_EQ(rates.per_sec_10s, kThreads * kAddsPerThread);
  EXPECT_DOUBLE_EQ(rates.per_sec_1m, kThreads * kAddsPerThread);
}

}  // namespace
}  // namespace evrouter::core
