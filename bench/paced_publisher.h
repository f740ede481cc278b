#ifndef EVROUTER_BENCH_PACED_PUBLISHER_H_
#define EVROUTER_BENCH_PACED_PUBLISHER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "bench/latency_recorder.h"
#include "client/evrouter_client.h"

namespace evrouter::bench {

struct PacedPublishResult {
  uint64_t events = 0;  // sent and acknowledged
  double seconds = 0;   // from the first due time to the last ack
  // Publish-ack latency, measured from each event's due time.
  LatencyRecorder ack_latency;
  // How late each event was handed to the stream (send time - due time):
  // the publisher's own delay (CPU, or the stream's flow control pushing
  // back), part of every latency above.
  LatencyRecorder send_delay;
};

// An open-loop publisher: event i (one event per PublishStream batch, no
// window) is due at t0 + i / rate and carries its due time in the payload,
// so latencies measured from it include any queueing (no coordinated
// omission). A sender and a reader thread; Start() once, then Finish() once,
// both from the owning thread. acked() may be read from any thread.
class PacedPublisher {
 public:
  // Publishes into `exchange` at `rate` events/s for `duration`, or until
  // Finish() when `duration` is nullopt, over a connection of its own to
  // `client`'s server.
  PacedPublisher(client::Client& client, std::string exchange, double rate,
                 std::optional<absl::Duration> duration);
  PacedPublisher(const PacedPublisher&) = delete;
  PacedPublisher& operator=(const PacedPublisher&) = delete;
  ~PacedPublisher();

  void Start();
  // Waits until the duration passed (or stops sending at once when there is
  // none), waits for every ack and ends the stream. Fails on a rejected
  // batch or a broken stream.
  absl::StatusOr<PacedPublishResult> Finish();

  // Events acknowledged so far.
  uint64_t acked() const { return acked_.load(std::memory_order_acquire); }

 private:
  void SendLoop();
  void ReadLoop();
  int64_t DueNs(uint64_t index) const;
  void Fail(absl::Status status);

  client::Client client_;  // own connection
  const std::string exchange_;
  const double rate_;
  const std::optional<absl::Duration> duration_;
  std::unique_ptr<client::PublishStream> stream_;
  int64_t start_ns_ = 0;
  absl::Notification stop_;
  std::thread sender_;
  std::thread reader_;
  std::atomic<uint64_t> acked_{0};
  int64_t last_ack_ns_ = 0;      // reader thread only until joined
  LatencyRecorder ack_latency_;  // reader thread only until joined
  LatencyRecorder send_delay_;   // sender thread only until joined

  absl::Mutex mu_;
  uint64_t sent_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t acked_locked_ ABSL_GUARDED_BY(mu_) = 0;
  bool sending_done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evrouter::bench

#endif  // EVROUTER_BENCH_PACED_PUBLISHER_H_
