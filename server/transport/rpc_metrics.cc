#include "server/transport/rpc_metrics.h"

#include <google/protobuf/descriptor.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace evrouter::transport {
namespace {

using grpc::experimental::InterceptionHookPoints;

// One per call: counts the status the server sends, or CANCELLED when the
// call ends without one (the client went away first).
class CountingInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit CountingInterceptor(RpcMetrics::Method* method) : method_(method) {}

  ~CountingInterceptor() override {
    if (!counted_) Count(grpc::StatusCode::CANCELLED);
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      Count(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Count(grpc::StatusCode code) {
    counted_ = true;
    const int index = static_cast<int>(code);
    if (index < 0 || index >= RpcMetrics::kCodes) return;
    method_->handled[index].fetch_add(1, std::memory_order_relaxed);
  }

  RpcMetrics::Method* const method_;
  bool counted_ = false;
};

class CountingFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CountingFactory(
      const absl::flat_hash_map<std::string,
                                std::unique_ptr<RpcMetrics::Method>>* methods)
      : methods_(methods) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    auto it = methods_->find(info->method());
    if (it == methods_->end()) return nullptr;  // not ours to count
    return new CountingInterceptor(it->second.get());
  }

 private:
  const absl::flat_hash_map<std::string, std::unique_ptr<RpcMetrics::Method>>*
      methods_;
};

}  // namespace

const char* StatusCodeName(grpc::StatusCode code) {
  static constexpr const char* kNames[RpcMetrics::kCodes] = {
      "OK",
      "CANCELLED",
      "UNKNOWN",
      "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED",
      "NOT_FOUND",
      "ALREADY_EXISTS",
      "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION",
      "ABORTED",
      "OUT_OF_RANGE",
      "UNIMPLEMENTED",
      "INTERNAL",
      "UNAVAILABLE",
      "DATA_LOSS",
      "UNAUTHENTICATED"};
  const int index = static_cast<int>(code);
  if (index < 0 || index >= RpcMetrics::kCodes) return "UNKNOWN";
  return kNames[index];
}

RpcMetrics::RpcMetrics(const std::vector<std::string>& services) {
  const google::protobuf::DescriptorPool* pool =
      google::protobuf::DescriptorPool::generated_pool();
  for (const std::string& service_name : services) {
    const google::protobuf::ServiceDescriptor* service =
        pool->FindServiceByName(service_name);
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      auto method = std::make_unique<Method>();
      method->service = service_name;
      method->name = service->method(i)->name();
      methods_.emplace(absl::StrCat("/", service_name, "/", method->name),
                       std::move(method));
    }
  }
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
RpcMetrics::NewInterceptorFactory() {
  return std::make_unique<CountingFactory>(&methods_);
}

uint64_t RpcMetrics::Handled(const std::string& method,
                             grpc::StatusCode code) const {
  auto it = methods_.find(method);
  const int index = static_cast<int>(code);
  if (it == methods_.end() || index < 0 || index >= kCodes) return 0;
  return it->second->handled[index].load(std::memory_order_relaxed);
}

void RpcMetrics::Collect(metrics::ExpositionWriter& writer) const {
  writer.Family("evrouter_grpc_server_handled_total",
                metrics::MetricType::kCounter,
                "RPCs completed on the server, by service, method and status "
                "code (CANCELLED also when the client left first).");
  std::vector<const Method*> sorted;
  sorted.reserve(methods_.size());
  for (const auto& [path, method] : methods_) sorted.push_back(method.get());
  std::sort(sorted.begin(), sorted.end(), [](const Method* a, const Method* b) {
    return std::tie(a->service, a->name) < std::tie(b->service, b->name);
  });
  for (const Method* method : sorted) {
    for (int code = 0; code < kCodes; ++code) {
      const uint64_t count =
          method->handled[code].load(std::memory_order_relaxed);
      if (count == 0) continue;
      writer.Sample(
          {{"service", method->service},
           {"method", method->name},
           {"code", StatusCodeName(static_cast<grpc::StatusCode>(code))}},
          static_cast<double>(count));
    }
  }
}

}  // namespace evrouter::transport
