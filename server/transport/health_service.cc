#include "server/transport/health_service.h"

#include <utility>

#include "server/transport/status.h"

namespace evrouter::transport {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// One Watch stream: writes the current status, then every change, one write
// in flight, keeping only the newest status while a write is pending.
class HealthService::Watcher final
    : public grpc::ServerWriteReactor<HealthCheckResponse> {
 public:
  // `counted`: admitted by the service's CallTracker as a stream of
  // `connection`, left when gRPC is done with it.
  Watcher(HealthService* service, std::string name, std::string connection,
          bool counted)
      : service_(service),
        name_(std::move(name)),
        connection_(std::move(connection)),
        counted_(counted) {}

  // Ends a watch that was not admitted, before anything was written.
  void Refuse(grpc::Status status) {
    absl::MutexLock lock(&mu_);
    FinishLocked(std::move(status));
  }

  // Called with the service's mutex held.
  void Notify(ServingStatus status, bool end) {
    absl::MutexLock lock(&mu_);
    if (end) ending_ = true;
    if (!has_sent_ || status != last_sent_ || pending_) {
      pending_ = true;
      next_ = status;
    }
    PumpLocked();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) {
      FinishLocked(grpc::Status::CANCELLED);
      return;
    }
    PumpLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    if (!writing_) FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    service_->Forget(this);
    if (counted_) service_->calls_->LeaveStream(connection_);
    delete this;
  }

 private:
  void PumpLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || finished_) return;
    if (cancelled_) {
      FinishLocked(grpc::Status::CANCELLED);
    } else if (pending_) {
      pending_ = false;
      has_sent_ = true;
      last_sent_ = next_;
      response_.set_status(next_);
      writing_ = true;
      StartWrite(&response_);
    } else if (ending_) {
      FinishLocked(grpc::Status::OK);
    }
  }

  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    Finish(std::move(status));
  }

  HealthService* const service_;
  const std::string name_;
  const std::string connection_;
  const bool counted_;
  absl::Mutex mu_;
  HealthCheckResponse response_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool pending_ ABSL_GUARDED_BY(mu_) = false;
  bool has_sent_ ABSL_GUARDED_BY(mu_) = false;
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  ServingStatus next_ ABSL_GUARDED_BY(mu_) = HealthCheckResponse::UNKNOWN;
  ServingStatus last_sent_ ABSL_GUARDED_BY(mu_) = HealthCheckResponse::UNKNOWN;

 public:
  const std::string& name() const { return name_; }
};

HealthService::HealthService(std::vector<std::string> services,
                             CallTracker* calls)
    : services_(services.begin(), services.end()),
      calls_(calls),
      status_(HealthCheckResponse::NOT_SERVING) {}

HealthService::ServingStatus HealthService::StatusOfLocked(
    const std::string& service) const {
  if (!service.empty() && !services_.contains(service))
    return HealthCheckResponse::SERVICE_UNKNOWN;
  return status_;
}

void HealthService::SetServing(bool serving) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  ServingStatus status =
      serving ? HealthCheckResponse::SERVING : HealthCheckResponse::NOT_SERVING;
  if (status == status_) return;
  status_ = status;
  for (Watcher* watcher : watchers_)
    watcher->Notify(StatusOfLocked(watcher->name()), false);
}

void HealthService::Shutdown() {
  absl::MutexLock lock(&mu_);
  shut_down_ = true;
  status_ = HealthCheckResponse::NOT_SERVING;
  for (Watcher* watcher : watchers_)
    watcher->Notify(StatusOfLocked(watcher->name()), true);
}

bool HealthService::WaitForWatchersDone(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto none = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return watchers_.empty();
  };
  return mu_.AwaitWithTimeout(absl::Condition(&none), timeout);
}

void HealthService::Forget(Watcher* watcher) {
  absl::MutexLock lock(&mu_);
  watchers_.erase(watcher);
}

grpc::ServerUnaryReactor* HealthService::Check(
    grpc::CallbackServerContext* context, const HealthCheckRequest* request,
    HealthCheckResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::MutexLock lock(&mu_);
  ServingStatus status = StatusOfLocked(request->service());
  if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::NOT_FOUND,
                     "service: '" + request->service() + "' is not known"));
  } else {
    response->set_status(status);
    reactor->Finish(grpc::Status::OK);
  }
  return reactor;
}

grpc::ServerWriteReactor<HealthCheckResponse>* HealthService::Watch(
    grpc::CallbackServerContext* context, const HealthCheckRequest* request) {
  std::string connection = context->peer();
  absl::Status admitted = absl::OkStatus();
  if (calls_ != nullptr) admitted = calls_->EnterStream(connection);
  auto* watcher = new Watcher(this, request->service(), std::move(connection),
                              calls_ != nullptr && admitted.ok());
  if (!admitted.ok()) {
    watcher->Refuse(ToGrpcStatus(admitted));
    return watcher;
  }
  absl::MutexLock lock(&mu_);
  watchers_.insert(watcher);
  watcher->Notify(StatusOfLocked(request->service()), shut_down_);
  return watcher;
}

}  // namespace evrouter::transport
