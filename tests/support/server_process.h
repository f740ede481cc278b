#ifndef EVROUTER_TESTS_SUPPORT_SERVER_PROCESS_H_
#define EVROUTER_TESTS_SUPPORT_SERVER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/evrouter_client.h"

namespace evrouter::testing {

// The admin token ServerProcess gives evrouterd (EVROUTER_ADMIN_TOKEN) and
// its client(), unless set_admin_token() changes it.
inline constexpr char kTestAdminToken[] =
    "evr-test-admin-token-0123456789abcdef";

// A free TCP port on 127.0.0.1 (bound, then released).
int FreePort();

// The real evrouterd binary (path compiled in as EVROUTERD_PATH) running on
// 127.0.0.1 against `dsn`, with its log captured to a temp file. The first
// start binds port 0 and reads the bound port from the server's log, so no
// two tests can race for a port; restarts reuse that port. The destructor
// stops it (SIGTERM, then SIGKILL) if it still runs, and fails the current
// test if the server's log holds a sanitizer report (a sanitized build's
// evrouterd reports to stderr, which is the log).
class ServerProcess {
 public:
  explicit ServerProcess(std::string dsn,
                         std::vector<std::string> extra_args = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // The admin token for the next Start() (EVROUTER_ADMIN_TOKEN in the
  // server's environment, and the token of client()); empty starts the
  // server without one and gives client() no token.
  void set_admin_token(std::string token) { admin_token_ = std::move(token); }
  const std::string& admin_token() const { return admin_token_; }

  // Starts the process and waits until health reports SERVING (or it exits).
  // May be called again after Stop(): same port, same arguments.
  absl::Status Start(absl::Duration within = absl::Seconds(30));

  // Starts the process without waiting for anything (a server that cannot
  // serve yet, e.g. while it retries an unreachable Postgres).
  absl::Status Launch();
  // True once the log contains `text`, polling until `within`.
  bool WaitForLog(const std::string& text, absl::Duration within);

  // Sends `signal` and waits for the exit; returns the exit code, or 128 +
  // the signal number when a signal ended it; -1 if it would not stop.
  int Stop(int signal, absl::Duration within = absl::Seconds(30));

  bool running() const { return pid_ > 0; }
  // The process id while running, -1 otherwise.
  pid_t pid() const { return pid_; }
  // 127.0.0.1:PORT once started.
  const std::string& address() const { return address_; }
  // HOST:PORT of the HTTP listener (/metrics, /api/v1/, the dashboard) as of
  // the last Start(); empty when it is off.
  const std::string& http_address() const { return http_address_; }
  // A client for this server (10 s deadline per call); a new one after each
  // Start(), so references do not survive a restart.
  client::Client& client() { return *client_; }
  // The TLS options client() gets from the next Start() on (for a server
  // started with --tls-cert); plaintext by default.
  void set_client_tls(client::TlsOptions tls) { client_tls_ = std::move(tls); }
  // Everything the server logged so far.
  std::string Log() const;
  // The first sanitizer report (ASan, LSan, UBSan) in the log, from its first
  // line on; empty when there is none.
  std::string SanitizerReport() const;

 private:
  const std::string dsn_;
  const std::vector<std::string> extra_args_;
  std::string address_;  // empty until the first start
  std::string http_address_;
  const std::string log_path_;
  std::string admin_token_ = kTestAdminToken;
  pid_t pid_ = -1;
  std::unique_ptr<client::Client> client_;
  client::TlsOptions client_tls_;
};

// Resident memory of process `pid` (VmRSS in /proc) in KiB; -1 when it
// cannot be read.
int64_t RssKib(pid_t pid);

// The first sanitizer report in `output`, from its first line on (at most a
// few KiB); empty when there is none.
std::string FindSanitizerReport(const std::string& output);

// Runs `args` (argv[0] is the program) to completion with output captured;
// returns the exit code (128 + signal if killed) and fills `output`.
int RunCommand(const std::vector<std::string>& args, std::string* output,
               absl::Duration within = absl::Seconds(120));

}  // namespace evrouter::testing

#endif  // EVROUTER_TESTS_SUPPORT_SERVER_PROCESS_H_
