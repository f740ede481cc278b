#include "client/cli/interrupt_watcher.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <utility>

namespace evrouter::cli {
namespace {

constexpr char kSignalled = 1;
constexpr char kQuit = 0;

// The write end of the live watcher's pipe. A signal handler has no other
// way to find it.
std::atomic<int> signal_pipe_fd{-1};

extern "C" void WriteSignalByte(int) {
  const int saved_errno = errno;
  const int fd = signal_pipe_fd.load();
  if (fd >= 0) {
    // Non-blocking: with the pipe full, a wake-up is pending anyway.
    [[maybe_unused]] ssize_t ignored = write(fd, &kSignalled, 1);
  }
  errno = saved_errno;
}

}  // namespace

InterruptWatcher::InterruptWatcher(std::function<void()> on_signal)
    : on_signal_(std::move(on_signal)) {
  if (pipe2(pipe_, O_CLOEXEC) != 0) {
    pipe_[0] = pipe_[1] = -1;
    return;  // signals keep their previous behaviour
  }
  fcntl(pipe_[1], F_SETFL, fcntl(pipe_[1], F_GETFL) | O_NONBLOCK);
  signal_pipe_fd.store(pipe_[1]);
  thread_ = std::thread([this] { Watch(); });
  struct sigaction action {};
  action.sa_handler = WriteSignalByte;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int i = 0; i < 2; ++i) {
    struct sigaction current {};
    if (sigaction(kSignals[i], nullptr, &current) != 0 ||
        current.sa_handler == SIG_IGN) {
      continue;
    }
    installed_[i] = sigaction(kSignals[i], &action, &old_[i]) == 0;
  }
}

InterruptWatcher::~InterruptWatcher() {
  if (pipe_[1] < 0) return;
  for (int i = 0; i < 2; ++i) {
    if (installed_[i]) sigaction(kSignals[i], &old_[i], nullptr);
  }
  signal_pipe_fd.store(-1);
  // The thread reads until kQuit, so a full pipe drains.
  while (write(pipe_[1], &kQuit, 1) < 0 &&
         (errno == EINTR || errno == EAGAIN)) {
  }
  thread_.join();
  close(pipe_[0]);
  close(pipe_[1]);
}

void InterruptWatcher::Watch() {
  for (;;) {
    char byte = kQuit;
    const ssize_t n = read(pipe_[0], &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || byte == kQuit) return;
    on_signal_();
  }
}

}  // namespace evrouter::cli
