#include "client/cli/commands.h"

#include <utility>

#include "client/cli/event_input.h"
#include "client/cli/output_format.h"
#include "client/cli/publish_lines.h"

namespace evrouter::cli {
namespace {

int Fail(const absl::Status& status, std::ostream& err) {
  err << FormatError(status);
  return kExitError;
}

int RunPublish(const CliArgs& args, client::Client& client, std::istream& in,
               std::ostream& out, std::ostream& err) {
  if (!args.payloads.empty()) {
    absl::StatusOr<std::vector<evrouter::v1::Event>> events =
        EventsFromPayloads(args.payloads, args.event_defaults, args.event_id);
    if (!events.ok()) {  // ParseArgs already rejects this usage
      err << "evrouter: " << events.status().message() << "\n";
      return kExitUsage;
    }
    absl::StatusOr<std::vector<evrouter::v1::PublishResult>> results =
        client.Publish(args.name, *std::move(events));
    if (!results.ok()) return Fail(results.status(), err);
    for (const evrouter::v1::PublishResult& result : *results) {
      out << FormatPublishResult(result, args.json);
    }
    return kExitOk;
  }
  std::unique_ptr<client::PublishStream> stream = client.OpenPublishStream();
  absl::Status status =
      PublishLines(*stream, args.name, in, args.event_defaults, LineBatching(),
                   [&](const evrouter::v1::PublishResult& result) {
                     out << FormatPublishResult(result, args.json);
                   });
  out.flush();
  if (!status.ok()) return Fail(status, err);
  return kExitOk;
}

}  // namespace

int RunCommand(const CliArgs& args, client::Client& client, std::istream& in,
               std::ostream& out, std::ostream& err) {
  switch (args.command) {
    case Command::kExchangeCreate: {
      absl::StatusOr<evrouter::v1::Exchange> exchange =
          client.CreateExchange(args.name, args.kind);
      if (!exchange.ok()) return Fail(exchange.status(), err);
      out << FormatExchange(*exchange, args.json);
      return kExitOk;
    }
    case Command::kExchangeGet: {
      absl::StatusOr<evrouter::v1::Exchange> exchange =
          client.GetExchange(args.name);
      if (!exchange.ok()) return Fail(exchange.status(), err);
      out << FormatExchange(*exchange, args.json);
      return kExitOk;
    }
    case Command::kExchangeList: {
      absl::StatusOr<std::vector<evrouter::v1::Exchange>> exchanges =
          client.ListExchanges();
      if (!exchanges.ok()) return Fail(exchanges.status(), err);
      out << FormatExchangeList(*exchanges, args.json);
      return kExitOk;
    }
    case Command::kExchangeDelete: {
      absl::Status status = client.DeleteExchange(args.name);
      if (!status.ok()) return Fail(status, err);
      out << FormatDeleted(args.name, args.json);
      return kExitOk;
    }
    case Command::kPublish:
      return RunPublish(args, client, in, out, err);
    case Command::kHealth: {
      absl::StatusOr<grpc::health::v1::HealthCheckResponse::ServingStatus>
          health = client.Health(args.name);
      if (!health.ok()) return Fail(health.status(), err);
      out << FormatHealth(*health, args.json);
      return *health == grpc::health::v1::HealthCheckResponse::SERVING
                 ? kExitOk
                 : kExitError;
    }
    case Command::kHelp:
      out << HelpText();
      return kExitOk;
  }
  return kExitUsage;
}

}  // namespace evrouter::cli
