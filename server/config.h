#ifndef EVROUTER_SERVER_CONFIG_H_
#define EVROUTER_SERVER_CONFIG_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/core/validation.h"

namespace evrouter {

// Everything evrouterd can be told, with its defaults. Each setting has a
// flag and an environment variable; the flag wins over the variable.
struct ServerConfig {
  std::string listen = "127.0.0.1:50051";
  // The HTTP listener (/metrics, the JSON API, the dashboard); "off" (or
  // empty) disables it. Same TLS and plaintext rules as `listen`.
  std::string http_listen = "127.0.0.1:8080";
  // Transport security: TLS with this PEM certificate chain and key when
  // both are set (neither: plaintext); with `tls_client_ca` also clients
  // must present a certificate signed by that CA (mTLS).
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  // Plaintext is refused on a listen address other than loopback unless
  // this is set.
  bool allow_plaintext = false;
  std::string pg_dsn = "postgresql://postgres@127.0.0.1:5432/evrouter";
  int pg_pool_size = 4;
  core::PublishLimits limits;
  size_t max_message_bytes = size_t{64} << 20;
  size_t max_pending_bytes = size_t{256} << 20;
  size_t max_stream_batches = 64;
  // Long-lived calls (PublishStream, Subscribe, Fetch, Health Watch) open at
  // once, on the server and per client connection; past them
  // RESOURCE_EXHAUSTED.
  size_t max_streams = 10000;
  size_t max_streams_per_connection = 1000;
  int catchup_threads = 2;
  size_t catchup_chunk_events = 1000;
  absl::Duration offset_flush_interval = absl::Milliseconds(200);
  size_t max_response_bytes = size_t{3} << 20;
  absl::Duration dedup_window = absl::Minutes(2);
  size_t dedup_max_ids = 1'000'000;
  absl::Duration startup_timeout = absl::Seconds(60);
  absl::Duration shutdown_grace = absl::Seconds(10);
  absl::Duration health_check_interval = absl::Seconds(2);
  std::string log_level = "info";
  // The admin's bearer token (EVROUTER_ADMIN_TOKEN), or a file holding it;
  // at most one of the two. See core::AccessControl::Bootstrap.
  std::string admin_token;
  std::string admin_token_file;
  // Authentication and permissions on every RPC but health; off only by the
  // --no-auth flag (no environment variable, so it cannot happen by accident).
  bool auth = true;
  bool migrate_only = false;
  bool help = false;
  bool version = false;
};

// The environment variable holding the admin's token (no flag: a flag's
// value would show in the process list).
inline constexpr char kAdminTokenEnv[] = "EVROUTER_ADMIN_TOKEN";

// Reads `getenv` first, then the flags (`--name value` or `--name=value`).
// Errors name the flag or variable and the accepted form. Then checks the
// settings together (unless --help or --version): --tls-cert and --tls-key
// both or neither, --tls-client-ca only with them, and plaintext only on a
// loopback address unless --allow-plaintext.
absl::StatusOr<ServerConfig> ParseServerConfig(
    int argc, const char* const* argv,
    const std::function<const char*(const char*)>& getenv);

// True when `listen` (HOST:PORT as gRPC takes it) can only be reached from
// this machine: an IPv4 address in 127.0.0.0/8, [::1], localhost, or a
// unix: socket. Hostnames other than localhost are never resolved, so they
// count as reachable from elsewhere, as do 0.0.0.0 and [::].
bool IsLoopbackListenAddress(absl::string_view listen);

// The --help text: every flag with its variable, default and meaning.
std::string ServerConfigHelp();

}  // namespace evrouter

#endif  // EVROUTER_SERVER_CONFIG_H_
