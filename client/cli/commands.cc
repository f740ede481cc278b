#include "client/cli/commands.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/cli/event_input.h"
#include "client/cli/help_text.h"
#include "client/cli/interrupt_watcher.h"
#include "client/cli/output_format.h"
#include "client/cli/publish_lines.h"
#include "client/cli/subscribe_loop.h"

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

// A subscription without --limit or --wait runs until stopped: when its
// stream reaches the stream deadline it subscribes again (RESUME, so it goes
// on after the last ack) instead of exiting.
int RunSubscribe(const CliArgs& args, client::Client& client, std::ostream& out,
                 std::ostream& err) {
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
      status = loop.Run(out, err);
    }
    if (!(endless && absl::IsDeadlineExceeded(status) && !loop.stopping()))
      break;
    // Where the consumer is now, not where it started.
    start.set_position(evrouter::v1::START_POSITION_RESUME);
    start.clear_offset();
    start.clear_time();
    start.set_takeover(false);
  }
  out.flush();
  if (!status.ok()) return Fail(status, err);
  return kExitOk;
}

// Prints `result` with `format`, or the error.
template <typename T, typename Format>
int Print(const absl::StatusOr<T>& result, Format format, std::ostream& out,
          std::ostream& err) {
  if (!result.ok()) return Fail(result.status(), err);
  out << format(*result);
  return kExitOk;
}

int RunQueueOrConsumer(const CliArgs& args, client::Client& client,
                       std::ostream& out, std::ostream& err) {
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
                   queue, out, err);
    case Command::kQueueGet:
      return Print(client.GetQueue(args.name), queue, out, err);
    case Command::kQueueList:
      return Print(
          client.ListQueues(args.exchange),
          [json](const std::vector<evrouter::v1::Queue>& queues) {
            return FormatQueueList(queues, json);
          },
          out, err);
    case Command::kQueueDelete: {
      absl::Status status = client.DeleteQueue(args.name);
      if (!status.ok()) return Fail(status, err);
      out << FormatDeleted("queue", args.name, json);
      return kExitOk;
    }
    case Command::kConsumerCreate:
      return Print(client.CreateConsumer(args.queue, args.name), consumer, out,
                   err);
    case Command::kConsumerList:
      return Print(
          client.ListConsumers(args.queue),
          [json](const std::vector<evrouter::v1::Consumer>& consumers) {
            return FormatConsumerList(consumers, json);
          },
          out, err);
    case Command::kConsumerSeek:
      return Print(
          args.seek_offset.has_value()
              ? client.SeekConsumer(args.queue, args.name, *args.seek_offset)
              : client.SeekConsumer(args.queue, args.name, *args.seek_time),
          consumer, out, err);
    case Command::kConsumerDelete: {
      absl::Status status = client.DeleteConsumer(args.queue, args.name);
      if (!status.ok()) return Fail(status, err);
      out << FormatDeleted("consumer", absl::StrCat(args.queue, "/", args.name),
                           json);
      return kExitOk;
    }
    default:
      return kExitUsage;
  }
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
      out << FormatDeleted("exchange", args.name, args.json);
      return kExitOk;
    }
    case Command::kQueueCreate:
    case Command::kQueueGet:
    case Command::kQueueList:
    case Command::kQueueDelete:
    case Command::kConsumerCreate:
    case Command::kConsumerList:
    case Command::kConsumerSeek:
    case Command::kConsumerDelete:
      return RunQueueOrConsumer(args, client, out, err);
    case Command::kPublish:
      return RunPublish(args, client, in, out, err);
    case Command::kSubscribe:
      return RunSubscribe(args, client, out, err);
    case Command::kStats: {
      absl::StatusOr<evrouter::v1::Stats> stats = client.GetStats();
      if (!stats.ok()) return Fail(stats.status(), err);
      out << FormatStats(*stats, args.json);
      return kExitOk;
    }
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
