#ifndef EVROUTER_BENCH_WORKLOADS_H_
#define EVROUTER_BENCH_WORKLOADS_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "bench/result_json.h"
#include "bench/workload_context.h"

namespace evrouter::bench {

// The workloads of issue 4. Each creates its own uniquely named exchange(s)
// and deletes them at the end, whatever the outcome; an error names what
// failed (a rejected publish, a missing event, ...).

// W1 (and W1w1): `events` events over one PublishStream in batches of
// `batch`, at most `window` batches unacked. p50/p99/p999 are publish-ack.
absl::StatusOr<BenchResult> RunStreamingPublish(const WorkloadContext& context,
                                                absl::string_view name,
                                                uint64_t events, uint32_t batch,
                                                uint32_t window);

// W2: unary Publish of one event, several publishers (a channel and a
// completion queue each) with many calls in flight. p50/p99/p999 are
// publish-ack (call) latencies.
absl::StatusOr<BenchResult> RunUnaryPublish(const WorkloadContext& context);

// W3: one open-loop publisher at a fixed rate, one subscriber;
// publish-to-receive percentiles and publish-ack p99.
absl::StatusOr<BenchResult> RunEndToEndLatency(const WorkloadContext& context);

// W4: one exchange, many queues with a subscriber each; deliveries/s, lag.
absl::StatusOr<BenchResult> RunFanOut(const WorkloadContext& context);

// W5: a stored backlog read by a new consumer while a background publisher
// adds events; catch-up rate and the server's RSS growth.
absl::StatusOr<BenchResult> RunReplay(const WorkloadContext& context);

// W6: its own evrouterd on a fresh database with many queues and consumers;
// time from restart to SERVING.
absl::StatusOr<BenchResult> RunScaleOfState(const WorkloadContext& context);

}  // namespace evrouter::bench

#endif  // EVROUTER_BENCH_WORKLOADS_H_
