#ifndef EVROUTER_CLIENT_CLI_CLI_ARGS_H_
#define EVROUTER_CLIENT_CLI_CLI_ARGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
};

// The command line after parsing: global flags, the command and its operands.
struct CliArgs {
  std::string server = std::string(kDefaultServer);
  bool json = false;
  absl::Duration timeout = absl::Seconds(10);
  Command command = Command::kHelp;
  // The exchange (exchange commands, publish), the queue (queue commands),
  // the consumer (consumer commands) or the service (health).
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
};

// Parses the arguments after the program name. `env_server` is the value of
// EVROUTER_SERVER ("" when unset); --server wins over it. Flags may appear
// anywhere, `--` ends them. INVALID_ARGUMENT describes a usage error.
absl::StatusOr<CliArgs> ParseArgs(const std::vector<std::string>& args,
                                  std::string_view env_server);

// Parses "fanout", "direct" or "topic".
absl::StatusOr<evrouter::v1::ExchangeKind> ParseExchangeKind(
    std::string_view text);

// Parses a subscribe --from value into `start`: "resume", "earliest",
// "latest", a positive offset, or an RFC3339 time.
absl::Status ParseStartPosition(std::string_view text,
                                evrouter::v1::SubscribeStart& start);

}  // namespace evrouter::cli

#endif  // EVROUTER_CLIENT_CLI_CLI_ARGS_H_
