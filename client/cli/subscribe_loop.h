#ifndef EVROUTER_CLIENT_CLI_SUBSCRIBE_LOOP_H_
#define EVROUTER_CLIENT_CLI_SUBSCRIBE_LOOP_H_

#include <cstdint>
#include <ostream>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "client/subscription.h"

namespace evrouter::cli {

struct SubscribeLoopOptions {
  bool json = false;  // events as JSON lines; no "caught up" note on err
  // Stop after printing and acknowledging this many events; 0 = no limit.
  uint64_t limit = 0;
  // Stop once no event arrived for this long (caught_up-only responses do
  // not count); zero = never.
  absl::Duration idle_wait = absl::ZeroDuration();
  // After the half-close, how long the server may take to end the stream
  // before the call is cancelled.
  absl::Duration close_grace = absl::Seconds(10);
};

// Prints a subscription's events to `out` (see FormatEvent) and acknowledges
// each response's last printed offset once the lines are flushed. It stops
// at the limit, after the idle wait, or on Stop() by half-closing and
// draining until the server ends the stream, so the server has every ack
// when Run() returns OK; events arriving after the half-close are not
// printed (the consumer gets them next time). Run() runs once, on one
// thread; Stop() may be called from any thread, e.g. a signal handler
// thread.
class SubscribeLoop {
 public:
  SubscribeLoop(client::Subscription& subscription,
                SubscribeLoopOptions options);
  SubscribeLoop(const SubscribeLoop&) = delete;
  SubscribeLoop& operator=(const SubscribeLoop&) = delete;

  // OK when the stream ended normally (after a stop condition, or because
  // the server ended it with OK). Otherwise the stream's error; a stream
  // cancelled after close_grace is DEADLINE_EXCEEDED (the last ack may be
  // lost).
  absl::Status Run(std::ostream& out, std::ostream& err);

  // Ends Run() gracefully: after the ack being sent, half-close and drain.
  // Idempotent (wrappers like timeout(1) deliver a signal twice); the wait is
  // bounded by close_grace.
  void Stop();

  // Events printed (and acknowledged) so far.
  uint64_t printed() const;
  // True once the loop decided to end the stream (a limit, the idle wait or
  // Stop()): an error after that is not a reason to subscribe again.
  bool stopping() const;

 private:
  enum class Action { kHalfClose, kCancel, kExit };

  // The reader side: Next(), print, ack, until the stream ends.
  absl::Status ReadLoop(std::ostream& out, std::ostream& err);
  // Runs on its own thread during Run(): idle wait, Stop(), grace period.
  void ControlLoop();
  Action NextAction() ABSL_LOCKS_EXCLUDED(mu_);

  client::Subscription& subscription_;
  const SubscribeLoopOptions options_;

  mutable absl::Mutex mu_;
  absl::CondVar changed_;                   // any of the fields below changed
  bool busy_ ABSL_GUARDED_BY(mu_) = false;  // printing and acking
  bool closing_ ABSL_GUARDED_BY(mu_) = false;  // half-close decided
  bool done_ ABSL_GUARDED_BY(mu_) = false;     // ReadLoop returned
  bool stop_requested_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t printed_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_activity_ ABSL_GUARDED_BY(mu_);
  absl::Time close_deadline_ ABSL_GUARDED_BY(mu_);
  // Why the control loop cancelled the call (OK when it did not).
  absl::Status cancelled_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evrouter::cli

#endif  // EVROUTER_CLIENT_CLI_SUBSCRIBE_LOOP_H_
