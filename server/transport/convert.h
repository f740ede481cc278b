#ifndef EVROUTER_SERVER_TRANSPORT_CONVERT_H_
#define EVROUTER_SERVER_TRANSPORT_CONVERT_H_

#include <google/protobuf/timestamp.pb.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "evrouter/v1/admin.pb.h"
#include "evrouter/v1/event.pb.h"
#include "evrouter/v1/publisher.pb.h"
#include "server/core/exchange_log.h"
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
void ToProto(absl::Time time, google::protobuf::Timestamp* out);

}  // namespace evrouter::transport

#endif  // EVROUTER_SERVER_TRANSPORT_CONVERT_H_
