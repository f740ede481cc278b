#include "client/cli/cli_args.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/auth_args.h"
#include "client/cli/credentials.h"
#include "client/proto_time.h"

namespace evrouter::cli {
namespace {

enum class FlagKind { kBool, kValue };

struct FlagSpec {
  std::string_view name;
  FlagKind kind;
};

constexpr FlagSpec kFlags[] = {
    {"server", FlagKind::kValue},      {"json", FlagKind::kBool},
    {"timeout", FlagKind::kValue},     {"help", FlagKind::kBool},
    {"kind", FlagKind::kValue},        {"type", FlagKind::kValue},
    {"source", FlagKind::kValue},      {"content-type", FlagKind::kValue},
    {"header", FlagKind::kValue},      {"id", FlagKind::kValue},
    {"exchange", FlagKind::kValue},    {"binding", FlagKind::kValue},
    {"limit-size", FlagKind::kValue},  {"from-earliest", FlagKind::kBool},
    {"queue", FlagKind::kValue},       {"offset", FlagKind::kValue},
    {"time", FlagKind::kValue},        {"consumer", FlagKind::kValue},
    {"from", FlagKind::kValue},        {"max-in-flight", FlagKind::kValue},
    {"takeover", FlagKind::kBool},     {"limit", FlagKind::kValue},
    {"wait", FlagKind::kValue},        {"token", FlagKind::kValue},
    {"token-file", FlagKind::kValue},  {"tls", FlagKind::kBool},
    {"tls-ca", FlagKind::kValue},      {"tls-cert", FlagKind::kValue},
    {"tls-key", FlagKind::kValue},     {"admin", FlagKind::kBool},
    {"publish", FlagKind::kValue},     {"subscribe", FlagKind::kValue},
    {"description", FlagKind::kValue},
};

// The commands each command-specific flag applies to; a flag not listed
// here (--server, --json, ...) applies everywhere.
struct FlagScope {
  std::string_view flag;
  Command command;
};

constexpr FlagScope kFlagScopes[] = {
    {"kind", Command::kExchangeCreate},
    {"type", Command::kPublish},
    {"source", Command::kPublish},
    {"content-type", Command::kPublish},
    {"header", Command::kPublish},
    {"id", Command::kPublish},
    {"exchange", Command::kQueueCreate},
    {"exchange", Command::kQueueList},
    {"binding", Command::kQueueCreate},
    {"limit-size", Command::kQueueCreate},
    {"from-earliest", Command::kQueueCreate},
    {"queue", Command::kConsumerList},
    {"offset", Command::kConsumerSeek},
    {"time", Command::kConsumerSeek},
    {"consumer", Command::kSubscribe},
    {"from", Command::kSubscribe},
    {"max-in-flight", Command::kSubscribe},
    {"takeover", Command::kSubscribe},
    {"limit", Command::kSubscribe},
    {"wait", Command::kSubscribe},
    {"admin", Command::kUserCreate},
    {"publish", Command::kUserCreate},
    {"subscribe", Command::kUserCreate},
    {"description", Command::kTokenIssue},
};

// A subcommand of a command group and its operand count (a range).
struct SubCommand {
  std::string_view name;
  Command command;
  size_t min_operands;
  size_t max_operands;
};

constexpr SubCommand kExchangeCommands[] = {
    {"create", Command::kExchangeCreate, 1, 1},
    {"get", Command::kExchangeGet, 1, 1},
    {"list", Command::kExchangeList, 0, 0},
    {"delete", Command::kExchangeDelete, 1, 1},
};

constexpr SubCommand kQueueCommands[] = {
    {"create", Command::kQueueCreate, 1, 1},
    {"get", Command::kQueueGet, 1, 1},
    {"list", Command::kQueueList, 0, 0},
    {"delete", Command::kQueueDelete, 1, 1},
};

constexpr SubCommand kConsumerCommands[] = {
    {"create", Command::kConsumerCreate, 2, 2},
    {"list", Command::kConsumerList, 0, 0},
    {"seek", Command::kConsumerSeek, 2, 2},
    {"delete", Command::kConsumerDelete, 2, 2},
};

// grant and revoke take NAME and the permission words (see ParsePermission).
constexpr SubCommand kUserCommands[] = {
    {"create", Command::kUserCreate, 1, 1},
    {"list", Command::kUserList, 0, 0},
    {"delete", Command::kUserDelete, 1, 1},
    {"grant", Command::kUserGrant, 1, 3},
    {"revoke", Command::kUserRevoke, 1, 3},
};

constexpr SubCommand kTokenCommands[] = {
    {"issue", Command::kTokenIssue, 1, 1},
    {"revoke", Command::kTokenRevoke, 1, 1},
};

// The command as typed, for messages.
std::string_view CommandName(Command command) {
  switch (command) {
    case Command::kHelp:
      return "help";
    case Command::kExchangeCreate:
      return "exchange create";
    case Command::kExchangeGet:
      return "exchange get";
    case Command::kExchangeList:
      return "exchange list";
    case Command::kExchangeDelete:
      return "exchange delete";
    case Command::kQueueCreate:
      return "queue create";
    case Command::kQueueGet:
      return "queue get";
    case Command::kQueueList:
      return "queue list";
    case Command::kQueueDelete:
      return "queue delete";
    case Command::kConsumerCreate:
      return "consumer create";
    case Command::kConsumerList:
      return "consumer list";
    case Command::kConsumerSeek:
      return "consumer seek";
    case Command::kConsumerDelete:
      return "consumer delete";
    case Command::kPublish:
      return "publish";
    case Command::kSubscribe:
      return "subscribe";
    case Command::kStats:
      return "stats";
    case Command::kHealth:
      return "health";
    case Command::kUserCreate:
      return "user create";
    case Command::kUserList:
      return "user list";
    case Command::kUserDelete:
      return "user delete";
    case Command::kUserGrant:
      return "user grant";
    case Command::kUserRevoke:
      return "user revoke";
    case Command::kTokenIssue:
      return "token issue";
    case Command::kTokenRevoke:
      return "token revoke";
  }
  return "?";
}

struct Flag {
  std::string name;
  std::string value;
};

std::optional<FlagKind> FindFlag(std::string_view name) {
  for (const FlagSpec& spec : kFlags) {
    if (spec.name == name) return spec.kind;
  }
  return std::nullopt;
}

// Splits `args` into flags (in order) and positional operands.
absl::Status SplitArgs(const std::vector<std::string>& args,
                       std::vector<Flag>& flags,
                       std::vector<std::string>& operands) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      operands.insert(operands.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (arg == "-h") {
      flags.push_back({"help", ""});
      continue;
    }
    if (arg.size() <= 2 || arg.compare(0, 2, "--") != 0) {
      operands.push_back(arg);
      continue;
    }
    const size_t eq = arg.find('=');
    std::string name = arg.substr(2, eq == std::string::npos ? eq : eq - 2);
    const std::optional<FlagKind> kind = FindFlag(name);
    if (!kind.has_value()) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    if (*kind == FlagKind::kBool) {
      if (eq != std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", name, " takes no value"));
      }
      flags.push_back({std::move(name), ""});
    } else if (eq != std::string::npos) {
      flags.push_back({std::move(name), arg.substr(eq + 1)});
    } else if (i + 1 < args.size()) {
      flags.push_back({std::move(name), args[++i]});
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("flag --", name, " needs a value"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckOperandCount(const std::string& command,
                               const std::vector<std::string>& operands,
                               size_t min, size_t max) {
  if (operands.size() < min || operands.size() > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("wrong number of arguments for '", command, "'"));
  }
  return absl::OkStatus();
}

// `word` quoted for a message, unless it may be a token.
std::string Quoted(const std::string& word) {
  return MayBeToken(word) ? std::string("(not shown: it looks like a token)")
                          : absl::StrCat("'", word, "'");
}

// Parses "GROUP SUB OPERANDS..." (words[0] is the group) with `table`: sets
// args.command and returns the operands once their count fits.
template <size_t N>
absl::StatusOr<std::vector<std::string>> ParseSubCommand(
    const std::vector<std::string>& words, const SubCommand (&table)[N],
    CliArgs& args) {
  const std::string& group = words[0];
  if (words.size() < 2) {
    std::vector<std::string> names;
    for (const SubCommand& sub : table) names.emplace_back(sub.name);
    return absl::InvalidArgumentError(absl::StrCat(
        "missing ", group, " command (", absl::StrJoin(names, ", "), ")"));
  }
  const std::string& name = words[1];
  std::vector<std::string> operands(words.begin() + 2, words.end());
  for (const SubCommand& sub : table) {
    if (sub.name != name) continue;
    args.command = sub.command;
    absl::Status status =
        CheckOperandCount(absl::StrCat(group, " ", name), operands,
                          sub.min_operands, sub.max_operands);
    if (!status.ok()) return status;
    return operands;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown ", group, " command ", Quoted(name)));
}

// Exchange, queue and consumer commands: one operand is the name; two are
// the queue and the name.
template <size_t N>
absl::Status ParseNamedSubCommand(const std::vector<std::string>& words,
                                  const SubCommand (&table)[N], CliArgs& args) {
  absl::StatusOr<std::vector<std::string>> operands =
      ParseSubCommand(words, table, args);
  if (!operands.ok()) return operands.status();
  if (operands->size() == 1) args.name = (*operands)[0];
  if (operands->size() == 2) {
    args.queue = (*operands)[0];
    args.name = (*operands)[1];
  }
  return absl::OkStatus();
}

absl::Status ParseUserCommand(const std::vector<std::string>& words,
                              CliArgs& args) {
  absl::StatusOr<std::vector<std::string>> operands =
      ParseSubCommand(words, kUserCommands, args);
  if (!operands.ok()) return operands.status();
  if (!operands->empty()) args.name = (*operands)[0];
  if (args.command != Command::kUserGrant &&
      args.command != Command::kUserRevoke) {
    return absl::OkStatus();
  }
  absl::StatusOr<evrouter::v1::Permission> permission = ParsePermission(
      CommandName(args.command),
      std::vector<std::string>(operands->begin() + 1, operands->end()));
  if (!permission.ok()) return permission.status();
  args.permissions = {*std::move(permission)};
  return absl::OkStatus();
}

absl::Status ParseTokenCommand(const std::vector<std::string>& words,
                               CliArgs& args) {
  absl::StatusOr<std::vector<std::string>> operands =
      ParseSubCommand(words, kTokenCommands, args);
  if (!operands.ok()) return operands.status();
  if (args.command == Command::kTokenIssue) {
    args.name = (*operands)[0];
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> id = TokenIdFromArgument((*operands)[0]);
  if (!id.ok()) return id.status();
  args.token_id = *std::move(id);
  return absl::OkStatus();
}

// Sets args.command and the operands from the positional words.
absl::Status ParseCommand(const std::vector<std::string>& words,
                          CliArgs& args) {
  if (words.empty()) return absl::InvalidArgumentError("missing command");
  const std::string& command = words[0];
  if (command == "help") {
    args.command = Command::kHelp;
    return absl::OkStatus();
  }
  if (command == "exchange") {
    return ParseNamedSubCommand(words, kExchangeCommands, args);
  }
  if (command == "queue") {
    return ParseNamedSubCommand(words, kQueueCommands, args);
  }
  if (command == "consumer") {
    return ParseNamedSubCommand(words, kConsumerCommands, args);
  }
  if (command == "user") return ParseUserCommand(words, args);
  if (command == "token") return ParseTokenCommand(words, args);
  if (command == "publish") {
    args.command = Command::kPublish;
    if (words.size() < 2) {
      return absl::InvalidArgumentError("publish needs an EXCHANGE");
    }
    args.name = words[1];
    args.payloads.assign(words.begin() + 2, words.end());
    return absl::OkStatus();
  }
  const std::vector<std::string> operands(words.begin() + 1, words.end());
  if (command == "subscribe") {
    args.command = Command::kSubscribe;
    absl::Status status =
        CheckOperandCount(std::string("subscribe"), operands, 1, 1);
    if (status.ok()) args.start.set_queue(operands[0]);
    return status;
  }
  if (command == "stats") {
    args.command = Command::kStats;
    return CheckOperandCount(std::string("stats"), operands, 0, 0);
  }
  if (command == "health") {
    args.command = Command::kHealth;
    absl::Status status =
        CheckOperandCount(std::string("health"), operands, 0, 1);
    if (status.ok() && !operands.empty()) args.name = operands[0];
    return status;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown command ", Quoted(command)));
}

// INVALID_ARGUMENT unless `name` applies to `command` (see kFlagScopes).
absl::Status CheckFlagScope(std::string_view name, Command command) {
  std::vector<std::string> commands;
  for (const FlagScope& scope : kFlagScopes) {
    if (scope.flag != name) continue;
    if (scope.command == command) return absl::OkStatus();
    commands.push_back(
        absl::StrCat("'", std::string(CommandName(scope.command)), "'"));
  }
  if (commands.empty()) return absl::OkStatus();  // a global flag
  return absl::InvalidArgumentError(
      absl::StrCat("--", std::string(name), " only applies to ",
                   absl::StrJoin(commands, " and ")));
}

// A positive decimal integer no larger than `max`.
absl::StatusOr<uint64_t> ParsePositive(std::string_view flag,
                                       const std::string& value, uint64_t max) {
  uint64_t number = 0;
  const bool digits =
      !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c));
      });
  if (!digits || !absl::SimpleAtoi(value, &number) || number == 0 ||
      number > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", std::string(flag), ": '", value,
                     "' is not a positive integer up to ", max));
  }
  return number;
}

absl::StatusOr<absl::Time> ParseRfc3339(std::string_view flag,
                                        const std::string& value) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, value, &time, &error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", std::string(flag), ": '", value,
        "' is not an RFC3339 time (2024-01-02T03:04:05Z): ", error));
  }
  return time;
}

// --wait: seconds ("2", "0.5") or a duration ("500ms"); positive.
absl::StatusOr<absl::Duration> ParseWait(const std::string& value) {
  double seconds = 0;
  absl::Duration wait;
  if (absl::SimpleAtod(value, &seconds) && std::isfinite(seconds)) {
    wait = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(value, &wait)) {
    wait = absl::ZeroDuration();
  }
  if (wait <= absl::ZeroDuration() || wait == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--wait: '", value, "' is not a positive number of seconds"));
  }
  return wait;
}

bool IsEventFlag(std::string_view name) {
  return name == "type" || name == "source" || name == "content-type" ||
         name == "header" || name == "id";
}

absl::Status ApplyFlag(const Flag& flag, CliArgs& args) {
  const std::string& name = flag.name;
  if (absl::Status status = CheckFlagScope(name, args.command); !status.ok()) {
    return status;
  }
  constexpr uint64_t kMaxUint32 = std::numeric_limits<uint32_t>::max();
  if (name == "server") {
    if (flag.value.empty()) {
      return absl::InvalidArgumentError("--server needs HOST:PORT");
    }
    args.server = flag.value;
  } else if (name == "json") {
    args.json = true;
  } else if (IsCredentialFlag(name)) {
    return ApplyCredentialFlag(name, flag.value, args.credentials);
  } else if (name == "admin" || name == "publish" || name == "subscribe") {
    absl::StatusOr<evrouter::v1::Permission> permission =
        PermissionFromFlag(name, flag.value);
    if (!permission.ok()) return permission.status();
    args.permissions.push_back(*std::move(permission));
  } else if (name == "description") {
    args.description = flag.value;
  } else if (name == "timeout") {
    absl::Duration timeout;
    if (!absl::ParseDuration(flag.value, &timeout) ||
        timeout <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--timeout: '", flag.value, "' is not a positive duration (10s)"));
    }
    args.timeout = timeout;
  } else if (name == "kind") {
    absl::StatusOr<evrouter::v1::ExchangeKind> kind =
        ParseExchangeKind(flag.value);
    if (!kind.ok()) return kind.status();
    args.kind = *kind;
  } else if (IsEventFlag(name)) {
    EventDefaults& defaults = args.event_defaults;
    if (name == "type") {
      defaults.type = flag.value;
    } else if (name == "source") {
      defaults.source = flag.value;
    } else if (name == "content-type") {
      defaults.content_type = flag.value;
    } else if (name == "id") {
      args.event_id = flag.value;
    } else {
      const size_t eq = flag.value.find('=');
      if (eq == std::string::npos || eq == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("--header: '", flag.value, "' is not KEY=VALUE"));
      }
      defaults.headers.emplace_back(flag.value.substr(0, eq),
                                    flag.value.substr(eq + 1));
    }
  } else if (name == "exchange") {
    if (flag.value.empty()) {
      return absl::InvalidArgumentError("--exchange needs a name");
    }
    args.exchange = flag.value;
  } else if (name == "binding") {
    args.bindings.push_back(flag.value);
  } else if (name == "limit-size") {
    absl::StatusOr<uint64_t> n = ParsePositive(name, flag.value, kMaxUint32);
    if (!n.ok()) return n.status();
    args.limit_size = static_cast<uint32_t>(*n);
  } else if (name == "from-earliest") {
    args.from_earliest = true;
  } else if (name == "queue") {
    if (flag.value.empty()) {
      return absl::InvalidArgumentError("--queue needs a name");
    }
    args.queue = flag.value;
  } else if (name == "offset") {
    absl::StatusOr<uint64_t> offset =
        ParsePositive(name, flag.value, std::numeric_limits<uint64_t>::max());
    if (!offset.ok()) return offset.status();
    args.seek_offset = *offset;
  } else if (name == "time") {
    absl::StatusOr<absl::Time> time = ParseRfc3339(name, flag.value);
    if (!time.ok()) return time.status();
    args.seek_time = *time;
  } else if (name == "consumer") {
    if (flag.value.empty()) {
      return absl::InvalidArgumentError("--consumer needs a name");
    }
    args.start.set_consumer(flag.value);
  } else if (name == "from") {
    return ParseStartPosition(flag.value, args.start);
  } else if (name == "max-in-flight") {
    absl::StatusOr<uint64_t> n = ParsePositive(name, flag.value, kMaxUint32);
    if (!n.ok()) return n.status();
    args.start.set_max_in_flight(static_cast<uint32_t>(*n));
  } else if (name == "takeover") {
    args.start.set_takeover(true);
  } else if (name == "limit") {
    absl::StatusOr<uint64_t> n =
        ParsePositive(name, flag.value, std::numeric_limits<uint64_t>::max());
    if (!n.ok()) return n.status();
    args.limit = *n;
  } else if (name == "wait") {
    absl::StatusOr<absl::Duration> wait = ParseWait(flag.value);
    if (!wait.ok()) return wait.status();
    args.wait = *wait;
  }
  return absl::OkStatus();
}

// Checks what a single flag cannot: required flags and exclusive pairs.
absl::Status CheckCommandFlags(const CliArgs& args) {
  switch (args.command) {
    case Command::kPublish:
      if (!args.payloads.empty() && args.event_defaults.type.empty()) {
        return absl::InvalidArgumentError(
            "publish with PAYLOAD arguments needs --type");
      }
      // An id names one event: copying it onto several payloads or stdin
      // lines would store the first and report the rest as duplicates.
      if (!args.event_id.empty() && args.payloads.size() != 1) {
        return absl::InvalidArgumentError(kIdNeedsOnePayload);
      }
      return absl::OkStatus();
    case Command::kQueueCreate:
      if (args.exchange.empty()) {
        return absl::InvalidArgumentError(
            "queue create needs --exchange EXCHANGE");
      }
      return absl::OkStatus();
    case Command::kConsumerSeek:
      if (args.seek_offset.has_value() == args.seek_time.has_value()) {
        return absl::InvalidArgumentError(
            "consumer seek needs exactly one of --offset N and --time "
            "RFC3339");
      }
      return absl::OkStatus();
    case Command::kSubscribe:
      if (args.start.consumer().empty()) {
        return absl::InvalidArgumentError("subscribe needs --consumer NAME");
      }
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

}  // namespace

absl::StatusOr<evrouter::v1::ExchangeKind> ParseExchangeKind(
    std::string_view text) {
  if (text == "fanout") return evrouter::v1::EXCHANGE_KIND_FANOUT;
  if (text == "direct") return evrouter::v1::EXCHANGE_KIND_DIRECT;
  if (text == "topic") return evrouter::v1::EXCHANGE_KIND_TOPIC;
  return absl::InvalidArgumentError(absl::StrCat(
      "--kind: '", std::string(text), "' is not one of fanout, direct, topic"));
}

absl::StatusOr<CliArgs> ParseArgs(const std::vector<std::string>& args,
                                  EnvLookup env) {
  std::vector<Flag> flags;
  std::vector<std::string> words;
  if (absl::Status status = SplitArgs(args, flags, words); !status.ok()) {
    return status;
  }
  CliArgs result;
  if (std::string server = env("EVROUTER_SERVER"); !server.empty()) {
    result.server = std::move(server);
  }
  for (const Flag& flag : flags) {
    if (flag.name == "help") return result;  // command stays kHelp
  }
  if (absl::Status status = ParseCommand(words, result); !status.ok()) {
    return status;
  }
  for (const Flag& flag : flags) {
    if (absl::Status status = ApplyFlag(flag, result); !status.ok()) {
      return status;
    }
  }
  if (absl::Status status = CheckCommandFlags(result); !status.ok()) {
    return status;
  }
  if (absl::Status status = ResolveCredentialArgs(env, result.credentials);
      !status.ok()) {
    return status;
  }
  return result;
}

absl::Status ParseStartPosition(std::string_view text,
                                evrouter::v1::SubscribeStart& start) {
  const std::string value(text);
  start.clear_offset();
  start.clear_time();
  if (value == "resume") {
    start.set_position(evrouter::v1::START_POSITION_RESUME);
  } else if (value == "earliest") {
    start.set_position(evrouter::v1::START_POSITION_EARLIEST);
  } else if (value == "latest") {
    start.set_position(evrouter::v1::START_POSITION_LATEST);
  } else if (!value.empty() &&
             absl::ascii_isdigit(static_cast<unsigned char>(value[0]))) {
    absl::Time time;
    std::string error;
    if (absl::ParseTime(absl::RFC3339_full, value, &time, &error)) {
      start.set_position(evrouter::v1::START_POSITION_TIME);
      *start.mutable_time() = client::ToTimestamp(time);
      return absl::OkStatus();
    }
    absl::StatusOr<uint64_t> offset =
        ParsePositive("from", value, std::numeric_limits<uint64_t>::max());
    if (!offset.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--from: '", value,
                       "' is neither a positive offset nor an RFC3339 time "
                       "(2024-01-02T03:04:05Z)"));
    }
    start.set_position(evrouter::v1::START_POSITION_OFFSET);
    start.set_offset(*offset);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--from: '", value,
                     "' is not resume, earliest, latest, an offset or an "
                     "RFC3339 time"));
  }
  return absl::OkStatus();
}

}  // namespace evrouter::cli
