// W3 (end-to-end latency), W4 (fan-out) and W5 (replay).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/bench_payload.h"
#include "bench/paced_publisher.h"
#include "bench/proc_stats.h"
#include "bench/subscription_reader.h"
#include "bench/windowed_publisher.h"
#include "bench/workloads.h"

namespace evrouter::bench {
namespace {

// How long subscribers may take to receive what was published, after the
// publisher stopped, before events count as missing.
constexpr absl::Duration kDrainTimeout = absl::Seconds(30);

absl::Status CreateFanoutQueue(client::Client& client, const std::string& name,
                               const std::string& exchange,
                               bool from_earliest = false) {
  absl::StatusOr<evrouter::v1::Queue> queue =
      client.CreateQueue(name, exchange, {}, 0, from_earliest);
  if (!queue.ok()) {
    return absl::Status(
        queue.status().code(),
        absl::StrCat("CreateQueue ", name, ": ", queue.status().message()));
  }
  return absl::OkStatus();
}

evrouter::v1::SubscribeStart StartOf(const std::string& queue,
                                     evrouter::v1::StartPosition position,
                                     uint32_t max_in_flight = 0) {
  evrouter::v1::SubscribeStart start;
  start.set_queue(queue);
  start.set_consumer("c");
  start.set_position(position);
  start.set_max_in_flight(max_in_flight);
  return start;
}

// Waits until `reader` received `count` events; an error naming what is
// missing otherwise.
absl::Status AwaitAll(const SubscriptionReader& reader, absl::string_view queue,
                      uint64_t count) {
  if (reader.WaitForReceived(count, kDrainTimeout)) return absl::OkStatus();
  if (absl::Status error = reader.error(); !error.ok()) return error;
  return absl::DataLossError(absl::StrCat(
      "queue ", queue, ": received ", reader.received(), " of ", count,
      " events within ", absl::FormatDuration(kDrainTimeout),
      " after the publisher stopped"));
}

// Publish-ack percentiles, and the p99 of the publisher's own send delay.
void SetPublisherFields(BenchResult& result, PacedPublishResult& published) {
  std::optional<LatencySummary> acks = published.ack_latency.Summarize();
  result.SetNumber("publish_ack_p50_ms",
                   acks ? std::optional(acks->p50_ms) : std::nullopt);
  result.SetNumber("publish_ack_p99_ms",
                   acks ? std::optional(acks->p99_ms) : std::nullopt);
  result.SetNumber("publish_ack_p999_ms",
                   acks ? std::optional(acks->p999_ms) : std::nullopt);
  std::optional<LatencySummary> delay = published.send_delay.Summarize();
  result.SetNumber("publisher_send_delay_p99_ms",
                   delay ? std::optional(delay->p99_ms) : std::nullopt);
}

}  // namespace

absl::StatusOr<BenchResult> RunEndToEndLatency(const WorkloadContext& context) {
  const BenchOptions& options = *context.options;
  client::Client& client = *context.client;
  absl::StatusOr<std::unique_ptr<ScopedExchange>> exchange =
      ScopedExchange::Create(context, context.Name("w3"));
  if (!exchange.ok()) return exchange.status();
  const std::string queue = context.Name("w3-q");
  if (absl::Status created =
          CreateFanoutQueue(client, queue, (*exchange)->name());
      !created.ok()) {
    return created;
  }
  SubscriptionReader reader(
      client, StartOf(queue, evrouter::v1::START_POSITION_RESUME));
  reader.Start();
  reader.WaitForCaughtUp(absl::Seconds(5));  // attached before publishing
  if (absl::Status error = reader.error(); !error.ok()) return error;

  ResourceMeter meter = context.StartMeter();
  PacedPublisher publisher(client, (*exchange)->name(), options.w3_rate,
                           absl::Seconds(options.w3_seconds));
  publisher.Start();
  absl::StatusOr<PacedPublishResult> published = publisher.Finish();
  if (!published.ok()) return published.status();
  absl::Status all = AwaitAll(reader, queue, published->events);
  ResourceUsage usage = meter.Finish();
  absl::Status stopped = reader.Stop(/*cancel=*/!all.ok());
  if (!all.ok()) return all;
  if (!stopped.ok()) return stopped;

  BenchResult result("W3");
  SetCommonFields(result, context, published->events, published->seconds,
                  static_cast<double>(published->events) / published->seconds,
                  reader.latency().Summarize(), usage, published->events);
  SetPublisherFields(result, *published);
  result.SetNumber("rate", options.w3_rate);
  return result;
}

absl::StatusOr<BenchResult> RunFanOut(const WorkloadContext& context) {
  const BenchOptions& options = *context.options;
  client::Client& client = *context.client;
  absl::StatusOr<std::unique_ptr<ScopedExchange>> exchange =
      ScopedExchange::Create(context, context.Name("w4"));
  if (!exchange.ok()) return exchange.status();
  std::vector<std::string> queues;
  std::vector<std::unique_ptr<SubscriptionReader>> readers;
  for (uint32_t i = 0; i < options.w4_queues; ++i) {
    queues.push_back(context.Name(absl::StrCat("w4-q", i)));
    if (absl::Status created =
            CreateFanoutQueue(client, queues.back(), (*exchange)->name());
        !created.ok()) {
      return created;
    }
    readers.push_back(std::make_unique<SubscriptionReader>(
        client, StartOf(queues.back(), evrouter::v1::START_POSITION_RESUME)));
    readers.back()->Start();
  }
  for (auto& reader : readers) {
    reader->WaitForCaughtUp(absl::Seconds(5));
    if (absl::Status error = reader->error(); !error.ok()) return error;
  }

  auto received_total = [&readers] {
    uint64_t total = 0;
    for (auto& reader : readers) total += reader->received();
    return total;
  };
  // Events the server stored but a subscriber has not received yet.
  auto lag_of = [&readers](uint64_t published) {
    uint64_t lag = 0;
    for (auto& reader : readers) {
      lag += published - std::min(published, reader->received());
    }
    return lag;
  };

  ResourceMeter meter = context.StartMeter();
  const int64_t start_ns = SteadyNowNs();
  PacedPublisher publisher(client, (*exchange)->name(), options.w4_rate,
                           absl::Seconds(options.w4_seconds));
  publisher.Start();
  uint64_t max_lag = 0;
  const absl::Time publish_end =
      absl::Now() + absl::Seconds(options.w4_seconds);
  while (absl::Now() < publish_end) {
    absl::SleepFor(std::min(absl::Seconds(1), publish_end - absl::Now()));
    max_lag = std::max(max_lag, lag_of(publisher.acked()));
    for (auto& reader : readers) {
      if (absl::Status error = reader->error(); !error.ok()) return error;
    }
  }
  absl::StatusOr<PacedPublishResult> published = publisher.Finish();
  if (!published.ok()) return published.status();
  const uint64_t events = published->events;
  absl::SleepFor(absl::Seconds(2));
  const uint64_t final_lag = lag_of(events);
  absl::Status all = absl::OkStatus();
  for (size_t i = 0; i < readers.size() && all.ok(); ++i) {
    all = AwaitAll(*readers[i], queues[i], events);
  }
  ResourceUsage usage = meter.Finish();
  int64_t last_ns = start_ns;
  for (auto& reader : readers) {
    last_ns = std::max(last_ns, reader->last_receive_ns());
  }
  const uint64_t deliveries = received_total();
  LatencyRecorder latency;
  for (auto& reader : readers) {
    absl::Status stopped = reader->Stop(/*cancel=*/!all.ok());
    if (all.ok() && !stopped.ok()) all = stopped;
    latency.Merge(reader->latency());
  }
  if (!all.ok()) return all;

  const double delivery_seconds = static_cast<double>(last_ns - start_ns) / 1e9;
  BenchResult result("W4");
  SetCommonFields(result, context, events, published->seconds,
                  static_cast<double>(events) / published->seconds,
                  latency.Summarize(), usage, events);
  SetPublisherFields(result, *published);
  result.SetInt("queues", options.w4_queues);
  result.SetInt("deliveries", static_cast<int64_t>(deliveries));
  result.SetNumber("deliveries_per_sec",
                   static_cast<double>(deliveries) / delivery_seconds);
  result.SetNumber("expected_deliveries_per_sec",
                   options.w4_rate * options.w4_queues);
  result.SetInt("final_lag", static_cast<int64_t>(final_lag));
  result.SetInt("max_lag", static_cast<int64_t>(max_lag));
  result.SetNumber("server_cpu_s_per_million_deliveries",
                   CpuPerMillion(usage, deliveries));
  return result;
}

absl::StatusOr<BenchResult> RunReplay(const WorkloadContext& context) {
  const BenchOptions& options = *context.options;
  client::Client& client = *context.client;
  absl::StatusOr<std::unique_ptr<ScopedExchange>> exchange =
      ScopedExchange::Create(context, context.Name("w5"));
  if (!exchange.ok()) return exchange.status();

  // The backlog: not measured, no timestamps (no latency samples).
  WindowedPublishOptions backlog;
  backlog.exchange = (*exchange)->name();
  backlog.type = "bench.backlog";
  backlog.events = options.w5_events;
  backlog.timestamps = false;
  absl::StatusOr<WindowedPublishResult> stored =
      PublishWindowed(client, backlog);
  if (!stored.ok()) return stored.status();
  const std::string queue = context.Name("w5-q");
  if (absl::Status created =
          CreateFanoutQueue(client, queue, (*exchange)->name(),
                            /*from_earliest=*/true);
      !created.ok()) {
    return created;
  }

  std::optional<double> rss_before_mb;
  if (context.server_pid.has_value()) {
    if (std::optional<uint64_t> rss = ReadRssBytes(*context.server_pid)) {
      rss_before_mb = static_cast<double>(*rss) / (1024.0 * 1024.0);
    }
  }
  ResourceMeter meter = context.StartMeter();
  PacedPublisher background(client, (*exchange)->name(), options.w5_rate,
                            std::nullopt);
  background.Start();
  SubscriptionReader reader(
      client, StartOf(queue, evrouter::v1::START_POSITION_EARLIEST, 10'000));
  const int64_t subscribe_ns = SteadyNowNs();
  reader.Start();
  // Generous: far slower than any useful catch-up rate.
  const absl::Duration catch_up_timeout =
      absl::Seconds(60) +
      absl::Seconds(static_cast<double>(options.w5_events) / 5'000);
  const bool caught_up = reader.WaitForCaughtUp(catch_up_timeout);
  ResourceUsage usage = meter.Finish();
  absl::StatusOr<PacedPublishResult> published = background.Finish();
  if (!caught_up) {
    reader.Stop(/*cancel=*/true).IgnoreError();
    if (absl::Status error = reader.error(); !error.ok()) return error;
    return absl::DeadlineExceededError(absl::StrCat(
        "W5: consumer not caught up within ",
        absl::FormatDuration(catch_up_timeout), " (received ",
        reader.received(), " of ", options.w5_events, " stored events)"));
  }
  if (!published.ok()) return published.status();
  const uint64_t total = options.w5_events + published->events;
  absl::Status all = AwaitAll(reader, queue, total);
  absl::Status stopped = reader.Stop(/*cancel=*/!all.ok());
  if (!all.ok()) return all;
  if (!stopped.ok()) return stopped;

  const SubscriptionReader::CaughtUp at = *reader.caught_up();
  const double seconds = static_cast<double>(at.at_ns - subscribe_ns) / 1e9;
  BenchResult result("W5");
  SetCommonFields(result, context, options.w5_events, seconds,
                  static_cast<double>(at.received) / seconds,
                  reader.latency().Summarize(), usage, at.received);
  result.SetInt("catchup_events", static_cast<int64_t>(at.received));
  result.SetInt("background_events", static_cast<int64_t>(published->events));
  result.SetInt("received_events", static_cast<int64_t>(reader.received()));
  result.SetNumber("server_rss_before_mb", rss_before_mb);
  std::optional<double> growth;
  if (rss_before_mb.has_value() && usage.server_peak_rss_mb.has_value()) {
    growth = std::max(0.0, *usage.server_peak_rss_mb - *rss_before_mb);
  }
  result.SetNumber("rss_growth_mb", growth);
  SetPublisherFields(result, *published);
  return result;
}

}  // namespace evrouter::bench
