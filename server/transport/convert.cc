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
    case v1::EXCHANGE_KIND_UNSPECIFIED:
      return absl::InvalidArgumentError(
          absl::StrCat(field,
                       ": must be set: EXCHANGE_KIND_FANOUT, "
                       "EXCHANGE_KIND_DIRECT or EXCHANGE_KIND_TOPIC"));
    default:
      // proto3 keeps numbers it does not know.
      return absl::InvalidArgumentError(absl::StrCat(
          field, ": ", static_cast<int>(kind),
          " is not a known ExchangeKind; use EXCHANGE_KIND_FANOUT, "
          "EXCHANGE_KIND_DIRECT or EXCHANGE_KIND_TOPIC"));
  }
}

TimestampParts ToTimestampParts(absl::Time time) {
  int64_t micros = absl::ToUnixMicros(time);
  int64_t seconds = micros / 1'000'000;
  int64_t rest = micros % 1'000'000;
  if (rest < 0) {
    rest += 1'000'000;
    --seconds;
  }
  return {seconds, static_cast<int32_t>(rest * 1000)};
}

void ToProto(absl::Time time, google::protobuf::Timestamp* out) {
  const TimestampParts parts = ToTimestampParts(time);
  out->set_seconds(parts.seconds);
  out->set_nanos(parts.nanos);
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

void ToProto(const Event& event, const std::string& exchange, v1::Event* out) {
  out->set_id(FormatUuid(event.id));
  out->set_type(event.type);
  out->set_source(event.source);
  auto& headers = *out->mutable_headers();
  for (const auto& [key, value] : event.headers) headers[key] = value;
  out->set_payload(event.payload);
  out->set_content_type(event.content_type);
  if (event.time.has_value()) ToProto(*event.time, out->mutable_time());
  out->set_exchange(exchange);
  out->set_offset(event.offset);
  ToProto(event.stored_at, out->mutable_stored_at());
}

void ToProto(const core::QueueInfo& info, v1::Queue* out) {
  out->set_name(info.name);
  out->set_exchange(info.exchange);
  for (const std::string& binding : info.bindings) out->add_bindings(binding);
  out->set_limit_size(info.limit_size);
  out->set_start_offset(info.start_offset);
  ToProto(info.created_at, out->mutable_created_at());
}

void ToProto(const core::ConsumerInfo& info, v1::Consumer* out) {
  out->set_queue(info.queue);
  out->set_name(info.name);
  out->set_state(info.active ? v1::CONSUMER_STATE_ACTIVE
                             : v1::CONSUMER_STATE_SLEEPING);
  out->set_committed_offset(info.committed_offset);
  out->set_lag(info.lag);
  ToProto(info.last_active_at, out->mutable_last_active_at());
  ToProto(info.created_at, out->mutable_created_at());
}

namespace {

void ToProto(const core::RateCounter::Rates& rates, v1::Rate* out) {
  out->set_per_sec_10s(rates.per_sec_10s);
  out->set_per_sec_1m(rates.per_sec_1m);
  out->set_total(rates.total);
}

}  // namespace

void ToProto(const core::Stats& stats, v1::Stats* out) {
  ToProto(stats.at, out->mutable_at());
  for (const core::ExchangeStats& exchange : stats.exchanges) {
    v1::ExchangeStats* item = out->add_exchanges();
    item->set_name(exchange.exchange.name);
    item->set_kind(static_cast<v1::ExchangeKind>(
        static_cast<int>(exchange.exchange.kind)));
    item->set_head_offset(exchange.exchange.head_offset);
    ToProto(exchange.events_in, item->mutable_events_in());
  }
  for (const core::QueueStats& queue : stats.queues) {
    v1::QueueStats* item = out->add_queues();
    item->set_name(queue.queue.name);
    item->set_exchange(queue.queue.exchange);
    ToProto(queue.events_out, item->mutable_events_out());
    item->set_buffered(static_cast<uint32_t>(queue.buffered));
    item->set_limit_size(queue.queue.limit_size);
    item->set_fill_percent(queue.queue.limit_size == 0
                               ? 0.0
                               : 100.0 * static_cast<double>(queue.buffered) /
                                     queue.queue.limit_size);
    for (const core::ConsumerInfo& consumer : queue.consumers)
      ToProto(consumer, item->add_consumers());
  }
}

absl::StatusOr<absl::Time> FromProto(const google::protobuf::Timestamp& time,
                                     absl::string_view field) {
  if (absl::Status status =
          core::ValidateTimestamp(field, time.seconds(), time.nanos());
      !status.ok()) {
    return status;
  }
  return absl::FromUnixSeconds(time.seconds()) +
         absl::Nanoseconds(time.nanos());
}

absl::StatusOr<absl::Duration> FromProto(
    const google::protobuf::Duration& duration, absl::Duration max,
    absl::string_view field) {
  if (absl::Status status =
          core::ValidateWait(field, duration.seconds(), duration.nanos(), max);
      !status.ok()) {
    return status;
  }
  return absl::Seconds(duration.seconds()) +
         absl::Nanoseconds(duration.nanos());
}

}  // namespace evrouter::transport
