#include "bench/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

extern char** environ;

namespace evrouter::bench {
namespace {

std::string ReadFrom(const std::string& path, size_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(static_cast<std::streamoff>(offset));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Spawn(
    const std::string& path, const std::vector<std::string>& args,
    const std::string& log_path) {
  struct stat log_stat;
  const size_t log_offset =
      stat(log_path.c_str(), &log_stat) == 0 ? log_stat.st_size : 0;
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(path.c_str()));
  for (const std::string& arg : args) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  pid_t pid;
  int error =
      posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) {
    return absl::InternalError(
        absl::StrCat("cannot start ", path, ": ", std::strerror(error)));
  }
  return std::unique_ptr<ServerProcess>(
      new ServerProcess(pid, log_path, log_offset));
}

ServerProcess::~ServerProcess() {
  if (Running()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool ServerProcess::Running() {
  if (reaped_) return false;
  int status;
  pid_t done = waitpid(pid_, &status, WNOHANG);
  if (done == pid_ || (done < 0 && errno == ECHILD)) {
    reaped_ = true;
    exit_status_ = status;
    return false;
  }
  return true;
}

std::string ServerProcess::LogTail() const {
  std::string log = ReadFrom(log_path_, log_offset_);
  std::vector<absl::string_view> lines =
      absl::StrSplit(log, '\n', absl::SkipEmpty());
  const size_t first = lines.size() > 15 ? lines.size() - 15 : 0;
  std::string tail;
  for (size_t i = first; i < lines.size(); ++i) {
    absl::StrAppend(&tail, "\n  ", lines[i]);
  }
  return tail;
}

absl::StatusOr<std::string> ServerProcess::WaitForServingAddress(
    absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  constexpr char kMarker[] = "serving on ";
  while (true) {
    std::string log = ReadFrom(log_path_, log_offset_);
    if (size_t at = log.find(kMarker); at != std::string::npos) {
      size_t begin = at + sizeof(kMarker) - 1;
      size_t end = log.find_first_of(", \n", begin);
      if (end != std::string::npos) return log.substr(begin, end - begin);
    }
    if (!Running()) {
      return absl::InternalError(absl::StrCat(
          "evrouterd (pid ", pid_, ") exited before serving:", LogTail()));
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("evrouterd (pid ", pid_, ") not serving within ",
                       absl::FormatDuration(timeout), ":", LogTail()));
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
}

absl::Status ServerProcess::Stop(absl::Duration timeout) {
  if (!Running()) {
    return absl::InternalError(
        absl::StrCat("evrouterd (pid ", pid_, ") already exited:", LogTail()));
  }
  kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + timeout;
  while (Running()) {
    if (absl::Now() >= deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      reaped_ = true;
      return absl::DeadlineExceededError(
          absl::StrCat("evrouterd (pid ", pid_, ") did not exit within ",
                       absl::FormatDuration(timeout), " of SIGTERM"));
    }
    absl::SleepFor(absl::Milliseconds(5));
  }
  if (!WIFEXITED(exit_status_) || WEXITSTATUS(exit_status_) != 0) {
    return absl::InternalError(absl::StrCat("evrouterd (pid ", pid_,
                                            ") exited abnormally (status ",
                                            exit_status_, "):", LogTail()));
  }
  return absl::OkStatus();
}

}  // namespace evrouter::bench
