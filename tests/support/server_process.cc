#include "tests/support/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace evrouter::testing {
namespace {

std::string TempLogPath() {
  char path[] = "/tmp/evrouterd-test-XXXXXX";
  int fd = mkstemp(path);
  if (fd >= 0) close(fd);
  return path;
}

// `environ` with EVROUTER_ADMIN_TOKEN set to `admin_token` (removed when
// empty).
std::vector<std::string> ServerEnvironment(const std::string& admin_token) {
  std::vector<std::string> env;
  for (char** var = environ; *var != nullptr; ++var) {
    if (std::string_view(*var).rfind("EVROUTER_ADMIN_TOKEN=", 0) == 0) continue;
    env.emplace_back(*var);
  }
  if (!admin_token.empty()) {
    env.push_back(absl::StrCat("EVROUTER_ADMIN_TOKEN=", admin_token));
  }
  return env;
}

pid_t Spawn(const std::vector<std::string>& args,
            const std::vector<std::string>& env, const std::string& log_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  // The child must not inherit a blocked SIGTERM/SIGINT from test threads.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> argv;
  for (const std::string& arg : args)
    argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& var : env)
    envp.push_back(const_cast<char*>(var.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), envp.data()) !=
      0)
    pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  return pid;
}

// Waits up to `within` for `pid`; returns its exit code or -1 on timeout.
int WaitFor(pid_t pid, absl::Duration within) {
  absl::Time deadline = absl::Now() + within;
  while (true) {
    int status = 0;
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    if (absl::Now() > deadline) return -1;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

}  // namespace

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

ServerProcess::ServerProcess(std::string dsn,
                             std::vector<std::string> extra_args)
    : dsn_(std::move(dsn)),
      extra_args_(std::move(extra_args)),
      log_path_(TempLogPath()) {}

ServerProcess::~ServerProcess() {
  if (running()) Stop(SIGTERM);
  if (std::string report = SanitizerReport(); !report.empty())
    ADD_FAILURE() << "evrouterd reported a sanitizer error:\n" << report;
  unlink(log_path_.c_str());
}

namespace {

// HOST:PORT from the line "http listening on HOST:PORT (...)" in `log`, or
// empty when the HTTP listener is off.
std::string HttpAddressIn(const std::string& log) {
  static const std::string kHttp = "http listening on ";
  size_t at = log.find(kHttp);
  if (at == std::string::npos) return "";
  at += kHttp.size();
  return log.substr(at, log.find(' ', at) - at);
}

}  // namespace

absl::Status ServerProcess::Start(absl::Duration within) {
  const bool first_start = address_.empty();
  // The HTTP listener on a free port (extra args may say otherwise).
  std::vector<std::string> args = {
      EVROUTERD_PATH, "--listen", first_start ? "127.0.0.1:0" : address_,
      "--pg-dsn",     dsn_,       "--http-listen",
      "127.0.0.1:0"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  const size_t log_start = Log().size();  // earlier runs' lines come first
  // A fresh channel: the old one would wait out its reconnect backoff.
  client_.reset();
  pid_ = Spawn(args, ServerEnvironment(admin_token_), log_path_);
  if (pid_ <= 0) return absl::InternalError("cannot spawn " EVROUTERD_PATH);
  absl::Time deadline = absl::Now() + within;
  while (absl::Now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::InternalError(
          absl::StrCat("evrouterd exited during start:\n", Log()));
    }
    if (client_ == nullptr) {
      // "serving on 127.0.0.1:PORT, ..." names the port it bound.
      static const std::string kServing = "serving on 127.0.0.1:";
      std::string log = Log().substr(log_start);
      size_t at = log.find(kServing);
      int port = 0;
      if (at == std::string::npos ||
          !absl::SimpleAtoi(absl::string_view(log).substr(
                                at + kServing.size(),
                                log.find(',', at) - at - kServing.size()),
                            &port)) {
        absl::SleepFor(absl::Milliseconds(20));
        continue;
      }
      address_ = absl::StrCat("127.0.0.1:", port);
      http_address_ = HttpAddressIn(log);
      client::ClientOptions options;
      options.server = address_;
      options.token = admin_token_;
      options.tls = client_tls_;
      client_ = std::make_unique<client::Client>(options);
    }
    absl::StatusOr<grpc::health::v1::HealthCheckResponse::ServingStatus>
        health = client_->Health();
    if (health.ok() &&
        *health == grpc::health::v1::HealthCheckResponse::SERVING) {
      return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("evrouterd not serving:\n", Log()));
}

absl::Status ServerProcess::Launch() {
  std::vector<std::string> args = {
      EVROUTERD_PATH, "--listen", address_.empty() ? "127.0.0.1:0" : address_,
      "--pg-dsn",     dsn_,       "--http-listen",
      "127.0.0.1:0"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  pid_ = Spawn(args, ServerEnvironment(admin_token_), log_path_);
  if (pid_ <= 0) return absl::InternalError("cannot spawn " EVROUTERD_PATH);
  return absl::OkStatus();
}

bool ServerProcess::WaitForLog(const std::string& text, absl::Duration within) {
  absl::Time deadline = absl::Now() + within;
  while (Log().find(text) == std::string::npos) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return true;
}

int ServerProcess::Stop(int signal, absl::Duration within) {
  if (!running()) return -1;
  kill(pid_, signal);
  int code = WaitFor(pid_, within);
  if (code == -1) {
    kill(pid_, SIGKILL);
    WaitFor(pid_, absl::Seconds(10));
  }
  pid_ = -1;
  return code;
}

std::string ServerProcess::Log() const {
  std::ifstream in(log_path_);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string ServerProcess::SanitizerReport() const {
  return FindSanitizerReport(Log());
}

std::string FindSanitizerReport(const std::string& output) {
  // What the runtimes print first (LSan and ASan) or on every finding (UBSan).
  static constexpr const char* kMarkers[] = {
      "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
      "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer"};
  size_t first = std::string::npos;
  for (const char* marker : kMarkers)
    first = std::min(first, output.find(marker));
  if (first == std::string::npos) return "";
  size_t line = output.rfind('\n', first);
  line = line == std::string::npos ? 0 : line + 1;
  return output.substr(line, 8192);
}

int RunCommand(const std::vector<std::string>& args, std::string* output,
               absl::Duration within) {
  std::string log_path = TempLogPath();
  std::vector<std::string> env;
  for (char** var = environ; *var != nullptr; ++var) env.emplace_back(*var);
  pid_t pid = Spawn(args, env, log_path);
  int code = pid > 0 ? WaitFor(pid, within) : -1;
  if (code == -1 && pid > 0) {
    kill(pid, SIGKILL);
    WaitFor(pid, absl::Seconds(10));
  }
  std::ifstream in(log_path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  *output = buffer.str();
  unlink(log_path.c_str());
  return code;
}

int64_t RssKib(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) != 0) continue;
    std::string digits;
    for (char c : line) {
      if (c >= '0' && c <= '9') digits += c;
    }
    int64_t kib;
    if (absl::SimpleAtoi(digits, &kib)) return kib;
  }
  return -1;
}

}  // namespace evrouter::testing
