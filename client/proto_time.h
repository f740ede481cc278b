#ifndef EVROUTER_CLIENT_PROTO_TIME_H_
#define EVROUTER_CLIENT_PROTO_TIME_H_

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/timestamp.pb.h>

#include "absl/time/time.h"

namespace evrouter::client {

// `time` as a google.protobuf.Timestamp (nanos in [0, 1e9)). Precondition:
// finite and within the Timestamp range (years 1..9999).
google::protobuf::Timestamp ToTimestamp(absl::Time time);

// `duration` as a google.protobuf.Duration (seconds and nanos of the same
// sign). Precondition: finite.
google::protobuf::Duration ToDurationProto(absl::Duration duration);

}  // namespace evrouter::client

#endif  // EVROUTER_CLIENT_PROTO_TIME_H_
