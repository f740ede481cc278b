#ifndef EVROUTER_BENCH_WINDOWED_PUBLISHER_H_
#define EVROUTER_BENCH_WINDOWED_PUBLISHER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "bench/latency_recorder.h"
#include "client/evrouter_client.h"

namespace evrouter::bench {

struct WindowedPublishOptions {
  std::string exchange;
  std::string type = "bench.event";
  uint64_t events = 0;
  uint32_t batch = 100;    // events per PublishStream batch
  uint32_t window = 10;    // unacknowledged batches at most
  bool timestamps = true;  // false: payload timestamps are 0 (not measured)
};

struct WindowedPublishResult {
  uint64_t events = 0;
  double seconds = 0;  // first send to last ack
  // Publish-ack latency: ack time - send time of the batch, once per event.
  LatencyRecorder ack_latency;
};

// Publishes `events` events over one PublishStream as fast as the window
// allows: a sender thread that blocks while `window` batches are unacked and
// a reader thread taking the acks. Fails on the first rejected batch or
// broken stream.
absl::StatusOr<WindowedPublishResult> PublishWindowed(
    client::Client& client, const WindowedPublishOptions& options);

}  // namespace evrouter::bench

#endif  // EVROUTER_BENCH_WINDOWED_PUBLISHER_H_
