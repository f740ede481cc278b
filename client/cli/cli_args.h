#ifndef EVROUTER_CLIENT_CLI_CLI_ARGS_H_
#define EVROUTER_CLIENT_CLI_CLI_ARGS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/cli/event_input.h"
#include "evrouter/v1/admin.pb.h"

namespace evrouter::cli {

inline constexpr std::string_view kDefaultServer = "127.0.0.1:50051";

enum class Command {
  kHelp,
  kExchangeCreate,
  kExchangeGet,
  kExchangeList,
  kExchangeDelete,
  kPublish,
  kHealth,
};

// The command line after parsing: global flags, the command and its operands.
struct CliArgs {
  std::string server = std::string(kDefaultServer);
  bool json = false;
  absl::Duration timeout = absl::Seconds(10);
  Command command = Command::kHelp;
  // The exchange (exchange commands, publish) or the service (health).
  std::string name;
  evrouter::v1::ExchangeKind kind = evrouter::v1::EXCHANGE_KIND_FANOUT;
  EventDefaults event_defaults;       // publish only
  std::string event_id;               // publish only (--id); one PAYLOAD
  std::vector<std::string> payloads;  // publish only; empty = read stdin
};

// Parses the arguments after the program name. `env_server` is the value of
// EVROUTER_SERVER ("" when unset); --server wins over it. Flags may appear
// anywhere, `--` ends them. INVALID_ARGUMENT describes a usage error.
absl::StatusOr<CliArgs> ParseArgs(const std::vector<std::string>& args,
                                  std::string_view env_server);

// Parses "fanout", "direct" or "topic".
absl::StatusOr<evrouter::v1::ExchangeKind> ParseExchangeKind(
    std::string_view text);

// The full --help text: every command and flag.
std::string HelpText();

// A short usage summary printed after a usage error.
std::string ShortUsage();

}  // namespace evrouter::cli

#endif  // EVROUTER_CLIENT_CLI_CLI_ARGS_H_
