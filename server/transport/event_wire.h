#ifndef EVROUTER_SERVER_TRANSPORT_EVENT_WIRE_H_
#define EVROUTER_SERVER_TRANSPORT_EVENT_WIRE_H_

// evrouter.v1.SubscribeResponse in protobuf wire format, written straight
// from domain events: no v1::Event objects (a dozen allocations each) and no
// second serialization pass, so a delivery costs about one copy of the event
// per subscriber. The bytes parse as the SubscribeResponse that ToProto would
// have built (event_wire_test checks that field by field).

#include <grpcpp/support/byte_buffer.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "storage/records.h"

namespace evrouter::transport {

// One SubscribeResponse being built. Not thread-safe.
class SubscribeResponseBuilder {
 public:
  // Appends `event` to `events` (field 1) with `exchange` set.
  void AddEvent(const Event& event, std::string_view exchange);
  // Sets `caught_up` (field 2).
  void SetCaughtUp();

  size_t bytes() const { return data_.size(); }
  int events() const { return events_; }
  // The offset of the last event added (0 when none).
  uint64_t last_offset() const { return last_offset_; }

  // Hands the bytes to gRPC without copying them; the builder is empty after.
  grpc::ByteBuffer Release();

 private:
  std::string data_;
  int events_ = 0;
  uint64_t last_offset_ = 0;
};

}  // namespace evrouter::transport

#endif  // EVROUTER_SERVER_TRANSPORT_EVENT_WIRE_H_
