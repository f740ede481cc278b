#ifndef EVROUTER_BENCH_SERVER_PROCESS_H_
#define EVROUTER_BENCH_SERVER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace evrouter::bench {

// An evrouterd the bench started itself (posix_spawn), its stdout and stderr
// appended to a log file. Only this process is ever signalled; the
// destructor kills it (SIGKILL) if it still runs. Not thread-safe.
class ServerProcess {
 public:
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Spawn(
      const std::string& path, const std::vector<std::string>& args,
      const std::string& log_path);
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess();

  pid_t pid() const { return pid_; }
  // True while the process has not exited (reaps it when it has).
  bool Running();
  // Waits for the "serving on HOST:PORT" log line this process wrote and
  // returns HOST:PORT; an error with the log's tail when it exits first.
  absl::StatusOr<std::string> WaitForServingAddress(absl::Duration timeout);
  // SIGTERM, then waits up to `timeout` for the exit (SIGKILL after that).
  // An error when it had to be killed or did not exit with code 0.
  absl::Status Stop(absl::Duration timeout);
  // The last lines of the log written by this process.
  std::string LogTail() const;

 private:
  ServerProcess(pid_t pid, std::string log_path, size_t log_offset)
      : pid_(pid), log_path_(std::move(log_path)), log_offset_(log_offset) {}

  pid_t pid_;
  bool reaped_ = false;
  int exit_status_ = 0;
  std::string log_path_;
  size_t log_offset_;  // where this process's output starts in the log
};

}  // namespace evrouter::bench

#endif  // EVROUTER_BENCH_SERVER_PROCESS_H_
