#include "bench/windowed_publisher.h"

#include <algorithm>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bench/bench_payload.h"

namespace evrouter::bench {
namespace {

// State shared by the sender and the reader thread.
class Window {
 public:
  Window(uint64_t batches, uint64_t size) : size_(size), sent_at_(batches) {}

  // Blocks until fewer than `size` batches are unacked; false after Fail().
  bool WaitForRoom() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &Window::HasRoomOrFailed));
    return error_.ok();
  }
  void Sent(uint64_t batch, int64_t at_ns) {
    absl::MutexLock lock(&mu_);
    sent_at_[batch] = at_ns;
    ++in_flight_;
  }
  // Returns the send time of `batch`.
  int64_t Acked(uint64_t batch) {
    absl::MutexLock lock(&mu_);
    --in_flight_;
    return sent_at_[batch];
  }
  void Fail(absl::Status status) {
    absl::MutexLock lock(&mu_);
    if (error_.ok()) error_ = std::move(status);
  }
  absl::Status error() {
    absl::MutexLock lock(&mu_);
    return error_;
  }

 private:
  bool HasRoomOrFailed() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !error_.ok() || in_flight_ < size_;
  }

  const uint64_t size_;
  absl::Mutex mu_;
  uint64_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  // Send time of each batch (index batch_id - 1).
  std::vector<int64_t> sent_at_ ABSL_GUARDED_BY(mu_);
};

uint64_t BatchSize(const WindowedPublishOptions& options, uint64_t batch) {
  const uint64_t first = batch * options.batch;
  return std::min<uint64_t>(options.batch, options.events - first);
}

// The reader thread: one ack per batch, in order. Returns the last ack time.
int64_t ReadAcks(client::PublishStream& stream,
                 const WindowedPublishOptions& options, uint64_t batches,
                 Window& window, LatencyRecorder& latency) {
  latency.Reserve(options.events);
  int64_t last_ack_ns = 0;
  for (uint64_t batch = 0; batch < batches; ++batch) {
    absl::StatusOr<evrouter::v1::PublishStreamResponse> ack = stream.NextAck();
    const int64_t now = SteadyNowNs();
    if (!ack.ok()) {
      window.Fail(
          absl::Status(ack.status().code(),
                       absl::StrCat("publish stream to ", options.exchange,
                                    " ended after ", batch, " of ", batches,
                                    " acks: ", ack.status().message())));
      break;
    }
    const uint64_t expected = BatchSize(options, batch);
    if (ack->error_code() != 0 || ack->batch_id() != batch + 1 ||
        static_cast<uint64_t>(ack->results_size()) != expected) {
      window.Fail(absl::InternalError(
          absl::StrCat("publish to ", options.exchange, ": batch ", batch + 1,
                       " got the ack of batch ", ack->batch_id(), " with ",
                       ack->results_size(), " results, error code ",
                       ack->error_code(), " ", ack->error_message())));
      break;
    }
    latency.AddMany(now - window.Acked(batch), expected);
    last_ack_ns = now;
  }
  return last_ack_ns;
}

}  // namespace

absl::StatusOr<WindowedPublishResult> PublishWindowed(
    client::Client& client, const WindowedPublishOptions& options) {
  const uint64_t batch_size = std::max<uint32_t>(1, options.batch);
  const uint64_t batches = (options.events + batch_size - 1) / batch_size;
  Window window(batches, std::max<uint32_t>(1, options.window));
  std::unique_ptr<client::PublishStream> stream = client.OpenPublishStream();
  WindowedPublishResult result;
  int64_t last_ack_ns = 0;
  std::thread reader([&] {
    last_ack_ns =
        ReadAcks(*stream, options, batches, window, result.ack_latency);
  });
  const int64_t start_ns = SteadyNowNs();
  for (uint64_t batch = 0; batch < batches; ++batch) {
    if (!window.WaitForRoom()) break;
    const uint64_t size = BatchSize(options, batch);
    std::vector<evrouter::v1::Event> events;
    events.reserve(size);
    const int64_t now = SteadyNowNs();
    for (uint64_t i = 0; i < size; ++i) {
      events.push_back(MakeEvent(options.type, options.timestamps ? now : 0));
    }
    window.Sent(batch, SteadyNowNs());
    if (!stream->Send(options.exchange, std::move(events)).ok()) {
      break;  // the stream broke: the reader reports why
    }
  }
  reader.join();
  if (absl::Status error = window.error(); !error.ok()) return error;
  absl::StatusOr<std::vector<evrouter::v1::PublishStreamResponse>> rest =
      stream->Close();
  if (!rest.ok()) return rest.status();
  result.events = options.events;
  result.seconds = static_cast<double>(last_ack_ns - start_ns) / 1e9;
  return result;
}

}  // namespace evrouter::bench
