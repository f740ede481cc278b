#ifndef EVROUTER_SERVER_TRANSPORT_HEALTH_SERVICE_H_
#define EVROUTER_SERVER_TRANSPORT_HEALTH_SERVICE_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "server/transport/call_tracker.h"

namespace evrouter::transport {

// grpc.health.v1.Health generated from health.proto (so reflection can
// describe it). One status covers the server ("") and every service name
// given at construction; Check on any other name is NOT_FOUND and Watch
// reports SERVICE_UNKNOWN. Thread-safe.
class HealthService final : public grpc::health::v1::Health::CallbackService {
 public:
  using ServingStatus = grpc::health::v1::HealthCheckResponse::ServingStatus;

  // With `calls` (outliving the service), Watch streams count against its
  // StreamLimits; Check calls are not counted.
  explicit HealthService(std::vector<std::string> services,
                         CallTracker* calls = nullptr);

  // Sets the status of every service and notifies watchers on a change.
  void SetServing(bool serving);
  // NOT_SERVING for good, and every Watch stream ends: call before the server
  // shuts down so open watches do not hold it up.
  void Shutdown();
  // After Shutdown(): waits until every Watch stream has been finished and
  // gRPC is done with it, or `timeout` passed; true if none is left. Ending
  // the server before that would cancel their OK ends.
  bool WaitForWatchersDone(absl::Duration timeout);

  grpc::ServerUnaryReactor* Check(
      grpc::CallbackServerContext* context,
      const grpc::health::v1::HealthCheckRequest* request,
      grpc::health::v1::HealthCheckResponse* response) override;
  grpc::ServerWriteReactor<grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* context,
      const grpc::health::v1::HealthCheckRequest* request) override;

  class Watcher;

 private:
  friend class Watcher;
  ServingStatus StatusOfLocked(const std::string& service) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Forget(Watcher* watcher);

  const absl::flat_hash_set<std::string> services_;
  CallTracker* const calls_;
  mutable absl::Mutex mu_;
  ServingStatus status_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<Watcher*> watchers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace evrouter::transport

#endif  // EVROUTER_SERVER_TRANSPORT_HEALTH_SERVICE_H_
