#ifndef EVROUTER_SERVER_HTTP_JSON_API_H_
#define EVROUTER_SERVER_HTTP_JSON_API_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace google::protobuf {
class MethodDescriptor;
}  // namespace google::protobuf

namespace evrouter::http {

// An HTTP answer: status code and JSON body.
struct JsonResponse {
  int status = 200;
  std::string body;
};

// The unary methods of one gRPC service as JSON calls: the request body is
// the request message in the proto3 JSON mapping, the answer the response
// message in it (every field present, defaults included; enums by name;
// 64-bit integers as strings), or {"code", "status", "message"} with the
// HTTP status of the gRPC code. Calls go through `channel` (the server's
// in-process channel), so they meet the same authentication, permissions,
// validation and metrics as any gRPC client. Thread-safe; blocks the caller
// until the RPC ends.
class JsonApi {
 public:
  // `service`: a full service name in the compiled-in descriptors, e.g.
  // "evrouter.v1.Admin". Streaming methods are left out.
  JsonApi(std::shared_ptr<grpc::Channel> channel, absl::string_view service,
          absl::Duration deadline = absl::Seconds(30));

  // Calls `method` (its short name, e.g. "CreateExchange") with `body` (empty
  // means an empty request) and the caller's `authorization` header value
  // (sent on as gRPC metadata when not empty).
  JsonResponse Call(absl::string_view method, absl::string_view body,
                    absl::string_view authorization) const;

  bool HasMethod(absl::string_view method) const;

 private:
  std::shared_ptr<grpc::Channel> channel_;
  const absl::Duration deadline_;
  std::unique_ptr<grpc::GenericStub> stub_;
  absl::flat_hash_map<std::string, const google::protobuf::MethodDescriptor*>
      methods_;
};

// The HTTP status for a gRPC code (the grpc-gateway mapping).
int HttpStatusOf(grpc::StatusCode code);

// {"code": N, "status": "NAME", "message": "..."} for `status`.
std::string ErrorJson(const grpc::Status& status);

}  // namespace evrouter::http

#endif  // EVROUTER_SERVER_HTTP_JSON_API_H_
