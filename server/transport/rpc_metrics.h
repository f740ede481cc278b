#ifndef EVROUTER_SERVER_TRANSPORT_RPC_METRICS_H_
#define EVROUTER_SERVER_TRANSPORT_RPC_METRICS_H_

#include <grpcpp/support/server_interceptor.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "server/metrics/exposition.h"

namespace evrouter::transport {

// Counts finished RPCs by method and status code, through a gRPC server
// interceptor that sees every call of the services named at construction
// (their methods come from the compiled-in descriptors). The table is fixed
// after construction, so counting is one map lookup and one atomic add, with
// no lock. Thread-safe; must outlive the server.
class RpcMetrics {
 public:
  // Full service names, e.g. "evrouter.v1.Publisher".
  explicit RpcMetrics(const std::vector<std::string>& services);

  // For ServerBuilder::experimental().SetInterceptorCreators.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
  NewInterceptorFactory();

  // Calls of `method` ("/package.Service/Method") that ended with `code`;
  // 0 for a method not counted.
  uint64_t Handled(const std::string& method, grpc::StatusCode code) const;

  // Writes evrouter_grpc_server_handled_total{service,method,code}, one
  // sample per method and code seen.
  void Collect(metrics::ExpositionWriter& writer) const;

  // Codes 0 (OK) to 16 (UNAUTHENTICATED).
  static constexpr int kCodes = 17;
  struct Method {
    std::string service;
    std::string name;
    std::array<std::atomic<uint64_t>, kCodes> handled{};
  };

 private:
  // Keyed by the path gRPC reports ("/package.Service/Method").
  absl::flat_hash_map<std::string, std::unique_ptr<Method>> methods_;
};

// The canonical name of a status code ("OK", "NOT_FOUND", ...).
const char* StatusCodeName(grpc::StatusCode code);

}  // namespace evrouter::transport

#endif  // EVROUTER_SERVER_TRANSPORT_RPC_METRICS_H_
