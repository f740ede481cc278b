#include "bench/subscription_reader.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "bench/bench_payload.h"
#include "bench/workload_context.h"

namespace evrouter::bench {

SubscriptionReader::SubscriptionReader(
    client::Client& client, const evrouter::v1::SubscribeStart& start,
    uint64_t first_offset)
    : client_(OwnConnection(client)),
      start_(start),
      next_offset_(first_offset) {}

SubscriptionReader::~SubscriptionReader() {
  if (thread_.joinable()) Stop(/*cancel=*/true).IgnoreError();
}

void SubscriptionReader::Start() {
  subscription_ = client_.Subscribe(start_);
  thread_ = std::thread([this] { ReadLoop(); });
}

void SubscriptionReader::Fail(absl::Status status) {
  absl::MutexLock lock(&mu_);
  if (error_.ok()) error_ = std::move(status);
}

void SubscriptionReader::ReadLoop() {
  const std::string who =
      absl::StrCat("subscriber ", start_.queue(), "/", start_.consumer());
  while (true) {
    absl::StatusOr<evrouter::v1::SubscribeResponse> response =
        subscription_->Next();
    const int64_t now = SteadyNowNs();
    if (!response.ok()) {
      if (!stopping_.load()) {
        Fail(absl::Status(
            response.status().code(),
            absl::StrCat(who, ": stream ended after ", received(),
                         " events: ", response.status().message())));
      }
      break;
    }
    for (const evrouter::v1::Event& event : response->events()) {
      if (event.offset() != next_offset_) {
        Fail(absl::DataLossError(absl::StrCat(
            who, ": expected offset ", next_offset_, ", got ", event.offset(),
            event.offset() < next_offset_ ? " (duplicate)" : " (gap)")));
        subscription_->Cancel();
        break;
      }
      ++next_offset_;
      if (int64_t sent = PayloadTimestamp(event.payload()); sent != 0) {
        latency_.Add(now - sent);
      }
    }
    if (!error().ok()) break;
    if (response->events_size() > 0) {
      received_.fetch_add(response->events_size(), std::memory_order_release);
      last_receive_ns_.store(now, std::memory_order_release);
      absl::Status acked = subscription_->Ack(next_offset_ - 1);
      if (!acked.ok() && !stopping_.load()) {
        Fail(absl::Status(acked.code(),
                          absl::StrCat(who, ": ack: ", acked.message())));
        break;
      }
    }
    if (response->caught_up()) {
      absl::MutexLock lock(&mu_);
      if (!caught_up_.has_value()) caught_up_ = CaughtUp{now, received()};
    }
  }
  absl::MutexLock lock(&mu_);
  ended_ = true;
}

absl::Status SubscriptionReader::Stop(bool cancel) {
  stopping_.store(true);
  if (subscription_ != nullptr) {
    if (cancel) {
      subscription_->Cancel();
    } else {
      subscription_->HalfClose();
    }
  }
  if (thread_.joinable()) thread_.join();
  return error();
}

std::optional<SubscriptionReader::CaughtUp> SubscriptionReader::caught_up()
    const {
  absl::MutexLock lock(&mu_);
  return caught_up_;
}

absl::Status SubscriptionReader::error() const {
  absl::MutexLock lock(&mu_);
  return error_;
}

bool SubscriptionReader::WaitForReceived(uint64_t count,
                                         absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  while (received() < count) {
    {
      absl::MutexLock lock(&mu_);
      if (!error_.ok() || ended_) return false;
    }
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

bool SubscriptionReader::WaitForCaughtUp(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return caught_up_.has_value() || !error_.ok() || ended_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  return caught_up_.has_value();
}

}  // namespace evrouter::bench
