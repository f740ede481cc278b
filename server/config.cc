#include "server/config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <limits>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace evrouter {
namespace {

using Setter = std::function<absl::Status(ServerConfig&, absl::string_view)>;

struct Setting {
  const char* flag;  // without the leading "--"
  const char* env;   // nullptr: flag only
  const char* default_text;
  const char* help;
  bool is_switch;  // takes no value
  Setter set;
};

absl::Status BadValue(absl::string_view what, absl::string_view value,
                      absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, ": '", value, "' is not ", expected));
}

Setter SizeSetter(size_t ServerConfig::*field, size_t min) {
  return [field, min](ServerConfig& config, absl::string_view value) {
    uint64_t parsed;
    if (!absl::SimpleAtoi(value, &parsed) || parsed < min) {
      return absl::InvalidArgumentError(absl::StrCat("an integer >= ", min));
    }
    config.*field = parsed;
    return absl::OkStatus();
  };
}

Setter LimitSetter(size_t core::PublishLimits::*field, size_t min) {
  return [field, min](ServerConfig& config, absl::string_view value) {
    uint64_t parsed;
    if (!absl::SimpleAtoi(value, &parsed) || parsed < min) {
      return absl::InvalidArgumentError(absl::StrCat("an integer >= ", min));
    }
    config.limits.*field = parsed;
    return absl::OkStatus();
  };
}

Setter DurationSetter(absl::Duration ServerConfig::*field) {
  return [field](ServerConfig& config, absl::string_view value) {
    absl::Duration parsed;
    if (!absl::ParseDuration(value, &parsed) || parsed < absl::ZeroDuration()) {
      return absl::InvalidArgumentError("a duration like 500ms, 30s or 2m");
    }
    config.*field = parsed;
    return absl::OkStatus();
  };
}

Setter StringSetter(std::string ServerConfig::*field) {
  return [field](ServerConfig& config, absl::string_view value) {
    if (value.empty()) return absl::InvalidArgumentError("a non-empty value");
    config.*field = std::string(value);
    return absl::OkStatus();
  };
}

// A switch that its environment variable can also set: the flag (no value)
// means true, the variable true/false, 1/0, yes/no or on/off.
Setter BoolSetter(bool ServerConfig::*field) {
  return [field](ServerConfig& config, absl::string_view value) {
    if (value.empty()) {  // the flag
      config.*field = true;
      return absl::OkStatus();
    }
    for (absl::string_view yes : {"true", "1", "yes", "on"}) {
      if (absl::EqualsIgnoreCase(value, yes)) {
        config.*field = true;
        return absl::OkStatus();
      }
    }
    for (absl::string_view no : {"false", "0", "no", "off"}) {
      if (absl::EqualsIgnoreCase(value, no)) {
        config.*field = false;
        return absl::OkStatus();
      }
    }
    return absl::InvalidArgumentError("true or false");
  };
}

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> kSettings = {
      {"listen", "EVROUTER_LISTEN", "127.0.0.1:50051",
       "gRPC listen address HOST:PORT", false,
       StringSetter(&ServerConfig::listen)},
      {"http-listen", "EVROUTER_HTTP_LISTEN", "127.0.0.1:8080",
       "HTTP listen address HOST:PORT for /metrics, the JSON API (/api/v1/) "
       "and the dashboard (/), with the TLS settings of --listen; off "
       "disables it",
       false,
       [](ServerConfig& config, absl::string_view value) {
         if (value == "off" || value.empty()) {
           config.http_listen.clear();
           return absl::OkStatus();
         }
         size_t colon = value.rfind(':');
         int port = 0;
         if (colon == absl::string_view::npos || colon == 0 ||
             !absl::SimpleAtoi(value.substr(colon + 1), &port) || port < 0 ||
             port > 65535) {
           return absl::InvalidArgumentError("HOST:PORT or off");
         }
         config.http_listen = std::string(value);
         return absl::OkStatus();
       }},
      {"tls-cert", "EVROUTER_TLS_CERT", "none",
       "serve TLS with this PEM certificate chain (needs --tls-key)", false,
       StringSetter(&ServerConfig::tls_cert)},
      {"tls-key", "EVROUTER_TLS_KEY", "none",
       "the PEM private key of --tls-cert", false,
       StringSetter(&ServerConfig::tls_key)},
      {"tls-client-ca", "EVROUTER_TLS_CLIENT_CA", "none",
       "require client certificates signed by this PEM CA (mTLS; needs "
       "--tls-cert)",
       false, StringSetter(&ServerConfig::tls_client_ca)},
      {"allow-plaintext", "EVROUTER_ALLOW_PLAINTEXT", "false",
       "serve without TLS on a non-loopback --listen or --http-listen "
       "address (the variable takes true or false)",
       true, BoolSetter(&ServerConfig::allow_plaintext)},
      {"pg-dsn", "EVROUTER_PG_DSN",
       "postgresql://postgres@127.0.0.1:5432/evrouter",
       "PostgreSQL connection string (URI or key=value)", false,
       StringSetter(&ServerConfig::pg_dsn)},
      {"pg-pool-size", "EVROUTER_PG_POOL_SIZE", "4",
       "Postgres connections, one storage thread each", false,
       [](ServerConfig& config, absl::string_view value) {
         int parsed;
         if (!absl::SimpleAtoi(value, &parsed) || parsed < 1 || parsed > 256) {
           return absl::InvalidArgumentError("an integer from 1 to 256");
         }
         config.pg_pool_size = parsed;
         return absl::OkStatus();
       }},
      {"max-payload-bytes", "EVROUTER_MAX_PAYLOAD_BYTES", "1048576",
       "largest event payload accepted", false,
       LimitSetter(&core::PublishLimits::max_payload_bytes, 0)},
      {"max-headers", "EVROUTER_MAX_HEADERS", "64", "most headers per event",
       false, LimitSetter(&core::PublishLimits::max_headers, 0)},
      {"max-header-bytes", "EVROUTER_MAX_HEADER_BYTES", "16384",
       "total bytes of header keys and values per event", false,
       LimitSetter(&core::PublishLimits::max_header_bytes, 0)},
      {"max-batch-events", "EVROUTER_MAX_BATCH_EVENTS", "10000",
       "most events per Publish call or stream batch", false,
       LimitSetter(&core::PublishLimits::max_batch_events, 1)},
      {"max-message-bytes", "EVROUTER_MAX_MESSAGE_BYTES", "67108864",
       "largest gRPC request message", false,
       SizeSetter(&ServerConfig::max_message_bytes, 1024)},
      {"max-pending-bytes", "EVROUTER_MAX_PENDING_BYTES", "268435456",
       "bytes of publishes queued per exchange before RESOURCE_EXHAUSTED",
       false, SizeSetter(&ServerConfig::max_pending_bytes, 1)},
      {"max-stream-batches", "EVROUTER_MAX_STREAM_BATCHES", "64",
       "unacknowledged batches read ahead per PublishStream", false,
       SizeSetter(&ServerConfig::max_stream_batches, 1)},
      {"max-streams", "EVROUTER_MAX_STREAMS", "10000",
       "streams (PublishStream, Subscribe, Fetch, Health Watch) open at once "
       "before RESOURCE_EXHAUSTED",
       false, SizeSetter(&ServerConfig::max_streams, 1)},
      {"max-streams-per-connection", "EVROUTER_MAX_STREAMS_PER_CONNECTION",
       "1000", "streams open at once on one client connection", false,
       SizeSetter(&ServerConfig::max_streams_per_connection, 1)},
      {"catchup-threads", "EVROUTER_CATCHUP_THREADS", "2",
       "threads (and Postgres connections) reading history for consumers "
       "behind their queue's buffer",
       false,
       [](ServerConfig& config, absl::string_view value) {
         int parsed;
         if (!absl::SimpleAtoi(value, &parsed) || parsed < 1 || parsed > 64) {
           return absl::InvalidArgumentError("an integer from 1 to 64");
         }
         config.catchup_threads = parsed;
         return absl::OkStatus();
       }},
      {"catchup-chunk-events", "EVROUTER_CATCHUP_CHUNK_EVENTS", "1000",
       "most events per history read (also bounded to ~4 MiB)", false,
       SizeSetter(&ServerConfig::catchup_chunk_events, 1)},
      {"offset-flush-interval", "EVROUTER_OFFSET_FLUSH_INTERVAL", "200ms",
       "stream acks are written to Postgres at least this often", false,
       DurationSetter(&ServerConfig::offset_flush_interval)},
      {"max-response-bytes", "EVROUTER_MAX_RESPONSE_BYTES", "3145728",
       "event bytes per Subscribe response (keep below clients' 4 MiB "
       "receive limit)",
       false, SizeSetter(&ServerConfig::max_response_bytes, 1024)},
      {"dedup-window", "EVROUTER_DEDUP_WINDOW", "2m",
       "an event id seen within this long is not stored again (0 disables)",
       false, DurationSetter(&ServerConfig::dedup_window)},
      {"dedup-max-ids", "EVROUTER_DEDUP_MAX_IDS", "1000000",
       "most ids remembered per exchange for dedup (oldest forgotten first)",
       false, SizeSetter(&ServerConfig::dedup_max_ids, 0)},
      {"startup-timeout", "EVROUTER_STARTUP_TIMEOUT", "60s",
       "how long to wait for Postgres at start", false,
       DurationSetter(&ServerConfig::startup_timeout)},
      {"shutdown-grace", "EVROUTER_SHUTDOWN_GRACE", "10s",
       "on SIGINT/SIGTERM, how long in-flight calls may finish", false,
       DurationSetter(&ServerConfig::shutdown_grace)},
      {"health-check-interval", "EVROUTER_HEALTH_CHECK_INTERVAL", "2s",
       "how often the health service pings Postgres", false,
       [](ServerConfig& config, absl::string_view value) {
         absl::Duration parsed;
         if (!absl::ParseDuration(value, &parsed) ||
             parsed < absl::Milliseconds(10)) {
           return absl::InvalidArgumentError("a duration of at least 10ms");
         }
         config.health_check_interval = parsed;
         return absl::OkStatus();
       }},
      {"log-level", "EVROUTER_LOG_LEVEL", "info",
       "trace, debug, info, warn, error or off", false,
       [](ServerConfig& config, absl::string_view value) {
         for (absl::string_view level :
              {"trace", "debug", "info", "warn", "error", "off"}) {
           if (value == level) {
             config.log_level = std::string(value);
             return absl::OkStatus();
           }
         }
         return absl::InvalidArgumentError(
             "one of trace, debug, info, warn, error, off");
       }},
      {"log-format", "EVROUTER_LOG_FORMAT", "text",
       "text, or json: one object per line (ts, level, component, msg and "
       "the line's fields)",
       false,
       [](ServerConfig& config, absl::string_view value) {
         absl::StatusOr<logging::LogFormat> format =
             logging::ParseLogFormat(value);
         if (!format.ok()) return absl::InvalidArgumentError("text or json");
         config.log_format = *format;
         return absl::OkStatus();
       }},
      {"admin-token-file", "EVROUTER_ADMIN_TOKEN_FILE", "(none)",
       "file holding the admin's bearer token (user 'admin'); or give the "
       "token itself in EVROUTER_ADMIN_TOKEN. Without either, the first "
       "start creates the admin and prints its token once",
       false, StringSetter(&ServerConfig::admin_token_file)},
      {"no-auth", nullptr, "",
       "DANGEROUS: accept every call without a token (logged as a warning)",
       true,
       [](ServerConfig& config, absl::string_view) {
         config.auth = false;
         return absl::OkStatus();
       }},
      {"migrate-only", nullptr, "", "apply database migrations and exit", true,
       [](ServerConfig& config, absl::string_view) {
         config.migrate_only = true;
         return absl::OkStatus();
       }},
      {"version", nullptr, "", "print the version and exit", true,
       [](ServerConfig& config, absl::string_view) {
         config.version = true;
         return absl::OkStatus();
       }},
      {"help", nullptr, "", "print this help and exit", true,
       [](ServerConfig& config, absl::string_view) {
         config.help = true;
         return absl::OkStatus();
       }},
  };
  return kSettings;
}

// The settings that only make sense together.
absl::Status CheckTransport(const ServerConfig& config) {
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "--tls-cert and --tls-key go together: set both (TLS) or neither "
        "(plaintext)");
  }
  if (!config.tls_client_ca.empty() && config.tls_cert.empty()) {
    return absl::InvalidArgumentError(
        "--tls-client-ca needs --tls-cert and --tls-key: client certificates "
        "are only checked over TLS");
  }
  // Both listeners carry bearer tokens: plaintext only where nobody else
  // can listen, unless allowed.
  if (config.tls_cert.empty() && !config.allow_plaintext) {
    for (const auto& [flag, address] :
         {std::pair<const char*, const std::string*>{"--listen",
                                                     &config.listen},
          {"--http-listen", &config.http_listen}}) {
      if (address->empty() || IsLoopbackListenAddress(*address)) continue;
      return absl::InvalidArgumentError(absl::StrCat(
          flag, " ", *address,
          " is not a loopback address, and plaintext would be readable by "
          "anyone on the network, bearer tokens included: serve TLS with "
          "--tls-cert and --tls-key (EVROUTER_TLS_CERT, EVROUTER_TLS_KEY; the "
          "HTTP listener uses them too), or pass --allow-plaintext "
          "(EVROUTER_ALLOW_PLAINTEXT=true) to accept it"));
    }
  }
  return absl::OkStatus();
}

absl::Status Apply(ServerConfig& config, const Setting& setting,
                   absl::string_view source, absl::string_view value) {
  absl::Status status = setting.set(config, value);
  if (status.ok()) return status;
  return BadValue(source, value, status.message());
}

}  // namespace

absl::StatusOr<ServerConfig> ParseServerConfig(
    int argc, const char* const* argv,
    const std::function<const char*(const char*)>& getenv) {
  ServerConfig config;
  if (const char* token = getenv(kAdminTokenEnv); token != nullptr) {
    config.admin_token = token;
  }
  for (const Setting& setting : Settings()) {
    if (setting.env == nullptr) continue;
    const char* value = getenv(setting.env);
    if (value == nullptr || *value == '\0') continue;
    if (absl::Status status = Apply(config, setting, setting.env, value);
        !status.ok()) {
      return status;
    }
  }
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg.substr(0, 2) != "--") {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", arg, "'"));
    }
    arg.remove_prefix(2);
    absl::string_view name = arg;
    std::optional<absl::string_view> value;
    if (size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    const Setting* found = nullptr;
    for (const Setting& setting : Settings()) {
      if (name == setting.flag) found = &setting;
    }
    if (found == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    if (found->is_switch) {
      if (value)
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " takes no value"));
      value = "";
    } else if (!value) {
      if (i + 1 >= argc) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " needs a value"));
      }
      value = argv[++i];
    }
    if (absl::Status status =
            Apply(config, *found, absl::StrCat("--", name), *value);
        !status.ok()) {
      return status;
    }
  }
  if (!config.admin_token.empty() && !config.admin_token_file.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("give the admin token either in ", kAdminTokenEnv,
                     " or by --admin-token-file, not both"));
  }
  if (config.help || config.version) return config;
  if (absl::Status status = CheckTransport(config); !status.ok()) {
    return status;
  }
  return config;
}

bool IsLoopbackListenAddress(absl::string_view listen) {
  if (absl::StartsWith(listen, "unix:") ||
      absl::StartsWith(listen, "unix-abstract:")) {
    return true;
  }
  absl::string_view host = listen;
  if (absl::StartsWith(listen, "[")) {  // [IPv6]:PORT
    size_t close = listen.find(']');
    if (close == absl::string_view::npos) return false;
    host = listen.substr(1, close - 1);
  } else if (size_t colon = listen.rfind(':');
             colon != absl::string_view::npos) {
    host = listen.substr(0, colon);
  }
  if (absl::EqualsIgnoreCase(host, "localhost")) return true;
  const std::string text(host);
  in_addr v4;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6) ||
           (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
  }
  return false;
}

std::string ServerConfigHelp() {
  std::string help =
      "Usage: evrouterd [flags]\n\n"
      "evrouter server: a gRPC event router with persistent subscriptions, "
      "backed by "
      "PostgreSQL.\nEach flag can also be set by its environment variable; the "
      "flag wins.\n\n";
  absl::StrAppendFormat(&help, "  %-30s %s\n", "",
                        absl::StrCat("env ", kAdminTokenEnv,
                                     ": the admin's bearer token itself"));
  for (const Setting& setting : Settings()) {
    std::string flag =
        absl::StrCat("--", setting.flag, setting.is_switch ? "" : " VALUE");
    absl::StrAppendFormat(&help, "  %-30s %s\n", flag, setting.help);
    if (setting.env != nullptr) {
      absl::StrAppendFormat(&help, "  %-30s env %s, default %s\n", "",
                            setting.env, setting.default_text);
    }
  }
  return help;
}

}  // namespace evrouter
