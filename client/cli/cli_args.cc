#include "client/cli/cli_args.h"

#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace evrouter::cli {
namespace {

enum class FlagKind { kBool, kValue };

struct FlagSpec {
  std::string_view name;
  FlagKind kind;
};

constexpr FlagSpec kFlags[] = {
    {"server", FlagKind::kValue},  {"json", FlagKind::kBool},
    {"timeout", FlagKind::kValue}, {"help", FlagKind::kBool},
    {"kind", FlagKind::kValue},    {"type", FlagKind::kValue},
    {"source", FlagKind::kValue},  {"content-type", FlagKind::kValue},
    {"header", FlagKind::kValue},  {"id", FlagKind::kValue},
};

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
    if (words.size() < 2) {
      return absl::InvalidArgumentError(
          "missing exchange command (create, get, list, delete)");
    }
    const std::string& sub = words[1];
    const std::vector<std::string> operands(words.begin() + 2, words.end());
    if (sub == "list") {
      args.command = Command::kExchangeList;
      return CheckOperandCount(std::string("exchange list"), operands, 0, 0);
    }
    if (sub == "create") {
      args.command = Command::kExchangeCreate;
    } else if (sub == "get") {
      args.command = Command::kExchangeGet;
    } else if (sub == "delete") {
      args.command = Command::kExchangeDelete;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown exchange command '", sub, "'"));
    }
    absl::Status status =
        CheckOperandCount(absl::StrCat("exchange ", sub), operands, 1, 1);
    if (status.ok()) args.name = operands[0];
    return status;
  }
  if (command == "publish") {
    args.command = Command::kPublish;
    if (words.size() < 2) {
      return absl::InvalidArgumentError("publish needs an EXCHANGE");
    }
    args.name = words[1];
    args.payloads.assign(words.begin() + 2, words.end());
    return absl::OkStatus();
  }
  if (command == "health") {
    args.command = Command::kHealth;
    const std::vector<std::string> operands(words.begin() + 1, words.end());
    absl::Status status =
        CheckOperandCount(std::string("health"), operands, 0, 1);
    if (status.ok() && !operands.empty()) args.name = operands[0];
    return status;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown command '", command, "'"));
}

bool IsEventFlag(std::string_view name) {
  return name == "type" || name == "source" || name == "content-type" ||
         name == "header" || name == "id";
}

absl::Status ApplyFlag(const Flag& flag, CliArgs& args) {
  const std::string& name = flag.name;
  if (name == "server") {
    if (flag.value.empty()) {
      return absl::InvalidArgumentError("--server needs HOST:PORT");
    }
    args.server = flag.value;
  } else if (name == "json") {
    args.json = true;
  } else if (name == "timeout") {
    absl::Duration timeout;
    if (!absl::ParseDuration(flag.value, &timeout) ||
        timeout <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--timeout: '", flag.value, "' is not a positive duration (10s)"));
    }
    args.timeout = timeout;
  } else if (name == "kind") {
    if (args.command != Command::kExchangeCreate) {
      return absl::InvalidArgumentError(
          "--kind only applies to 'exchange create'");
    }
    absl::StatusOr<evrouter::v1::ExchangeKind> kind =
        ParseExchangeKind(flag.value);
    if (!kind.ok()) return kind.status();
    args.kind = *kind;
  } else if (IsEventFlag(name)) {
    if (args.command != Command::kPublish) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", name, " only applies to 'publish'"));
    }
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
  }
  return absl::OkStatus();
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
                                  std::string_view env_server) {
  std::vector<Flag> flags;
  std::vector<std::string> words;
  if (absl::Status status = SplitArgs(args, flags, words); !status.ok()) {
    return status;
  }
  CliArgs result;
  if (!env_server.empty()) result.server = std::string(env_server);
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
  if (result.command == Command::kPublish && !result.payloads.empty() &&
      result.event_defaults.type.empty()) {
    return absl::InvalidArgumentError(
        "publish with PAYLOAD arguments needs --type");
  }
  // An id names one event: copying it onto several payloads or stdin lines
  // would store the first and report the rest as duplicates.
  if (result.command == Command::kPublish && !result.event_id.empty() &&
      result.payloads.size() != 1) {
    return absl::InvalidArgumentError(kIdNeedsOnePayload);
  }
  return result;
}

std::string ShortUsage() {
  return "usage: evrouter [--server HOST:PORT] [--json] [--timeout DURATION] "
         "COMMAND ...\n"
         "commands: exchange create|get|list|delete, publish, health, help\n"
         "run 'evrouter --help' for details\n";
}

std::string HelpText() {
  return absl::StrJoin(
      {
          "usage: evrouter [GLOBAL FLAGS] COMMAND [ARGS]",
          "",
          "Global flags:",
          "  --server HOST:PORT   server address (env EVROUTER_SERVER, "
          "default 127.0.0.1:50051)",
          "  --json               print one JSON object per line",
          "  --timeout DURATION   deadline per call, e.g. 500ms, 10s "
          "(default 10s)",
          "  --help, -h           print this help",
          "",
          "Commands:",
          "  exchange create NAME [--kind fanout|direct|topic]",
          "                       create an exchange (default kind fanout)",
          "  exchange get NAME    show one exchange",
          "  exchange list        list all exchanges",
          "  exchange delete NAME delete an exchange and its events",
          "  publish EXCHANGE --type T [--source S] [--content-type CT]",
          "          [--header K=V]... [--id UUID] [PAYLOAD ...]",
          "                       publish one event per PAYLOAD argument;",
          "                       without PAYLOAD, read one JSON event per "
          "line from",
          "                       stdin (evrouter.v1.Event, payload in "
          "base64); the",
          "                       flags fill fields a line leaves empty.",
          "                       --id names the event and needs exactly one "
          "PAYLOAD;",
          "                       stdin lines carry their own \"id\" (none = "
          "server-made)",
          "  health [SERVICE]     print the serving status; exit 0 only when "
          "SERVING",
          "  help                 print this help",
          "",
          "Exit codes: 0 success, 1 error from the server or input, 2 usage "
          "error.",
          "",
      },
      "\n");
}

}  // namespace evrouter::cli
