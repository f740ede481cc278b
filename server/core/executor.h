#ifndef EVROUTER_SERVER_CORE_EXECUTOR_H_
#define EVROUTER_SERVER_CORE_EXECUTOR_H_

#include <deque>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"

namespace evrouter::core {

// Runs tasks on threads of its own: the storage threads. Blocking database
// work goes here so gRPC reactor threads never wait. Thread-safe.
class Executor {
 public:
  virtual ~Executor() = default;
  // Queues `task` to run on some executor thread.
  virtual void Post(absl::AnyInvocable<void() &&> task) = 0;
};

// A fixed pool of threads draining one FIFO queue. The destructor runs every
// task already posted, then joins the threads. With `nice` > 0 its threads
// run that much lower in CPU priority than the thread that created them
// (Linux nice, per thread): for background work that should yield the CPU
// to latency-sensitive threads.
class ThreadPoolExecutor : public Executor {
 public:
  explicit ThreadPoolExecutor(int threads, int nice = 0);
  ~ThreadPoolExecutor() override;

  void Post(absl::AnyInvocable<void() &&> task) override;

 private:
  void Work(int nice);

  absl::Mutex mu_;
  std::deque<absl::AnyInvocable<void() &&>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace evrouter::core

#endif  // EVROUTER_SERVER_CORE_EXECUTOR_H_
