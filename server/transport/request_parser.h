#ifndef EVROUTER_SERVER_TRANSPORT_REQUEST_PARSER_H_
#define EVROUTER_SERVER_TRANSPORT_REQUEST_PARSER_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/support/byte_buffer.h>

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace evrouter::transport {

// Requests are parsed by us rather than by gRPC: protobuf refuses a proto3
// message with invalid UTF-8 in a `string` field, and gRPC would answer that
// with UNIMPLEMENTED (unary) or a silently ended stream, naming nothing.

// Parses a serialized request into `request` (cleared first). When protobuf
// refuses it: INVALID_ARGUMENT from ExplainParseFailure. Thread-safe.
absl::Status ParseRequest(const grpc::ByteBuffer& bytes,
                          google::protobuf::Message* request);
absl::Status ParseRequest(absl::string_view bytes,
                          google::protobuf::Message* request);

// Why `bytes` is not a valid message of `type`, as INVALID_ARGUMENT naming the
// field path: `events[2].type: not valid UTF-8`,
// `events[0].headers["k"]: value is not valid UTF-8`, or, for broken wire
// data, `request: not a valid evrouter.v1.PublishRequest (malformed protobuf
// encoding)`. Meant for bytes that protobuf refused; walks the wire format
// with the descriptors, never crashes on any input.
absl::Status ExplainParseFailure(absl::string_view bytes,
                                 const google::protobuf::Descriptor& type);

// Top-level field `number` of `bytes` read as a uint64 the way protobuf would
// (its last varint occurrence), up to the first broken field; 0 when there is
// none. For echoing an id (a PublishStream batch_id) of a refused request.
uint64_t ReadUint64Field(const grpc::ByteBuffer& bytes, int number);

}  // namespace evrouter::transport

#endif  // EVROUTER_SERVER_TRANSPORT_REQUEST_PARSER_H_
