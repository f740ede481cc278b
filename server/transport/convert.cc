#include "server/transport/convert.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "storage/uuid.h"

namespace evrouter::transport {

core::EventInput ToEventInput(v1::Event&& event) {
  core::EventInput input;
  input.id = std::move(*event.mutable_id());
  input.type = std::move(*event.mutable_type());
  input.source = std::move(*event.mutable_source());
  input.content_type = std::move(*event.mutable_content_type());
  input.payload = std::move(*event.mutable_payload());
  input.headers.reserve(event.headers_size());
  for (auto& [key, value] : *event.mutable_headers()) {
    input.headers.emplace_back(key, std::move(value));
  }
  if (event.has_time()) {
    input.has_time = true;
    input.time_seconds = event.time().seconds();
    input.time_nanos = event.time().nanos();
  }
  input.exchange = std::move(*event.mutable_exchange());
  input.offset = event.offset();
  input.has_stored_at = event.has_stored_at();
  return input;
}

std::vector<core::EventInput> ToEventInputs(
    google::protobuf::RepeatedPtrField<v1::Event>* events) {
  std::vector<core::EventInput> inputs;
  inputs.reserve(events->size());
  for (v1::Event& event : *events)
    inputs.push_back(ToEventInput(std::move(event)));
  return inputs;
}

std::vector<core::EventInput> ToEventInputs(
    const google::protobuf::RepeatedPtrField<v1::Event>& events) {
  std::vector<core::EventInput> inputs;
  inputs.reserve(events.size());
  for (const v1::Event& event : events)
    inputs.push_back(ToEventInput(v1::Event(event)));
  return inputs;
}

absl::StatusOr<ExchangeKind> ToExchangeKind(v1::ExchangeKind kind,
                                            absl::string_view field) {
  switch (kind) {
    case v1::EXCHANGE_KIND_FANOUT:
      return ExchangeKind::kFanout;
    case v1::EXCHANGE_KIND_DIRECT:
      return ExchangeKind::kDirect;
    case v1::EXCHANGE_KIND_TOPIC:
      return ExchangeKind::kTopic;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(field,
                       ": must be EXCHANGE_KIND_FANOUT, EXCHANGE_KIND_DIRECT "
                       "or EXCHANGE_KIND_TOPIC"));
  }
}

void ToProto(absl::Time time, google::protobuf::Timestamp* out) {
  int64_t micros = absl::ToUnixMicros(time);
  int64_t seconds = micros / 1'000'000;
  int64_t rest = micros % 1'000'000;
  if (rest < 0) {
    rest += 1'000'000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(rest * 1000));
}

void ToProto(const core::ExchangeInfo& info, v1::Exchange* out) {
  out->set_name(info.name);
  out->set_kind(static_cast<v1::ExchangeKind>(static_cast<int>(info.kind)));
  out->set_head_offset(info.head_offset);
  ToProto(info.created_at, out->mutable_created_at());
}

void ToProto(const core::PublishedEvent& published, v1::PublishResult* out) {
  out->set_offset(published.offset);
  out->set_duplicate(published.duplicate);
  out->set_id(FormatUuid(published.id));
}

}  // namespace evrouter::transport
