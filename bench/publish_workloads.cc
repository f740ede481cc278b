// W1 (streaming publish) and W2 (unary publish).
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "bench/bench_payload.h"
#include "bench/windowed_publisher.h"
#include "bench/workloads.h"
#include "client/channel.h"
#include "evrouter/v1/publisher.grpc.pb.h"

namespace evrouter::bench {
namespace {

using evrouter::v1::PublishRequest;
using evrouter::v1::PublishResponse;

// One in-flight unary Publish.
struct UnaryCall {
  grpc::ClientContext context;
  PublishRequest request;
  PublishResponse response;
  grpc::Status status;
  int64_t started_ns = 0;
  std::unique_ptr<grpc::ClientAsyncResponseReader<PublishResponse>> reader;
};

struct UnaryPublisherResult {
  absl::Status status;
  LatencyRecorder latency;
  int64_t last_done_ns = 0;
};

// One W2 publisher: its own channel (a connection of its own) and completion
// queue, keeping `in_flight` calls of one event each going until `events`
// are published.
void RunUnaryPublisher(const std::string& server, const std::string& token,
                       const std::string& exchange, uint64_t events,
                       uint32_t in_flight, UnaryPublisherResult& out) {
  std::shared_ptr<grpc::Channel> channel = client::CreateChannel(
      {.server = server, .own_connection = true, .token = token});
  std::unique_ptr<evrouter::v1::Publisher::Stub> stub =
      evrouter::v1::Publisher::NewStub(channel);
  grpc::CompletionQueue queue;
  out.latency.Reserve(events);
  uint64_t started = 0;
  uint64_t done = 0;
  auto start_call = [&] {
    auto* call = new UnaryCall;
    call->context.set_deadline(std::chrono::system_clock::now() +
                               std::chrono::seconds(60));
    call->request.set_exchange(exchange);
    call->started_ns = SteadyNowNs();
    *call->request.add_events() = MakeEvent("bench.unary", call->started_ns);
    call->reader =
        stub->PrepareAsyncPublish(&call->context, call->request, &queue);
    call->reader->StartCall();
    call->reader->Finish(&call->response, &call->status, call);
    ++started;
  };
  while (started < events && started < in_flight) start_call();
  while (done < started) {
    void* tag;
    bool ok;
    if (!queue.Next(&tag, &ok)) break;
    std::unique_ptr<UnaryCall> call(static_cast<UnaryCall*>(tag));
    const int64_t now = SteadyNowNs();
    ++done;
    if (!call->status.ok() || call->response.results_size() != 1) {
      if (out.status.ok()) {
        out.status = absl::Status(
            static_cast<absl::StatusCode>(call->status.error_code()),
            absl::StrCat("unary Publish to ", exchange,
                         " failed: ", call->status.error_message()));
      }
      continue;  // drain what is in flight, start nothing new
    }
    out.latency.Add(now - call->started_ns);
    out.last_done_ns = now;
    if (out.status.ok() && started < events) start_call();
  }
  queue.Shutdown();
  void* tag;
  bool ok;
  while (queue.Next(&tag, &ok)) delete static_cast<UnaryCall*>(tag);
}

}  // namespace

absl::StatusOr<BenchResult> RunStreamingPublish(const WorkloadContext& context,
                                                absl::string_view name,
                                                uint64_t events, uint32_t batch,
                                                uint32_t window) {
  absl::StatusOr<std::unique_ptr<ScopedExchange>> exchange =
      ScopedExchange::Create(context,
                             context.Name(absl::AsciiStrToLower(name)));
  if (!exchange.ok()) return exchange.status();
  WindowedPublishOptions options;
  options.exchange = (*exchange)->name();
  options.type = "bench.stream";
  options.events = events;
  options.batch = batch;
  options.window = window;
  ResourceMeter meter = context.StartMeter();
  absl::StatusOr<WindowedPublishResult> published =
      PublishWindowed(*context.client, options);
  ResourceUsage usage = meter.Finish();
  if (!published.ok()) return published.status();
  std::optional<LatencySummary> latency = published->ack_latency.Summarize();
  BenchResult result(name);
  SetCommonFields(result, context, events, published->seconds,
                  static_cast<double>(events) / published->seconds, latency,
                  usage, events);
  result.SetNumber("publish_ack_p99_ms",
                   latency ? std::optional(latency->p99_ms) : std::nullopt);
  result.SetInt("batch", batch);
  result.SetInt("window", window);
  return result;
}

absl::StatusOr<BenchResult> RunUnaryPublish(const WorkloadContext& context) {
  const BenchOptions& options = *context.options;
  absl::StatusOr<std::unique_ptr<ScopedExchange>> exchange =
      ScopedExchange::Create(context, context.Name("w2"));
  if (!exchange.ok()) return exchange.status();
  const uint32_t publishers = options.w2_publishers;
  std::vector<UnaryPublisherResult> results(publishers);
  std::vector<std::thread> threads;
  ResourceMeter meter = context.StartMeter();
  const int64_t start_ns = SteadyNowNs();
  for (uint32_t i = 0; i < publishers; ++i) {
    const uint64_t share =
        options.w2_events / publishers + (i < options.w2_events % publishers);
    threads.emplace_back([&, i, share] {
      RunUnaryPublisher(options.server, options.token, (*exchange)->name(),
                        share, options.w2_in_flight, results[i]);
    });
  }
  for (std::thread& thread : threads) thread.join();
  ResourceUsage usage = meter.Finish();
  LatencyRecorder latency;
  int64_t end_ns = start_ns;
  for (UnaryPublisherResult& publisher : results) {
    if (!publisher.status.ok()) return publisher.status;
    latency.Merge(publisher.latency);
    end_ns = std::max(end_ns, publisher.last_done_ns);
  }
  if (latency.size() != options.w2_events) {
    return absl::InternalError(absl::StrCat("W2: ", latency.size(), " of ",
                                            options.w2_events,
                                            " publishes completed"));
  }
  const double seconds = static_cast<double>(end_ns - start_ns) / 1e9;
  std::optional<LatencySummary> summary = latency.Summarize();
  BenchResult result("W2");
  SetCommonFields(result, context, options.w2_events, seconds,
                  static_cast<double>(options.w2_events) / seconds, summary,
                  usage, options.w2_events);
  result.SetNumber("publish_ack_p99_ms",
                   summary ? std::optional(summary->p99_ms) : std::nullopt);
  result.SetInt("publishers", publishers);
  result.SetInt("in_flight_per_publisher", options.w2_in_flight);
  return result;
}

}  // namespace evrouter::bench
