#include "bench/paced_publisher.h"

#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/bench_payload.h"
#include "bench/workload_context.h"

namespace evrouter::bench {

PacedPublisher::PacedPublisher(client::Client& client, std::string exchange,
                               double rate,
                               std::optional<absl::Duration> duration)
    : client_(OwnConnection(client)),
      exchange_(std::move(exchange)),
      rate_(rate),
      duration_(duration) {}

PacedPublisher::~PacedPublisher() {
  if (sender_.joinable() || reader_.joinable()) {
    stop_.Notify();
    if (stream_ != nullptr) Fail(absl::CancelledError("publisher destroyed"));
    if (sender_.joinable()) sender_.join();
    if (reader_.joinable()) reader_.join();
  }
}

int64_t PacedPublisher::DueNs(uint64_t index) const {
  return start_ns_ +
         static_cast<int64_t>(static_cast<double>(index) * 1e9 / rate_);
}

void PacedPublisher::Fail(absl::Status status) {
  absl::MutexLock lock(&mu_);
  if (error_.ok()) error_ = std::move(status);
}

void PacedPublisher::Start() {
  stream_ = client_.OpenPublishStream();
  start_ns_ = SteadyNowNs();
  sender_ = std::thread([this] { SendLoop(); });
  reader_ = std::thread([this] { ReadLoop(); });
}

void PacedPublisher::SendLoop() {
  const int64_t end_ns = duration_.has_value()
                             ? start_ns_ + absl::ToInt64Nanoseconds(*duration_)
                             : std::numeric_limits<int64_t>::max();
  for (uint64_t i = 0;; ++i) {
    const int64_t due = DueNs(i);
    if (due >= end_ns || stop_.HasBeenNotified()) break;
    {
      absl::MutexLock lock(&mu_);
      if (!error_.ok()) break;
    }
    if (SteadyNowNs() < due) {
      std::this_thread::sleep_until(
          std::chrono::steady_clock::time_point(std::chrono::nanoseconds(due)));
    }
    std::vector<evrouter::v1::Event> events;
    events.push_back(MakeEvent("bench.paced", due));
    send_delay_.Add(SteadyNowNs() - due);
    {
      absl::MutexLock lock(&mu_);
      ++sent_;
    }
    if (!stream_->Send(exchange_, std::move(events)).ok()) {
      // The stream broke; the reader learns why. This event gets no ack.
      absl::MutexLock lock(&mu_);
      --sent_;
      break;
    }
  }
  absl::MutexLock lock(&mu_);
  sending_done_ = true;
}

void PacedPublisher::ReadLoop() {
  for (uint64_t index = 0;; ++index) {
    {
      // Read an ack only when one is owed, so the loop ends once the sender
      // is done and everything sent is acked.
      absl::MutexLock lock(&mu_);
      auto owed_or_done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return sent_ > acked_locked_ || sending_done_ || !error_.ok();
      };
      mu_.Await(absl::Condition(&owed_or_done));
      if (!error_.ok() || sent_ == acked_locked_) return;
    }
    absl::StatusOr<evrouter::v1::PublishStreamResponse> ack =
        stream_->NextAck();
    const int64_t now = SteadyNowNs();
    if (!ack.ok()) {
      Fail(absl::Status(
          ack.status().code(),
          absl::StrCat("publish stream to ", exchange_, " ended after ", index,
                       " acks: ", ack.status().message())));
      return;
    }
    if (ack->error_code() != 0 || ack->batch_id() != index + 1 ||
        ack->results_size() != 1) {
      Fail(absl::InternalError(absl::StrCat(
          "publish to ", exchange_, ": event ", index + 1,
          " got the ack of batch ", ack->batch_id(), ", error code ",
          ack->error_code(), " ", ack->error_message())));
      return;
    }
    ack_latency_.Add(now - DueNs(index));
    last_ack_ns_ = now;
    absl::MutexLock lock(&mu_);
    ++acked_locked_;
    acked_.store(acked_locked_, std::memory_order_release);
  }
}

absl::StatusOr<PacedPublishResult> PacedPublisher::Finish() {
  if (!duration_.has_value()) stop_.Notify();
  sender_.join();
  reader_.join();
  absl::Status error;
  {
    absl::MutexLock lock(&mu_);
    error = error_;
  }
  if (!error.ok()) return error;
  absl::StatusOr<std::vector<evrouter::v1::PublishStreamResponse>> rest =
      stream_->Close();
  if (!rest.ok()) return rest.status();
  PacedPublishResult result;
  result.events = acked();
  result.seconds = static_cast<double>(last_ack_ns_ - start_ns_) / 1e9;
  result.ack_latency.Merge(ack_latency_);
  result.send_delay.Merge(send_delay_);
  return result;
}

}  // namespace evrouter::bench
