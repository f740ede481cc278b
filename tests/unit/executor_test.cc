#include "server/core/executor.h"

#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <set>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace evrouter::core {
namespace {

int ThreadNice() {
  errno = 0;
  const int nice =
      getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
  return errno == 0 ? nice : -100;
}

TEST(ThreadPoolExecutorTest, NiceThreadsRunAtALowerPriority) {
  const int ours = ThreadNice();
  ASSERT_NE(ours, -100);
  if (ours > 19 - 5) GTEST_FAIL() << "the test runs at nice " << ours;
  int seen = -100;
  absl::Notification done;
  {
    ThreadPoolExecutor executor(1, /*nice=*/5);
    executor.Post([&] {
      seen = ThreadNice();
      done.Notify();
    });
    done.WaitForNotification();
  }
  EXPECT_EQ(seen, ours + 5);
  EXPECT_EQ(ThreadNice(), ours);  // the creating thread is unchanged
}

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

// Notifies `destroying` as its destruction starts; ~ThreadPoolExecutor then
// runs on the same thread without returning to the caller.
class ObservedExecutor : public ThreadPoolExecutor {
 public:
  ObservedExecutor(int threads, absl::Notification* destroying)
      : ThreadPoolExecutor(threads), destroying_(destroying) {}
  ~ObservedExecutor() override { destroying_->Notify(); }

 private:
  absl::Notification* destroying_;
};

TEST(ThreadPoolExecutorTest, DestructorRunsTasksStillQueuedWhenItStarts) {
  constexpr int kThreads = 2;
  constexpr int kTasks = 200;
  absl::Mutex mu;
  int blocked = 0;  // workers parked on `release`
  absl::Notification release, destroying, destroyed;
  std::atomic<int> ran{0};

  auto executor = std::make_unique<ObservedExecutor>(kThreads, &destroying);
  // Park every worker on `release`; while they are parked nothing else posted
  // to the executor can run, so the tasks below stay queued.
  for (int i = 0; i < kThreads; ++i) {
    executor->Post([&] {
      {
        absl::MutexLock lock(&mu);
        ++blocked;
      }
      release.WaitForNotification();
    });
  }
  for (int i = 0; i < kTasks; ++i) executor->Post([&] { ++ran; });
  bool all_parked;
  {
    absl::MutexLock lock(&mu);
    all_parked = mu.AwaitWithTimeout(
        absl::Condition(
            +[](int* n) { return *n == kThreads; }, &blocked),
        absl::Seconds(30));
  }

  // Destroy on another thread: its destructor cannot finish until the workers
  // are released, which only happens once destruction has started.
  std::thread destroyer([&] {
    executor.reset();
    destroyed.Notify();
  });
  const bool started =
      destroying.WaitForNotificationWithTimeout(absl::Seconds(30));
  const int ran_before_release = ran.load();
  const bool finished_before_release = destroyed.HasBeenNotified();
  release.Notify();
  destroyer.join();

  EXPECT_TRUE(all_parked) << "workers never picked up the blocking tasks";
  ASSERT_TRUE(started) << "destructor never started";
  EXPECT_EQ(ran_before_release, 0)
      << "queued tasks ran before the destructor started";
  EXPECT_FALSE(finished_before_release)
      << "destructor returned while its workers were still blocked";
  EXPECT_EQ(ran.load(), kTasks);
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
