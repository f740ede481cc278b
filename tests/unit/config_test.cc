#include "server/config.h"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace evrouter {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Parses `args` (without the program name) with `env` as the environment.
absl::StatusOr<ServerConfig> Parse(
    std::vector<std::string> args,
    std::map<std::string, std::string> env = {}) {
  std::vector<const char*> argv = {"evrouterd"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  return ParseServerConfig(static_cast<int>(argv.size()), argv.data(),
                           [&env](const char* name) -> const char* {
                             auto it = env.find(name);
                             return it == env.end() ? nullptr
                                                    : it->second.c_str();
                           });
}

std::string Message(const absl::StatusOr<ServerConfig>& config) {
  return std::string(config.status().message());
}

TEST(ServerConfigTest, Defaults) {
  absl::StatusOr<ServerConfig> config = Parse({});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen, "127.0.0.1:50051");
  EXPECT_EQ(config->http_listen, "127.0.0.1:8080");
  EXPECT_EQ(config->tls_cert, "");
  EXPECT_EQ(config->tls_key, "");
  EXPECT_EQ(config->tls_client_ca, "");
  EXPECT_FALSE(config->allow_plaintext);
  EXPECT_EQ(config->pg_dsn, "postgresql://postgres@127.0.0.1:5432/evrouter");
  EXPECT_EQ(config->pg_pool_size, 4);
  EXPECT_EQ(config->limits.max_payload_bytes, 1u << 20);
  EXPECT_EQ(config->limits.max_headers, 64u);
  EXPECT_EQ(config->limits.max_header_bytes, 16u << 10);
  EXPECT_EQ(config->limits.max_batch_events, 10000u);
  EXPECT_EQ(config->max_message_bytes, size_t{64} << 20);
  EXPECT_EQ(config->max_pending_bytes, size_t{256} << 20);
  EXPECT_EQ(config->max_stream_batches, 64u);
  EXPECT_EQ(config->max_streams, 10000u);
  EXPECT_EQ(config->max_streams_per_connection, 1000u);
  EXPECT_EQ(config->dedup_window, absl::Minutes(2));
  EXPECT_EQ(config->dedup_max_ids, 1000000u);
  EXPECT_EQ(config->startup_timeout, absl::Seconds(60));
  EXPECT_EQ(config->shutdown_grace, absl::Seconds(10));
  EXPECT_EQ(config->health_check_interval, absl::Seconds(2));
  EXPECT_EQ(config->log_level, "info");
  EXPECT_FALSE(config->migrate_only);
  EXPECT_FALSE(config->help);
  EXPECT_FALSE(config->version);
}

TEST(ServerConfigTest, FlagsWithSeparateAndInlineValues) {
  absl::StatusOr<ServerConfig> config = Parse({
      "--listen",
      "0.0.0.0:7000",
      "--tls-cert",
      "server.pem",
      "--tls-key=server.key",
      "--tls-client-ca",
      "ca.pem",
      "--allow-plaintext",
      "--pg-dsn=host=db user=x",
      "--pg-pool-size",
      "16",
      "--max-payload-bytes=2048",
      "--max-headers",
      "8",
      "--max-header-bytes=512",
      "--max-batch-events",
      "100",
      "--max-message-bytes=4096",
      "--max-pending-bytes",
      "1000",
      "--max-stream-batches=3",
      "--max-streams",
      "50",
      "--max-streams-per-connection=5",
      "--dedup-window",
      "0s",
      "--startup-timeout=5s",
      "--shutdown-grace",
      "1500ms",
      "--health-check-interval=10ms",
      "--log-level",
      "debug",
      "--migrate-only",
      "--version",
      "--help",
  });
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen, "0.0.0.0:7000");
  EXPECT_EQ(config->tls_cert, "server.pem");
  EXPECT_EQ(config->tls_key, "server.key");
  EXPECT_EQ(config->tls_client_ca, "ca.pem");
  EXPECT_TRUE(config->allow_plaintext);
  EXPECT_EQ(config->pg_dsn, "host=db user=x");  // only the first '=' splits
  EXPECT_EQ(config->pg_pool_size, 16);
  EXPECT_EQ(config->limits.max_payload_bytes, 2048u);
  EXPECT_EQ(config->limits.max_headers, 8u);
  EXPECT_EQ(config->limits.max_header_bytes, 512u);
  EXPECT_EQ(config->limits.max_batch_events, 100u);
  EXPECT_EQ(config->max_message_bytes, 4096u);
  EXPECT_EQ(config->max_pending_bytes, 1000u);
  EXPECT_EQ(config->max_stream_batches, 3u);
  EXPECT_EQ(config->max_streams, 50u);
  EXPECT_EQ(config->max_streams_per_connection, 5u);
  EXPECT_EQ(config->dedup_window, absl::ZeroDuration());
  EXPECT_EQ(config->startup_timeout, absl::Seconds(5));
  EXPECT_EQ(config->shutdown_grace, absl::Milliseconds(1500));
  EXPECT_EQ(config->health_check_interval, absl::Milliseconds(10));
  EXPECT_EQ(config->log_level, "debug");
  EXPECT_TRUE(config->migrate_only);
  EXPECT_TRUE(config->version);
  EXPECT_TRUE(config->help);
}

TEST(ServerConfigTest, EnvironmentVariables) {
  absl::StatusOr<ServerConfig> config =
      Parse({}, {{"EVROUTER_LISTEN", "[::]:9000"},
                 {"EVROUTER_TLS_CERT", "/etc/evrouter/server.pem"},
                 {"EVROUTER_TLS_KEY", "/etc/evrouter/server.key"},
                 {"EVROUTER_TLS_CLIENT_CA", "/etc/evrouter/ca.pem"},
                 {"EVROUTER_ALLOW_PLAINTEXT", "true"},
                 {"EVROUTER_PG_DSN", "postgresql://u@h/db"},
                 {"EVROUTER_PG_POOL_SIZE", "2"},
                 {"EVROUTER_MAX_PAYLOAD_BYTES", "10"},
                 {"EVROUTER_MAX_HEADERS", "0"},
                 {"EVROUTER_MAX_HEADER_BYTES", "20"},
                 {"EVROUTER_MAX_BATCH_EVENTS", "1"},
                 {"EVROUTER_MAX_MESSAGE_BYTES", "1024"},
                 {"EVROUTER_MAX_PENDING_BYTES", "1"},
                 {"EVROUTER_MAX_STREAM_BATCHES", "9"},
                 {"EVROUTER_MAX_STREAMS", "1"},
                 {"EVROUTER_MAX_STREAMS_PER_CONNECTION", "2"},
                 {"EVROUTER_DEDUP_WINDOW", "5m"},
                 {"EVROUTER_DEDUP_MAX_IDS", "7"},
                 {"EVROUTER_STARTUP_TIMEOUT", "1s"},
                 {"EVROUTER_SHUTDOWN_GRACE", "0s"},
                 {"EVROUTER_HEALTH_CHECK_INTERVAL", "1m"},
                 {"EVROUTER_LOG_LEVEL", "off"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen, "[::]:9000");
  EXPECT_EQ(config->tls_cert, "/etc/evrouter/server.pem");
  EXPECT_EQ(config->tls_key, "/etc/evrouter/server.key");
  EXPECT_EQ(config->tls_client_ca, "/etc/evrouter/ca.pem");
  EXPECT_TRUE(config->allow_plaintext);
  EXPECT_EQ(config->pg_dsn, "postgresql://u@h/db");
  EXPECT_EQ(config->pg_pool_size, 2);
  EXPECT_EQ(config->limits.max_payload_bytes, 10u);
  EXPECT_EQ(config->limits.max_headers, 0u);
  EXPECT_EQ(config->limits.max_header_bytes, 20u);
  EXPECT_EQ(config->limits.max_batch_events, 1u);
  EXPECT_EQ(config->max_message_bytes, 1024u);
  EXPECT_EQ(config->max_pending_bytes, 1u);
  EXPECT_EQ(config->max_stream_batches, 9u);
  EXPECT_EQ(config->max_streams, 1u);
  EXPECT_EQ(config->max_streams_per_connection, 2u);
  EXPECT_EQ(config->dedup_window, absl::Minutes(5));
  EXPECT_EQ(config->dedup_max_ids, 7u);
  EXPECT_EQ(config->startup_timeout, absl::Seconds(1));
  EXPECT_EQ(config->shutdown_grace, absl::ZeroDuration());
  EXPECT_EQ(config->health_check_interval, absl::Minutes(1));
  EXPECT_EQ(config->log_level, "off");
}

TEST(ServerConfigTest, EmptyEnvironmentVariableIsIgnored) {
  absl::StatusOr<ServerConfig> config =
      Parse({}, {{"EVROUTER_LISTEN", ""}, {"EVROUTER_PG_POOL_SIZE", ""}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen, "127.0.0.1:50051");
  EXPECT_EQ(config->pg_pool_size, 4);
}

TEST(ServerConfigTest, FlagWinsOverEnvironment) {
  absl::StatusOr<ServerConfig> config =
      Parse({"--pg-pool-size=8", "--dedup-window", "30s"},
            {{"EVROUTER_PG_POOL_SIZE", "2"},
             {"EVROUTER_DEDUP_WINDOW", "5m"},
             {"EVROUTER_LOG_LEVEL", "warn"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->pg_pool_size, 8);
  EXPECT_EQ(config->dedup_window, absl::Seconds(30));
  EXPECT_EQ(config->log_level, "warn");  // no flag: the variable applies
}

TEST(ServerConfigTest, FlagOverridesABadEnvironmentValueIsStillAnError) {
  // The environment is read first; a bad value there is reported even when a
  // flag would have replaced it.
  absl::StatusOr<ServerConfig> config =
      Parse({"--pg-pool-size=8"}, {{"EVROUTER_PG_POOL_SIZE", "many"}});
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(config), StartsWith("EVROUTER_PG_POOL_SIZE: "));
}

struct BadValueCase {
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::string named;  // the message starts with this
};

TEST(ServerConfigTest, BadValuesNameTheFlagOrVariable) {
  const std::vector<BadValueCase> cases = {
      {{"--pg-pool-size=0"}, {}, "--pg-pool-size: '0'"},
      {{"--pg-pool-size=257"}, {}, "--pg-pool-size: '257'"},
      {{"--pg-pool-size", "four"}, {}, "--pg-pool-size: 'four'"},
      {{"--max-payload-bytes=-1"}, {}, "--max-payload-bytes: '-1'"},
      {{"--max-headers=1k"}, {}, "--max-headers: '1k'"},
      {{"--max-batch-events=0"}, {}, "--max-batch-events: '0'"},
      {{"--max-message-bytes=1023"}, {}, "--max-message-bytes: '1023'"},
      {{"--max-pending-bytes=0"}, {}, "--max-pending-bytes: '0'"},
      {{"--max-stream-batches=0"}, {}, "--max-stream-batches: '0'"},
      {{"--max-streams=0"}, {}, "--max-streams: '0'"},
      {{"--max-streams-per-connection=x"},
       {},
       "--max-streams-per-connection: 'x'"},
      {{"--dedup-window=2"}, {}, "--dedup-window: '2'"},
      {{"--dedup-window=-1s"}, {}, "--dedup-window: '-1s'"},
      {{"--startup-timeout=soon"}, {}, "--startup-timeout: 'soon'"},
      {{"--health-check-interval=5ms"}, {}, "--health-check-interval: '5ms'"},
      {{"--log-level=loud"}, {}, "--log-level: 'loud'"},
      {{"--listen="}, {}, "--listen: ''"},
      {{"--tls-cert="}, {}, "--tls-cert: ''"},
      {{},
       {{"EVROUTER_ALLOW_PLAINTEXT", "maybe"}},
       "EVROUTER_ALLOW_PLAINTEXT: 'maybe'"},
      {{}, {{"EVROUTER_MAX_HEADERS", "x"}}, "EVROUTER_MAX_HEADERS: 'x'"},
      {{}, {{"EVROUTER_DEDUP_WINDOW", "1 min"}}, "EVROUTER_DEDUP_WINDOW: "},
      {{}, {{"EVROUTER_LOG_LEVEL", "INFO"}}, "EVROUTER_LOG_LEVEL: 'INFO'"},
      {{},
       {{"EVROUTER_MAX_MESSAGE_BYTES", "12"}},
       "EVROUTER_MAX_MESSAGE_BYTES"},
  };
  for (const BadValueCase& c : cases) {
    SCOPED_TRACE(c.named);
    absl::StatusOr<ServerConfig> config = Parse(c.args, c.env);
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Message(config), StartsWith(c.named));
    EXPECT_THAT(Message(config), HasSubstr(" is not "));  // the accepted form
  }
}

TEST(ServerConfigTest, UnknownFlagIsRejected) {
  absl::StatusOr<ServerConfig> config = Parse({"--colour=blue"});
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(config), HasSubstr("--colour"));

  config = Parse({"--listen-address", "x"});
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(config), HasSubstr("--listen-address"));
}

TEST(ServerConfigTest, PositionalArgumentIsRejected) {
  absl::StatusOr<ServerConfig> config = Parse({"serve"});
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(config), HasSubstr("serve"));
  EXPECT_EQ(Parse({"-listen=x"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ServerConfigTest, SwitchWithAValueIsRejected) {
  for (std::string flag : {"--help=yes", "--migrate-only=true", "--version=1",
                           "--allow-plaintext=true"}) {
    absl::StatusOr<ServerConfig> config = Parse({flag});
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument)
        << flag;
    EXPECT_THAT(Message(config), HasSubstr(flag.substr(0, flag.find('='))));
    EXPECT_THAT(Message(config), HasSubstr("takes no value"));
  }
}

TEST(ServerConfigTest, FlagWithoutItsValueIsRejected) {
  absl::StatusOr<ServerConfig> config = Parse({"--listen"});
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(config), HasSubstr("--listen"));
  EXPECT_THAT(Message(config), HasSubstr("needs a value"));
}

TEST(ServerConfigTest, AuthIsOnUnlessTheNoAuthFlagIsGiven) {
  absl::StatusOr<ServerConfig> config = Parse({});
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(config->auth);
  EXPECT_TRUE(config->admin_token.empty());
  EXPECT_TRUE(config->admin_token_file.empty());
  config = Parse({"--no-auth"});
  ASSERT_TRUE(config.ok());
  EXPECT_FALSE(config->auth);
  // No variable turns it off, not even one that looks like it would.
  config = Parse({}, {{"EVROUTER_NO_AUTH", "1"}, {"EVROUTER_AUTH", "false"}});
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(config->auth);
}

TEST(ServerConfigTest, AdminTokenFromTheEnvironmentOrAFileButNotBoth) {
  absl::StatusOr<ServerConfig> config =
      Parse({}, {{"EVROUTER_ADMIN_TOKEN", "secret-secret-secret"}});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->admin_token, "secret-secret-secret");
  config = Parse({"--admin-token-file", "/run/secrets/token"});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->admin_token_file, "/run/secrets/token");
  config = Parse({}, {{"EVROUTER_ADMIN_TOKEN_FILE", "/a"}});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->admin_token_file, "/a");
  config = Parse({"--admin-token-file=/a"},
                 {{"EVROUTER_ADMIN_TOKEN", "secret-secret-secret"}});
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(Message(config), HasSubstr("not both"));
  // The error never repeats the token.
  EXPECT_THAT(Message(config), ::testing::Not(HasSubstr("secret-secret")));
}

TEST(ServerConfigTest, HelpMentionsEveryVariableAndFlag) {
  // Every variable the parser reads, as it asks for them.
  std::set<std::string> asked;
  std::vector<const char*> argv = {"evrouterd"};
  ASSERT_TRUE(ParseServerConfig(1, argv.data(), [&](const char* name) {
                asked.insert(name);
                return static_cast<const char*>(nullptr);
              }).ok());
  const std::set<std::string> documented = {
      "EVROUTER_LISTEN",
      "EVROUTER_HTTP_LISTEN",
      "EVROUTER_TLS_CERT",
      "EVROUTER_TLS_KEY",
      "EVROUTER_TLS_CLIENT_CA",
      "EVROUTER_ALLOW_PLAINTEXT",
      "EVROUTER_PG_DSN",
      "EVROUTER_PG_POOL_SIZE",
      "EVROUTER_MAX_PAYLOAD_BYTES",
      "EVROUTER_MAX_HEADERS",
      "EVROUTER_MAX_HEADER_BYTES",
      "EVROUTER_MAX_BATCH_EVENTS",
      "EVROUTER_MAX_MESSAGE_BYTES",
      "EVROUTER_MAX_PENDING_BYTES",
      "EVROUTER_MAX_STREAM_BATCHES",
      "EVROUTER_MAX_STREAMS",
      "EVROUTER_MAX_STREAMS_PER_CONNECTION",
      "EVROUTER_CATCHUP_THREADS",
      "EVROUTER_CATCHUP_CHUNK_EVENTS",
      "EVROUTER_OFFSET_FLUSH_INTERVAL",
      "EVROUTER_MAX_RESPONSE_BYTES",
      "EVROUTER_DEDUP_WINDOW",
      "EVROUTER_DEDUP_MAX_IDS",
      "EVROUTER_STARTUP_TIMEOUT",
      "EVROUTER_SHUTDOWN_GRACE",
      "EVROUTER_HEALTH_CHECK_INTERVAL",
      "EVROUTER_LOG_LEVEL",
      "EVROUTER_ADMIN_TOKEN",
      "EVROUTER_ADMIN_TOKEN_FILE",
  };
  EXPECT_EQ(asked, documented);

  std::string help = ServerConfigHelp();
  for (const std::string& name : asked) EXPECT_THAT(help, HasSubstr(name));
  for (const char* flag : {"--admin-token-file",
                           "--no-auth",
                           "--listen",
                           "--http-listen",
                           "--tls-cert",
                           "--tls-key",
                           "--tls-client-ca",
                           "--allow-plaintext",
                           "--pg-dsn",
                           "--pg-pool-size",
                           "--max-payload-bytes",
                           "--max-headers",
                           "--max-header-bytes",
                           "--max-batch-events",
                           "--max-message-bytes",
                           "--max-pending-bytes",
                           "--max-stream-batches",
                           "--max-streams",
                           "--max-streams-per-connection",
                           "--catchup-threads",
                           "--catchup-chunk-events",
                           "--offset-flush-interval",
                           "--max-response-bytes",
                           "--dedup-window",
                           "--dedup-max-ids",
                           "--startup-timeout",
                           "--shutdown-grace",
                           "--health-check-interval",
                           "--log-level",
                           "--migrate-only",
                           "--version",
                           "--help"}) {
    EXPECT_THAT(help, HasSubstr(flag));
  }
}

TEST(ServerConfigTest, TlsCertificateAndKeyGoTogether) {
  for (const auto& [args, env] :
       std::vector<std::pair<std::vector<std::string>,
                             std::map<std::string, std::string>>>{
           {{"--tls-cert", "server.pem"}, {}},
           {{"--tls-key", "server.key"}, {}},
           {{}, {{"EVROUTER_TLS_CERT", "server.pem"}}},
           {{"--tls-key", "server.key", "--tls-client-ca", "ca.pem"}, {}},
       }) {
    absl::StatusOr<ServerConfig> config = Parse(args, env);
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Message(config), HasSubstr("--tls-cert and --tls-key"));
  }
  absl::StatusOr<ServerConfig> both =
      Parse({"--tls-cert", "server.pem"}, {{"EVROUTER_TLS_KEY", "server.key"}});
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->tls_cert, "server.pem");
  EXPECT_EQ(both->tls_key, "server.key");
}

TEST(ServerConfigTest, TlsClientCaNeedsTheCertificateAndKey) {
  absl::StatusOr<ServerConfig> config = Parse({"--tls-client-ca", "ca.pem"});
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(config), StartsWith("--tls-client-ca needs --tls-cert"));

  config = Parse({"--tls-client-ca", "ca.pem", "--tls-cert", "server.pem",
                  "--tls-key", "server.key"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->tls_client_ca, "ca.pem");
}

TEST(ServerConfigTest, LoopbackListenAddresses) {
  for (const char* loopback :
       {"127.0.0.1:50051", "127.0.0.2:0", "127.255.255.254:1", "[::1]:0",
        "localhost:50051", "LocalHost:0", "[::ffff:127.0.0.1]:50051",
        "unix:/run/evrouter.sock"}) {
    EXPECT_TRUE(IsLoopbackListenAddress(loopback)) << loopback;
  }
  for (const char* other :
       {"0.0.0.0:50051", "10.1.2.3:50051", "128.0.0.1:50051", "1.127.0.0:50051",
        "[::]:50051", "[2001:db8::1]:50051", "[::ffff:10.0.0.1]:50051",
        ":50051", "evrouter.example.com:50051", "localhost.example.com:50051",
        "127.0.0.1.nip.io:50051", "[::1:50051", ""}) {
    EXPECT_FALSE(IsLoopbackListenAddress(other)) << other;
  }
}

TEST(ServerConfigTest, PlaintextOnlyOnLoopbackUnlessAllowed) {
  for (const char* loopback : {"127.0.0.2:0", "[::1]:0", "localhost:0"}) {
    absl::StatusOr<ServerConfig> config = Parse({"--listen", loopback});
    EXPECT_TRUE(config.ok()) << loopback << ": " << config.status();
  }
  for (const char* other :
       {"0.0.0.0:50051", "10.1.2.3:50051", "[::]:50051", "db-host:50051"}) {
    SCOPED_TRACE(other);
    absl::StatusOr<ServerConfig> config = Parse({"--listen", other});
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Message(config),
                StartsWith(absl::StrCat("--listen ", other,
                                        " is not a loopback address")));
    EXPECT_THAT(Message(config), HasSubstr("--tls-cert and --tls-key"));
    EXPECT_THAT(Message(config), HasSubstr("--allow-plaintext"));
    EXPECT_THAT(Message(config), HasSubstr("EVROUTER_ALLOW_PLAINTEXT=true"));
    // The same from the environment.
    EXPECT_EQ(Parse({}, {{"EVROUTER_LISTEN", other}}).status().code(),
              absl::StatusCode::kInvalidArgument);

    EXPECT_TRUE(Parse({"--listen", other, "--allow-plaintext"}).ok());
    EXPECT_TRUE(Parse({}, {{"EVROUTER_LISTEN", other},
                           {"EVROUTER_ALLOW_PLAINTEXT", "1"}})
                    .ok());
    EXPECT_TRUE(Parse({"--listen", other, "--tls-cert", "server.pem",
                       "--tls-key", "server.key"})
                    .ok());
  }
  // --help and --version answer whatever else is set.
  EXPECT_TRUE(Parse({"--listen", "0.0.0.0:1", "--help"}).ok());
  EXPECT_TRUE(Parse({"--tls-cert", "server.pem", "--version"}).ok());
}

TEST(ServerConfigTest, HttpListenTakesAnAddressOrOff) {
  EXPECT_EQ(Parse({"--http-listen", "127.0.0.1:0"})->http_listen,
            "127.0.0.1:0");
  EXPECT_EQ(Parse({"--http-listen", "[::1]:9090"})->http_listen, "[::1]:9090");
  EXPECT_EQ(Parse({"--http-listen", "off"})->http_listen, "");
  EXPECT_EQ(Parse({}, {{"EVROUTER_HTTP_LISTEN", "off"}})->http_listen, "");
  for (const char* bad :
       {"8080", "localhost", ":8080", "127.0.0.1:99999", "127.0.0.1:x"}) {
    absl::StatusOr<ServerConfig> config = Parse({"--http-listen", bad});
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
    EXPECT_THAT(Message(config), HasSubstr("--http-listen"));
    EXPECT_THAT(Message(config), HasSubstr("HOST:PORT or off"));
  }
}

// The HTTP listener carries bearer tokens too: the same rule as --listen.
TEST(ServerConfigTest, HttpPlaintextOnlyOnLoopbackUnlessAllowed) {
  for (const char* other : {"0.0.0.0:8080", "[::]:8080", "10.1.2.3:8080"}) {
    SCOPED_TRACE(other);
    absl::StatusOr<ServerConfig> config = Parse({"--http-listen", other});
    EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Message(config),
                StartsWith(absl::StrCat("--http-listen ", other,
                                        " is not a loopback address")));
    EXPECT_THAT(Message(config), HasSubstr("--allow-plaintext"));
    EXPECT_TRUE(Parse({"--http-listen", other, "--allow-plaintext"}).ok());
    EXPECT_TRUE(Parse({"--http-listen", other, "--tls-cert", "server.pem",
                       "--tls-key", "server.key"})
                    .ok());
  }
  EXPECT_TRUE(Parse({"--http-listen", "localhost:8080"}).ok());
}

TEST(ServerConfigTest, AllowPlaintextVariableTakesABoolean) {
  for (const char* yes : {"true", "1", "yes", "on", "TRUE", "Yes"}) {
    absl::StatusOr<ServerConfig> config =
        Parse({}, {{"EVROUTER_ALLOW_PLAINTEXT", yes}});
    ASSERT_TRUE(config.ok()) << yes << ": " << config.status();
    EXPECT_TRUE(config->allow_plaintext) << yes;
  }
  for (const char* no : {"false", "0", "no", "off", "False"}) {
    absl::StatusOr<ServerConfig> config =
        Parse({}, {{"EVROUTER_ALLOW_PLAINTEXT", no}});
    ASSERT_TRUE(config.ok()) << no << ": " << config.status();
    EXPECT_FALSE(config->allow_plaintext) << no;
  }
  // The flag wins over the variable.
  absl::StatusOr<ServerConfig> config =
      Parse({"--allow-plaintext"}, {{"EVROUTER_ALLOW_PLAINTEXT", "false"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->allow_plaintext);
}

}  // namespace
}  // namespace evrouter
