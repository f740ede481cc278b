#ifndef EVROUTER_CLIENT_CLI_INTERRUPT_WATCHER_H_
#define EVROUTER_CLIENT_CLI_INTERRUPT_WATCHER_H_

#include <signal.h>

#include <functional>
#include <thread>

namespace evrouter::cli {

// While it lives, SIGINT and SIGTERM no longer end the process: each one
// calls `on_signal` on a watcher thread (not in signal context, so it may
// lock and call gRPC). A signal the process ignores (e.g. SIGINT of a
// background job started by a script) stays ignored. The previous handlers
// come back on destruction, which waits for a running `on_signal`. At most
// one instance per process at a time.
class InterruptWatcher {
 public:
  explicit InterruptWatcher(std::function<void()> on_signal);
  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;
  ~InterruptWatcher();

 private:
  void Watch();

  std::function<void()> on_signal_;
  int pipe_[2] = {-1, -1};  // the handler writes, the thread reads
  static constexpr int kSignals[] = {SIGINT, SIGTERM};
  bool installed_[2] = {false, false};  // per kSignals entry
  struct sigaction old_[2] = {};
  std::thread thread_;
};

}  // namespace evrouter::cli

#endif  // EVROUTER_CLIENT_CLI_INTERRUPT_WATCHER_H_
