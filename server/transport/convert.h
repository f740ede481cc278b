#ifndef EVROUTER_SERVER_TRANSPORT_CONVERT_H_
#define EVROUTER_SERVER_TRANSPORT_CONVERT_H_

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/timestamp.pb.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "evrouter/v1/admin.pb.h"
#include "evrouter/v1/event.pb.h"
#include "evrouter/v1/publisher.pb.h"
#include "server/core/exchange_log.h"
#include "server/core/queue_manager.h"
#include "server/core/validation.h"

namespace evrouter::transport {

// proto -> domain. Moves the strings out of `event`.
core::EventInput ToEventInput(v1::Event&& event);

// A request's repeated events -> domain, moving when the message is ours.
std::vector<core::EventInput> ToEventInputs(
    google::protobuf::RepeatedPtrField<v1::Event>* events);
std::vector<core::EventInput> ToEventInputs(
    const google::protobuf::RepeatedPtrField<v1::Event>& events);

// INVALID_ARGUMENT naming `field` for UNSPECIFIED or unknown values.
absl::StatusOr<ExchangeKind> ToExchangeKind(v1::ExchangeKind kind,
                                            absl::string_view field);

void ToProto(const core::ExchangeInfo& info, v1::Exchange* out);
void ToProto(const core::PublishedEvent& published, v1::PublishResult* out);
// google.protobuf.Timestamp fields of `time`: microsecond precision, nanos
// in [0, 1e9) (seconds round down, also before the epoch).
struct TimestampParts {
  int64_t seconds;
  int32_t nanos;
};
TimestampParts ToTimestampParts(absl::Time time);
void ToProto(absl::Time time, google::protobuf::Timestamp* out);
// A stored event as delivered, with exchange, offset and stored_at.
void ToProto(const Event& event, const std::string& exchange, v1::Event* out);
void ToProto(const core::QueueInfo& info, v1::Queue* out);
void ToProto(const core::ConsumerInfo& info, v1::Consumer* out);
void ToProto(const core::Stats& stats, v1::Stats* out);

// A timestamp from a request: INVALID_ARGUMENT naming `field` unless it is
// within years 1..9999 with nanos in [0, 1e9) (core::ValidateTimestamp).
absl::StatusOr<absl::Time> FromProto(const google::protobuf::Timestamp& time,
                                     absl::string_view field);
// A non-negative duration from a request, at most `max`
// (core::ValidateWait); INVALID_ARGUMENT naming `field` otherwise.
absl::StatusOr<absl::Duration> FromProto(
    const google::protobuf::Duration& duration, absl::Duration max,
    absl::string_view field);

}  // namespace evrouter::transport

#endif  // EVROUTER_SERVER_TRANSPORT_CONVERT_H_
