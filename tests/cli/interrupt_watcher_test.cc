#include "client/cli/interrupt_watcher.h"

#include <gtest/gtest.h>
#include <signal.h>

#include "absl/synchronization/mutex.h"

namespace evrouter::cli {
namespace {

// Counts callbacks; Await waits (up to 10 s) for a count.
class Counter {
 public:
  void Increment() {
    absl::MutexLock lock(&mu_);
    ++count_;
  }
  int count() {
    absl::MutexLock lock(&mu_);
    return count_;
  }
  bool Await(int want) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, want]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return count_ >= want;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(10));
  }

 private:
  absl::Mutex mu_;
  int count_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST(InterruptWatcherTest, SignalsCallTheCallbackInsteadOfEndingTheProcess) {
  Counter calls;
  InterruptWatcher watcher([&calls] { calls.Increment(); });
  ASSERT_EQ(raise(SIGINT), 0);
  EXPECT_TRUE(calls.Await(1));
  ASSERT_EQ(raise(SIGTERM), 0);
  EXPECT_TRUE(calls.Await(2));
}

volatile sig_atomic_t previous_handler_ran = 0;
extern "C" void PreviousHandler(int) { previous_handler_ran = 1; }

TEST(InterruptWatcherTest, RestoresThePreviousHandler) {
  previous_handler_ran = 0;
  struct sigaction action {
  }, old{};
  action.sa_handler = PreviousHandler;
  sigemptyset(&action.sa_mask);
  ASSERT_EQ(sigaction(SIGINT, &action, &old), 0);
  {
    Counter calls;
    InterruptWatcher watcher([&calls] { calls.Increment(); });
    ASSERT_EQ(raise(SIGINT), 0);
    EXPECT_TRUE(calls.Await(1));
    EXPECT_EQ(previous_handler_ran, 0);
  }
  ASSERT_EQ(raise(SIGINT), 0);  // handled synchronously by this thread
  EXPECT_EQ(previous_handler_ran, 1);
  sigaction(SIGINT, &old, nullptr);
}

TEST(InterruptWatcherTest, AnIgnoredSignalStaysIgnored) {
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ASSERT_EQ(sigaction(SIGINT, &ignore, &old), 0);
  Counter calls;
  {
    InterruptWatcher watcher([&calls] { calls.Increment(); });
    ASSERT_EQ(raise(SIGINT), 0);  // ignored: the process lives on
    ASSERT_EQ(raise(SIGTERM), 0);
    EXPECT_TRUE(calls.Await(1));
  }
  // The watcher handled every byte before it quit: SIGTERM's, not SIGINT's.
  EXPECT_EQ(calls.count(), 1);
  struct sigaction now {};
  ASSERT_EQ(sigaction(SIGINT, nullptr, &now), 0);
  EXPECT_EQ(now.sa_handler, SIG_IGN);
  sigaction(SIGINT, &old, nullptr);
}

}  // namespace
}  // namespace evrouter::cli
