#include "server/transport/call_tracker.h"

#include "absl/strings/str_cat.h"

namespace evrouter::transport {

bool CallTracker::Enter() {
  absl::MutexLock lock(&mu_);
  if (draining_) return false;
  ++active_;
  return true;
}

void CallTracker::Leave() {
  absl::MutexLock lock(&mu_);
  --active_;
}

absl::Status CallTracker::EnterStream(absl::string_view connection) {
  absl::MutexLock lock(&mu_);
  if (draining_) return absl::UnavailableError(kShuttingDown);
  if (streams_ >= limits_.max_streams) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "too many open streams on this server: the limit is ",
        limits_.max_streams, " (max-streams); close a stream or retry later"));
  }
  auto [it, inserted] =
      streams_by_connection_.try_emplace(std::string(connection), 0);
  if (it->second >= limits_.max_streams_per_connection) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "too many open streams on this connection: the limit is ",
        limits_.max_streams_per_connection,
        " (max-streams-per-connection); close a stream or open another "
        "connection"));
  }
  ++it->second;
  ++streams_;
  ++active_;
  return absl::OkStatus();
}

void CallTracker::LeaveStream(absl::string_view connection) {
  absl::MutexLock lock(&mu_);
  --active_;
  --streams_;
  auto it = streams_by_connection_.find(connection);
  if (it != streams_by_connection_.end() && --it->second == 0) {
    streams_by_connection_.erase(it);
  }
}

size_t CallTracker::streams() const {
  absl::MutexLock lock(&mu_);
  return streams_;
}

size_t CallTracker::streams_of(absl::string_view connection) const {
  absl::MutexLock lock(&mu_);
  auto it = streams_by_connection_.find(connection);
  return it == streams_by_connection_.end() ? 0 : it->second;
}

void CallTracker::StartDrain() {
  absl::MutexLock lock(&mu_);
  draining_ = true;
}

bool CallTracker::draining() const {
  absl::MutexLock lock(&mu_);
  return draining_;
}

bool CallTracker::WaitIdle(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto idle = [this]()
                  ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return active_ == 0; };
  return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

}  // namespace evrouter::transport
