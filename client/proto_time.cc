#include "client/proto_time.h"

#include <cstdint>

namespace evrouter::client {

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  const int64_t seconds = absl::ToUnixSeconds(time);  // rounds down
  google::protobuf::Timestamp timestamp;
  timestamp.set_seconds(seconds);
  timestamp.set_nanos(static_cast<int32_t>(
      (time - absl::FromUnixSeconds(seconds)) / absl::Nanoseconds(1)));
  return timestamp;
}

google::protobuf::Duration ToDurationProto(absl::Duration duration) {
  absl::Duration remainder;
  const int64_t seconds =
      absl::IDivDuration(duration, absl::Seconds(1), &remainder);
  google::protobuf::Duration proto;
  proto.set_seconds(seconds);
  proto.set_nanos(static_cast<int32_t>(remainder / absl::Nanoseconds(1)));
  return proto;
}

}  // namespace evrouter::client
