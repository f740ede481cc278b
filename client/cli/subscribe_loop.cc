#include "client/cli/subscribe_loop.h"

#include <thread>

#include "absl/strings/str_cat.h"
#include "client/cli/output_format.h"

namespace evrouter::cli {

SubscribeLoop::SubscribeLoop(client::Subscription& subscription,
                             SubscribeLoopOptions options)
    : subscription_(subscription), options_(options) {}

void SubscribeLoop::Stop() {
  absl::MutexLock lock(&mu_);
  stop_requested_ = true;
  changed_.Signal();
}

uint64_t SubscribeLoop::printed() const {
  absl::MutexLock lock(&mu_);
  return printed_;
}

bool SubscribeLoop::stopping() const {
  absl::MutexLock lock(&mu_);
  return closing_ || stop_requested_;
}

absl::Status SubscribeLoop::Run(std::ostream& out, std::ostream& err) {
  {
    absl::MutexLock lock(&mu_);
    last_activity_ = absl::Now();
  }
  std::thread control([this] { ControlLoop(); });
  const absl::Status status = ReadLoop(out, err);
  absl::Status cancelled;
  {
    absl::MutexLock lock(&mu_);
    done_ = true;
    cancelled = cancelled_;
    changed_.Signal();
  }
  control.join();
  if (!cancelled.ok() && status.code() == absl::StatusCode::kCancelled) {
    return cancelled;
  }
  return status;
}

absl::Status SubscribeLoop::ReadLoop(std::ostream& out, std::ostream& err) {
  uint64_t printed = 0;
  uint64_t last_offset = 0;  // of the last printed event
  for (;;) {
    absl::StatusOr<evrouter::v1::SubscribeResponse> response =
        subscription_.Next();
    if (!response.ok()) {
      // OUT_OF_RANGE: the server ended the stream with OK.
      if (absl::IsOutOfRange(response.status())) return absl::OkStatus();
      return response.status();
    }
    {
      absl::MutexLock lock(&mu_);
      // Half-closed: no more acks, so these stay for the next subscription.
      if (closing_) continue;
      busy_ = true;
    }
    int shown = 0;
    for (const evrouter::v1::Event& event : response->events()) {
      if (options_.limit != 0 && printed >= options_.limit) break;
      out << FormatEvent(event, options_.json);
      ++printed;
      ++shown;
      last_offset = event.offset();
    }
    out.flush();
    const bool output_ok = static_cast<bool>(out);
    if (output_ok && shown > 0) {
      // A broken stream shows in the next Next().
      subscription_.Ack(last_offset).IgnoreError();
    }
    if (output_ok && response->caught_up() && !options_.json) {
      if (printed > 0) {
        err << "caught up at offset " << last_offset << "\n";
      } else {
        err << "caught up, no new events\n";
      }
    }
    const bool limit_reached = options_.limit != 0 && printed >= options_.limit;
    bool half_close = false;
    {
      absl::MutexLock lock(&mu_);
      busy_ = false;
      printed_ = printed;
      if (shown > 0) last_activity_ = absl::Now();
      if (limit_reached && !closing_) {
        closing_ = true;
        close_deadline_ = absl::Now() + options_.close_grace;
        half_close = true;
      }
      changed_.Signal();
    }
    if (!output_ok) {
      // Not acknowledged: the consumer gets these events again.
      subscription_.Cancel();
      return absl::DataLossError("cannot write the events to the output");
    }
    if (half_close) subscription_.HalfClose();
  }
}

void SubscribeLoop::ControlLoop() {
  for (;;) {
    switch (NextAction()) {
      case Action::kHalfClose:
        subscription_.HalfClose();
        break;
      case Action::kCancel:
        subscription_.Cancel();
        break;
      case Action::kExit:
        return;
    }
  }
}

SubscribeLoop::Action SubscribeLoop::NextAction() {
  const bool has_idle_wait = options_.idle_wait > absl::ZeroDuration();
  absl::MutexLock lock(&mu_);
  for (;;) {
    if (done_) return Action::kExit;
    const absl::Time now = absl::Now();
    if (closing_ && cancelled_.ok() && now >= close_deadline_) {
      cancelled_ = absl::DeadlineExceededError(
          absl::StrCat("the server did not end the stream within ",
                       absl::FormatDuration(options_.close_grace),
                       " of the half-close; the last ack may be lost"));
      return Action::kCancel;
    }
    if (!closing_ && !busy_ &&
        (stop_requested_ ||
         (has_idle_wait && now >= last_activity_ + options_.idle_wait))) {
      closing_ = true;
      close_deadline_ = now + options_.close_grace;
      return Action::kHalfClose;
    }
    absl::Time wake = absl::InfiniteFuture();
    if (closing_) {
      if (cancelled_.ok()) wake = close_deadline_;
    } else if (!busy_ && has_idle_wait) {
      wake = last_activity_ + options_.idle_wait;
    }
    changed_.WaitWithDeadline(&mu_, wake);
  }
}

}  // namespace evrouter::cli
