#include "server/core/executor.h"

#include <atomic>
#include <set>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace evrouter::core {
namespace {

TEST(ThreadPoolExecutorTest, RunsAllPostedTasks) {
  ThreadPoolExecutor executor(4);
  absl::Mutex mu;
  int done = 0;
  std::set<int> seen;
  constexpr int kTasks = 1000;
  for (int i = 0; i < kTasks; ++i) {
    executor.Post([&, i] {
      absl::MutexLock lock(&mu);
      seen.insert(i);
      ++done;
    });
  }
  absl::MutexLock lock(&mu);
  ASSERT_TRUE(
      mu.AwaitWithTimeout(absl::Condition(
                              +[](int* n) { return *n == kTasks; }, &done),
                          absl::Seconds(30)));
  EXPECT_EQ(seen.size(), static_cast<size_t>(kTasks));
}

TEST(ThreadPoolExecutorTest, RunsTasksOnSeveralThreads) {
  // Two tasks that each wait for the other can only both see the other start
  // when they run on two threads at once.
  absl::Notification a_started, b_started;
  std::atomic<int> met{0};
  {
    ThreadPoolExecutor executor(2);
    executor.Post([&] {
      a_started.Notify();
      if (b_started.WaitForNotificationWithTimeout(absl::Seconds(30))) ++met;
    });
    executor.Post([&] {
      b_started.Notify();
      if (a_started.WaitForNotificationWithTimeout(absl::Seconds(30))) ++met;
    });
  }
  EXPECT_EQ(met.load(), 2);
}

TEST(ThreadPoolExecutorTest, DestructorDrainsTasksPostedBeforeIt) {
  std::atomic<int> ran{0};
  absl::Notification release;
  constexpr int kTasks = 200;
  {
    ThreadPoolExecutor executor(2);
    // Hold both threads so that every task below is still queued when the
    // destructor starts.
    for (int i = 0; i < 2; ++i) {
      executor.Post([&] {
        release.WaitForNotification();
        ++ran;
      });
    }
    for (int i = 0; i < kTasks; ++i) executor.Post([&] { ++ran; });
    release.Notify();
  }
  EXPECT_EQ(ran.load(), kTasks + 2);
}

TEST(ThreadPoolExecutorTest, TasksMayPostMoreTasksWhileDraining) {
  std::atomic<int> ran{0};
  {
    ThreadPoolExecutor executor(1);
    executor.Post([&] {
      ++ran;
      executor.Post([&] { ++ran; });
    });
  }
  EXPECT_EQ(ran.load(), 2);
}

}  // namespace
}  // namespace evrouter::core
