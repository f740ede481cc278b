#include "client/cli/commands.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/cli/credentials.h"
#include "client/cli/event_input.h"
#include "client/cli/help_text.h"
#include "client/cli/interrupt_watcher.h"
#include "client/cli/output_format.h"
#include "client/cli/publish_lines.h"
#include "client/cli/subscribe_loop.h"

namespace evrouter::cli {
namespace {

// Where a command writes: results to `out`, errors and notes to `err`.
struct Output {
  std::ostream& out;
  std::ostream& err;
  std::string auth_hint;  // follows an UNAUTHENTICATED error
};

int Fail(const absl::Status& status, const Output& io) {
  io.err << FormatError(status);
  if (absl::IsUnauthenticated(status)) io.err << io.auth_hint;
  return kExitError;
}

int RunPublish(const CliArgs& args, client::Client& client, std::istream& in,
               const Output& io) {
  if (!args.payloads.empty()) {
    absl::StatusOr<std::vector<evrouter::v1::Event>> events =
        EventsFromPayloads(args.payloads, args.event_defaults, args.event_id);
    if (!events.ok()) {  // ParseArgs already rejects this usage
      io.err << "evrouter: " << events.status().message() << "\n";
      return kExitUsage;
    }
    absl::StatusOr<std::vector<evrouter::v1::PublishResult>> results =
        client.Publish(args.name, *std::move(events));
    if (!results.ok()) return Fail(results.status(), io);
    for (const evrouter::v1::PublishResult& result : *results) {
      io.out << FormatPublishResult(result, args.json);
    }
    return kExitOk;
  }
  std::unique_ptr<client::PublishStream> stream = client.OpenPublishStream();
  absl::Status status =
      PublishLines(*stream, args.name, in, args.event_defaults, LineBatching(),
                   [&](const evrouter::v1::PublishResult& result) {
                     io.out << FormatPublishResult(result, args.json);
                   });
  io.out.flush();
  if (!status.ok()) return Fail(status, io);
  return kExitOk;
}

// A subscription without --limit or --wait runs until stopped: when its
// stream reaches the stream deadline it subscribes again (RESUME, so it goes
// on after the last ack) instead of exiting.
int RunSubscribe(const CliArgs& args, client::Client& client,
                 const Output& io) {
  const bool endless = args.limit == 0 && args.wait == absl::ZeroDuration();
  evrouter::v1::SubscribeStart start = args.start;
  absl::Status status;
  for (;;) {
    std::unique_ptr<client::Subscription> subscription =
        client.Subscribe(start);
    SubscribeLoop loop(*subscription,
                       SubscribeLoopOptions{.json = args.json,
                                            .limit = args.limit,
                                            .idle_wait = args.wait,
                                            .close_grace = args.timeout});
    {
      InterruptWatcher watcher([&loop] { loop.Stop(); });
      status = loop.Run(io.out, io.err);
    }
    if (!(endless && absl::IsDeadlineExceeded(status) && !loop.stopping()))
      break;
    // Where the consumer is now, not where it started.
    start.set_position(evrouter::v1::START_POSITION_RESUME);
    start.clear_offset();
    start.clear_time();
    start.set_takeover(false);
  }
  io.out.flush();
  if (!status.ok()) return Fail(status, io);
  return kExitOk;
}

// Prints `result` with `format`, or the error.
template <typename T, typename Format>
int Print(const absl::StatusOr<T>& result, Format format, const Output& io) {
  if (!result.ok()) return Fail(result.status(), io);
  io.out << format(*result);
  return kExitOk;
}

// Prints `done` once `status` is OK, or the error.
int PrintDone(const absl::Status& status, const std::string& done,
              const Output& io) {
  if (!status.ok()) return Fail(status, io);
  io.out << done;
  return kExitOk;
}

int RunExchange(const CliArgs& args, client::Client& client, const Output& io) {
  const bool json = args.json;
  auto exchange = [json](const evrouter::v1::Exchange& e) {
    return FormatExchange(e, json);
  };
  switch (args.command) {
    case Command::kExchangeCreate:
      return Print(client.CreateExchange(args.name, args.kind), exchange, io);
    case Command::kExchangeGet:
      return Print(client.GetExchange(args.name), exchange, io);
    case Command::kExchangeList:
      return Print(
          client.ListExchanges(),
          [json](const std::vector<evrouter::v1::Exchange>& exchanges) {
            return FormatExchangeList(exchanges, json);
          },
          io);
    case Command::kExchangeDelete:
      return PrintDone(client.DeleteExchange(args.name),
                       FormatDeleted("exchange", args.name, json), io);
    default:
      return kExitUsage;
  }
}

int RunQueueOrConsumer(const CliArgs& args, client::Client& client,
                       const Output& io) {
  const bool json = args.json;
  auto queue = [json](const evrouter::v1::Queue& q) {
    return FormatQueue(q, json);
  };
  auto consumer = [json](const evrouter::v1::Consumer& c) {
    return FormatConsumer(c, json);
  };
  switch (args.command) {
    case Command::kQueueCreate:
      return Print(client.CreateQueue(args.name, args.exchange, args.bindings,
                                      args.limit_size, args.from_earliest),
                   queue, io);
    case Command::kQueueGet:
      return Print(client.GetQueue(args.name), queue, io);
    case Command::kQueueList:
      return Print(
          client.ListQueues(args.exchange),
          [json](const std::vector<evrouter::v1::Queue>& queues) {
            return FormatQueueList(queues, json);
          },
          io);
    case Command::kQueueDelete:
      return PrintDone(client.DeleteQueue(args.name),
                       FormatDeleted("queue", args.name, json), io);
    case Command::kConsumerCreate:
      return Print(client.CreateConsumer(args.queue, args.name), consumer, io);
    case Command::kConsumerList:
      return Print(
          client.ListConsumers(args.queue),
          [json](const std::vector<evrouter::v1::Consumer>& consumers) {
            return FormatConsumerList(consumers, json);
          },
          io);
    case Command::kConsumerSeek:
      return Print(
          args.seek_offset.has_value()
              ? client.SeekConsumer(args.queue, args.name, *args.seek_offset)
              : client.SeekConsumer(args.queue, args.name, *args.seek_time),
          consumer, io);
    case Command::kConsumerDelete:
      return PrintDone(
          client.DeleteConsumer(args.queue, args.name),
          FormatDeleted("consumer", absl::StrCat(args.queue, "/", args.name),
                        json),
          io);
    default:
      return kExitUsage;
  }
}

int RunUserOrToken(const CliArgs& args, client::Client& client,
                   const Output& io) {
  const bool json = args.json;
  auto user = [json](const evrouter::v1::User& u) {
    return FormatUser(u, json);
  };
  switch (args.command) {
    case Command::kUserCreate:
      return Print(client.CreateUser(args.name, args.permissions), user, io);
    case Command::kUserList:
      return Print(
          client.ListUsers(),
          [json](const std::vector<evrouter::v1::User>& users) {
            return FormatUserList(users, json);
          },
          io);
    case Command::kUserDelete:
      return PrintDone(client.DeleteUser(args.name),
                       FormatDeleted("user", args.name, json), io);
    case Command::kUserGrant:
      return Print(client.GrantPermission(args.name, args.permissions.at(0)),
                   user, io);
    case Command::kUserRevoke:
      return Print(client.RevokePermission(args.name, args.permissions.at(0)),
                   user, io);
    case Command::kTokenIssue: {
      absl::StatusOr<evrouter::v1::IssueTokenResponse> issued =
          client.IssueToken(args.name, args.description);
      if (!issued.ok()) return Fail(issued.status(), io);
      io.out << FormatIssuedToken(*issued, json);
      io.out.flush();
      if (!json) io.err << IssuedTokenNote(*issued);
      return kExitOk;
    }
    case Command::kTokenRevoke:
      return PrintDone(client.RevokeToken(args.token_id),
                       FormatRevokedToken(args.token_id, json), io);
    default:
      return kExitUsage;
  }
}

}  // namespace

int RunCommand(const CliArgs& args, client::Client& client, std::istream& in,
               std::ostream& out, std::ostream& err) {
  const Output io{.out = out,
                  .err = err,
                  .auth_hint = UnauthenticatedHint(
                      args.credentials, !client.options().token.empty())};
  switch (args.command) {
    case Command::kExchangeCreate:
    case Command::kExchangeGet:
    case Command::kExchangeList:
    case Command::kExchangeDelete:
      return RunExchange(args, client, io);
    case Command::kQueueCreate:
    case Command::kQueueGet:
    case Command::kQueueList:
    case Command::kQueueDelete:
    case Command::kConsumerCreate:
    case Command::kConsumerList:
    case Command::kConsumerSeek:
    case Command::kConsumerDelete:
      return RunQueueOrConsumer(args, client, io);
    case Command::kUserCreate:
    case Command::kUserList:
    case Command::kUserDelete:
    case Command::kUserGrant:
    case Command::kUserRevoke:
    case Command::kTokenIssue:
    case Command::kTokenRevoke:
      return RunUserOrToken(args, client, io);
    case Command::kPublish:
      return RunPublish(args, client, in, io);
    case Command::kSubscribe:
      return RunSubscribe(args, client, io);
    case Command::kStats:
      return Print(
          client.GetStats(),
          [&args](const evrouter::v1::Stats& stats) {
            return FormatStats(stats, args.json);
          },
          io);
    case Command::kHealth: {
      absl::StatusOr<grpc::health::v1::HealthCheckResponse::ServingStatus>
          health = client.Health(args.name);
      if (!health.ok()) return Fail(health.status(), io);
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
