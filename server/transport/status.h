#ifndef EVROUTER_SERVER_TRANSPORT_STATUS_H_
#define EVROUTER_SERVER_TRANSPORT_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace evrouter::transport {

// The one mapping from domain errors to gRPC statuses: same code, same message.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace evrouter::transport

#endif  // EVROUTER_SERVER_TRANSPORT_STATUS_H_
