#ifndef EVROUTER_BENCH_SUBSCRIPTION_READER_H_
#define EVROUTER_BENCH_SUBSCRIPTION_READER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bench/latency_recorder.h"
#include "client/evrouter_client.h"

namespace evrouter::bench {

// One subscriber: a thread reading a Subscribe stream, acking cumulatively
// after every response, checking that offsets arrive in order without gaps
// (from `first_offset` on) and recording publish-to-receive latency from the
// payload timestamp (events with timestamp 0 are counted, not measured).
// It subscribes over a connection of its own (like a separate service would),
// so its stream does not share a TCP connection with publishers.
// Start() and Stop() from the owning thread; the counters from any thread.
class SubscriptionReader {
 public:
  SubscriptionReader(client::Client& client,
                     const evrouter::v1::SubscribeStart& start,
                     uint64_t first_offset = 1);
  SubscriptionReader(const SubscriptionReader&) = delete;
  SubscriptionReader& operator=(const SubscriptionReader&) = delete;
  ~SubscriptionReader();

  void Start();
  // Half-closes the stream and waits for the thread; with `cancel` the call
  // is cancelled instead (after an error). Returns the first error seen (a
  // gap, a duplicate or the stream failing before Stop()).
  absl::Status Stop(bool cancel = false);

  uint64_t received() const {
    return received_.load(std::memory_order_acquire);
  }
  // Steady-clock ns of the last event received; 0 before the first.
  int64_t last_receive_ns() const {
    return last_receive_ns_.load(std::memory_order_acquire);
  }
  // The time and count at the first response with caught_up set.
  struct CaughtUp {
    int64_t at_ns = 0;
    uint64_t received = 0;
  };
  std::optional<CaughtUp> caught_up() const;
  // The error so far, if any (the reader stopped at it).
  absl::Status error() const;
  // Waits until received() >= `count`, an error or `timeout`.
  bool WaitForReceived(uint64_t count, absl::Duration timeout) const;
  // Waits until caught up, an error or `timeout`.
  bool WaitForCaughtUp(absl::Duration timeout) const;

  // After Stop(): the latency samples (moved out).
  LatencyRecorder& latency() { return latency_; }

 private:
  void ReadLoop();
  void Fail(absl::Status status);

  client::Client client_;  // own connection
  const evrouter::v1::SubscribeStart start_;
  std::unique_ptr<client::Subscription> subscription_;
  std::thread thread_;
  uint64_t next_offset_;     // reader thread only
  LatencyRecorder latency_;  // reader thread only until Stop()
  std::atomic<uint64_t> received_{0};
  std::atomic<int64_t> last_receive_ns_{0};
  std::atomic<bool> stopping_{false};

  mutable absl::Mutex mu_;
  std::optional<CaughtUp> caught_up_ ABSL_GUARDED_BY(mu_);
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace evrouter::bench

#endif  // EVROUTER_BENCH_SUBSCRIPTION_READER_H_
