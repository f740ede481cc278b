#ifndef EVROUTER_CLIENT_GRPC_STATUS_H_
#define EVROUTER_CLIENT_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace evrouter::client {

// Converts a gRPC status to an absl::Status with the same code and message.
// The codes are numerically identical (both follow google.rpc.Code).
absl::Status ToAbslStatus(const grpc::Status& status);

}  // namespace evrouter::client

#endif  // EVROUTER_CLIENT_GRPC_STATUS_H_
