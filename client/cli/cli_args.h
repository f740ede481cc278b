#ifndef EVROUTER_CLIENT_CLI_CLI_ARGS_H_
#define EVROUTER_CLIENT_CLI_CLI_ARGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/cli/event_input.h"
#include "evrouter/v1/admin.pb.h"
#include "evrouter/v1/subscriber.pb.h"

namespace evrouter::cli {

inline constexpr std::string_view kDefaultServer = "127.0.0.1:50051";

enum class Command {
  kHelp,
  kExchangeCreate,
  kExchangeGet,
  kExchangeList,
  kExchangeDelete,
  kQueueCreate,
  kQueueGet,
  kQueueList,
  kQueueDelete,
  kConsumerCreate,
  kConsumerList,
  kConsumerSeek,
  kConsumerDelete,
  kPublish,
  kSubscribe,
  kStats,
  kHealth,
  kUserCreate,
  kUserList,
  kUserDelete,
  kUserGrant,
  kUserRevoke,
  kTokenIssue,
  kTokenRevoke,
};

// Where the token comes from, highest precedence first: --token, env
// EVROUTER_TOKEN, --token-file, env EVROUTER_TOKEN_FILE, the default file.
enum class TokenSource {
  kNone,
  kFlag,
  kEnv,
  kFileFlag,
  kFileEnv,
  kDefaultFile,
};

// The credentials as given on the command line and in the environment; no
// file is read yet (LoadCredentials in credentials.h does that).
struct CredentialArgs {
  TokenSource token_source = TokenSource::kNone;
  std::string token;       // kFlag, kEnv
  std::string token_file;  // kFileFlag, kFileEnv, kDefaultFile
  // ${XDG_CONFIG_HOME:-$HOME/.config}/evrouter/token ("" when neither is
  // set). It is the source (kDefaultFile) when nothing else names a token,
  // and then used only if it exists.
  std::string default_token_file;
  bool tls = false;      // --tls, or implied by any of the files below
  std::string tls_ca;    // --tls-ca, else env EVROUTER_TLS_CA
  std::string tls_cert;  // --tls-cert, else env EVROUTER_TLS_CERT
  std::string tls_key;   // --tls-key, else env EVROUTER_TLS_KEY
};

// The command line after parsing: global flags, the command and its operands.
struct CliArgs {
  std::string server = std::string(kDefaultServer);
  bool json = false;
  absl::Duration timeout = absl::Seconds(10);
  CredentialArgs credentials;
  Command command = Command::kHelp;
  // The exchange (exchange commands, publish), the queue (queue commands),
  // the consumer (consumer commands), the service (health) or the user
  // (user commands, token issue).
  std::string name;
  evrouter::v1::ExchangeKind kind = evrouter::v1::EXCHANGE_KIND_FANOUT;
  EventDefaults event_defaults;       // publish only
  std::string event_id;               // publish only (--id); one PAYLOAD
  std::vector<std::string> payloads;  // publish only; empty = read stdin

  // queue create (--exchange, required) and queue list (filter, optional).
  std::string exchange;
  std::vector<std::string> bindings;  // queue create --binding, in order
  uint32_t limit_size = 0;            // queue create; 0 = server default
  bool from_earliest = false;         // queue create

  // The queue of consumer create/seek/delete, or consumer list's --queue.
  std::string queue;
  // consumer seek: exactly one of them.
  std::optional<uint64_t> seek_offset;
  std::optional<absl::Time> seek_time;

  // subscribe: queue, consumer, --from, --max-in-flight, --takeover.
  evrouter::v1::SubscribeStart start;
  uint64_t limit = 0;                          // --limit; 0 = none
  absl::Duration wait = absl::ZeroDuration();  // --wait; 0 = none

  // user create (--admin, --publish, --subscribe, in order), or the one
  // permission of user grant/revoke.
  std::vector<evrouter::v1::Permission> permissions;
  std::string description;  // token issue --description
  std::string token_id;     // token revoke (taken from a whole token)
};

// Looks up an environment variable: its value, "" when it is unset.
using EnvLookup = absl::FunctionRef<std::string(std::string_view name)>;

// Parses the arguments after the program name. `env` supplies
// EVROUTER_SERVER (--server wins over it), the token and TLS variables (see
// CredentialArgs) and XDG_CONFIG_HOME / HOME for the default token file; a
// variable set to "" counts as unset. Flags may appear anywhere, `--` ends
// them. INVALID_ARGUMENT describes a usage error; it never quotes a token.
absl::StatusOr<CliArgs> ParseArgs(const std::vector<std::string>& args,
                                  EnvLookup env);

// Parses "fanout", "direct" or "topic".
absl::StatusOr<evrouter::v1::ExchangeKind> ParseExchangeKind(
    std::string_view text);

// Parses a subscribe --from value into `start`: "resume", "earliest",
// "latest", a positive offset, or an RFC3339 time.
absl::Status ParseStartPosition(std::string_view text,
                                evrouter::v1::SubscribeStart& start);

}  // namespace evrouter::cli

#endif  // EVROUTER_CLIENT_CLI_CLI_ARGS_H_
