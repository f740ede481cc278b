#include "server/transport/event_wire.h"

#include <grpcpp/support/slice.h>

#include <utility>

#include "absl/time/time.h"
#include "server/transport/convert.h"
#include "storage/uuid.h"

namespace evrouter::transport {
namespace {

// Field numbers of evrouter.v1.Event, SubscribeResponse, the headers map
// entry and google.protobuf.Timestamp.
enum EventField : uint32_t {
  kId = 1,
  kType = 2,
  kSource = 3,
  kHeaders = 4,
  kPayload = 5,
  kContentType = 6,
  kTime = 7,
  kExchange = 8,
  kOffset = 9,
  kStoredAt = 10,
};
constexpr uint32_t kResponseEvents = 1;
constexpr uint32_t kResponseCaughtUp = 2;
constexpr uint32_t kMapKey = 1;
constexpr uint32_t kMapValue = 2;
constexpr uint32_t kTimestampSeconds = 1;
constexpr uint32_t kTimestampNanos = 2;

constexpr uint32_t kVarint = 0;
constexpr uint32_t kLengthDelimited = 2;

size_t VarintSize(uint64_t value) {
  size_t size = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++size;
  }
  return size;
}

void PutVarint(uint64_t value, std::string* out) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

void PutTag(uint32_t field, uint32_t wire_type, std::string* out) {
  PutVarint((field << 3) | wire_type, out);
}

size_t TagSize(uint32_t field) { return VarintSize(field << 3); }

// A length-delimited field: tag, length, bytes.
size_t BytesFieldSize(uint32_t field, size_t length) {
  return TagSize(field) + VarintSize(length) + length;
}

void PutBytesField(uint32_t field, std::string_view value, std::string* out) {
  PutTag(field, kLengthDelimited, out);
  PutVarint(value.size(), out);
  out->append(value);
}

// proto3 leaves out empty strings and zero numbers.
size_t OptionalBytesFieldSize(uint32_t field, std::string_view value) {
  return value.empty() ? 0 : BytesFieldSize(field, value.size());
}

void PutOptionalBytesField(uint32_t field, std::string_view value,
                           std::string* out) {
  if (!value.empty()) PutBytesField(field, value, out);
}

size_t TimestampBodySize(TimestampParts parts) {
  size_t size = 0;
  // int64 and int32 varints: negative values take ten bytes.
  if (parts.seconds != 0) {
    size += TagSize(kTimestampSeconds) +
            VarintSize(static_cast<uint64_t>(parts.seconds));
  }
  if (parts.nanos != 0) {
    size +=
        TagSize(kTimestampNanos) +
        VarintSize(static_cast<uint64_t>(static_cast<int64_t>(parts.nanos)));
  }
  return size;
}

void PutTimestampField(uint32_t field, TimestampParts parts, std::string* out) {
  PutTag(field, kLengthDelimited, out);
  PutVarint(TimestampBodySize(parts), out);
  if (parts.seconds != 0) {
    PutTag(kTimestampSeconds, kVarint, out);
    PutVarint(static_cast<uint64_t>(parts.seconds), out);
  }
  if (parts.nanos != 0) {
    PutTag(kTimestampNanos, kVarint, out);
    PutVarint(static_cast<uint64_t>(static_cast<int64_t>(parts.nanos)), out);
  }
}

// A map<string, string> entry: key and value are always written.
size_t HeaderEntryBodySize(const std::string& key, const std::string& value) {
  return BytesFieldSize(kMapKey, key.size()) +
         BytesFieldSize(kMapValue, value.size());
}

void DeleteString(void* data) { delete static_cast<std::string*>(data); }

}  // namespace

void SubscribeResponseBuilder::AddEvent(const Event& event,
                                        std::string_view exchange) {
  const std::string id = FormatUuid(event.id);
  const std::optional<TimestampParts> time =
      event.time.has_value() ? std::optional(ToTimestampParts(*event.time))
                             : std::nullopt;
  const TimestampParts stored_at = ToTimestampParts(event.stored_at);

  size_t size = BytesFieldSize(kId, id.size()) +
                OptionalBytesFieldSize(kType, event.type) +
                OptionalBytesFieldSize(kSource, event.source);
  for (const auto& [key, value] : event.headers) {
    size += BytesFieldSize(kHeaders, HeaderEntryBodySize(key, value));
  }
  size += OptionalBytesFieldSize(kPayload, event.payload) +
          OptionalBytesFieldSize(kContentType, event.content_type);
  if (time.has_value()) {
    size += BytesFieldSize(kTime, TimestampBodySize(*time));
  }
  size += OptionalBytesFieldSize(kExchange, exchange);
  if (event.offset != 0) {
    size += TagSize(kOffset) + VarintSize(event.offset);
  }
  size += BytesFieldSize(kStoredAt, TimestampBodySize(stored_at));

  data_.reserve(data_.size() + BytesFieldSize(kResponseEvents, size));
  PutTag(kResponseEvents, kLengthDelimited, &data_);
  PutVarint(size, &data_);
  PutBytesField(kId, id, &data_);
  PutOptionalBytesField(kType, event.type, &data_);
  PutOptionalBytesField(kSource, event.source, &data_);
  for (const auto& [key, value] : event.headers) {
    PutTag(kHeaders, kLengthDelimited, &data_);
    PutVarint(HeaderEntryBodySize(key, value), &data_);
    PutBytesField(kMapKey, key, &data_);
    PutBytesField(kMapValue, value, &data_);
  }
  PutOptionalBytesField(kPayload, event.payload, &data_);
  PutOptionalBytesField(kContentType, event.content_type, &data_);
  if (time.has_value()) PutTimestampField(kTime, *time, &data_);
  PutOptionalBytesField(kExchange, exchange, &data_);
  if (event.offset != 0) {
    PutTag(kOffset, kVarint, &data_);
    PutVarint(event.offset, &data_);
  }
  PutTimestampField(kStoredAt, stored_at, &data_);
  ++events_;
  last_offset_ = event.offset;
}

void SubscribeResponseBuilder::SetCaughtUp() {
  PutTag(kResponseCaughtUp, kVarint, &data_);
  PutVarint(1, &data_);
}

grpc::ByteBuffer SubscribeResponseBuilder::Release() {
  auto* owned = new std::string(std::move(data_));
  data_.clear();
  events_ = 0;
  last_offset_ = 0;
  // The slice frees the string when gRPC is done with it.
  grpc::Slice slice(owned->data(), owned->size(), &DeleteString, owned);
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace evrouter::transport
