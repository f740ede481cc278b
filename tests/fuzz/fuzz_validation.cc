// libFuzzer target: arbitrary bytes as the serialized request of each request
// type, through the same validators the services use (names, publish batches,
// binding keys, exchange kinds, timestamps, durations). The first byte picks
// the request type (and the limits); the rest is the serialized message.
//
// Invariants: nothing crashes; every rejection is INVALID_ARGUMENT whose
// message names a field of the request; what is accepted satisfies the rules
// the validators promise (checked against small reference implementations
// written here).
#include <google/protobuf/stubs/logging.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "evrouter/v1/admin.pb.h"
#include "evrouter/v1/publisher.pb.h"
#include "evrouter/v1/subscriber.pb.h"
#include "server/core/topic_matcher.h"
#include "server/core/validation.h"
#include "server/transport/convert.h"
#include "storage/uuid.h"
#include "tests/fuzz/fuzz_check.h"

namespace evrouter::fuzz {
namespace {

using Fields = std::vector<absl::string_view>;

// RFC 3629's table of well-formed UTF-8 byte sequences.
bool ReferenceUtf8(absl::string_view text) {
  size_t i = 0;
  auto in = [&](size_t k, unsigned lo, unsigned hi) {
    if (i + k >= text.size()) return false;
    auto c = static_cast<unsigned char>(text[i + k]);
    return c >= lo && c <= hi;
  };
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    size_t length;
    if (c <= 0x7f) {
      length = 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
      if (!in(1, 0x80, 0xbf)) return false;
      length = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      unsigned lo = c == 0xe0 ? 0xa0 : 0x80;
      unsigned hi = c == 0xed ? 0x9f : 0xbf;
      if (!in(1, lo, hi) || !in(2, 0x80, 0xbf)) return false;
      length = 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
      unsigned lo = c == 0xf0 ? 0x90 : 0x80;
      unsigned hi = c == 0xf4 ? 0x8f : 0xbf;
      if (!in(1, lo, hi) || !in(2, 0x80, 0xbf) || !in(3, 0x80, 0xbf))
        return false;
      length = 4;
    } else {
      return false;
    }
    i += length;
  }
  return true;
}

bool ReferenceName(absl::string_view name) {
  if (name.empty() || name.size() > core::kMaxNameLength) return false;
  for (char c : name) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

// design.md / README: 1..255 bytes of UTF-8, dot-separated non-empty words,
// no spaces, control characters (C0, DEL and C1), '*' or '#'.
bool ReferenceEventType(absl::string_view type) {
  if (type.empty() || type.size() > core::kMaxTypeBytes) return false;
  if (!ReferenceUtf8(type)) return false;
  for (size_t i = 0; i < type.size(); ++i) {
    const char c = type[i];
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == ' ' || c == '*' || c == '#') return false;
    // U+0080..U+009F are C2 80..C2 9F in (already checked) UTF-8.
    if (u == 0xc2 && i + 1 < type.size() &&
        static_cast<unsigned char>(type[i + 1]) <= 0x9f) {
      return false;
    }
  }
  return type.front() != '.' && type.back() != '.' &&
         type.find("..") == absl::string_view::npos;
}

// Checks a validator's verdict on a name against the reference.
void CheckName(absl::string_view field, absl::string_view name) {
  absl::Status status = core::ValidateName(field, name);
  CheckRejection(status, Fields{field});
  Check(status.ok() == ReferenceName(name),
        absl::StrCat("ValidateName disagrees with the reference on '", name,
                     "': ", status.ToString()));
}

void CheckPublish(absl::string_view exchange,
                  const google::protobuf::RepeatedPtrField<v1::Event>& events,
                  const core::PublishLimits& limits) {
  CheckName("exchange", exchange);
  // Both conversions (copying and moving) must give the same verdict. Not
  // always the same message: with several bad headers, which one it names
  // follows the map's iteration order, which a copy need not keep.
  std::vector<core::EventInput> inputs = transport::ToEventInputs(events);
  google::protobuf::RepeatedPtrField<v1::Event> copy = events;
  std::vector<core::EventInput> moved = transport::ToEventInputs(&copy);
  absl::Status status = core::ValidateBatch(inputs, limits);
  absl::Status status_moved = core::ValidateBatch(moved, limits);
  Check(status.code() == status_moved.code(),
        "copied and moved events validate differently: " + status.ToString() +
            " vs " + status_moved.ToString());
  CheckRejection(status, Fields{"events"});
  if (!status.ok()) return;
  Check(!inputs.empty() && inputs.size() <= limits.max_batch_events,
        "an accepted batch has a bad size");
  const absl::Time now = absl::Now();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const core::EventInput& input = inputs[i];
    Check(ReferenceEventType(input.type),
          absl::StrCat("accepted event type '", input.type, "'"));
    Check(ReferenceUtf8(input.source) && ReferenceUtf8(input.content_type),
          "accepted a source or content_type that is not UTF-8");
    Check(input.payload.size() <= limits.max_payload_bytes,
          "accepted a payload over the limit");
    Check(input.headers.size() <= limits.max_headers,
          "accepted too many headers");
    for (const auto& [key, value] : input.headers) {
      Check(!key.empty() && ReferenceUtf8(key) && ReferenceUtf8(value),
            "accepted a header that is empty or not UTF-8");
    }
    Check(input.exchange.empty() && input.offset == 0 && !input.has_stored_at,
          "accepted an event with server-set fields");
    const std::string id = input.id;
    Event stored = core::ToStoredEvent(core::EventInput(input), now);
    Check(stored.id.size() == 16, "a stored id is not 16 bytes");
    Check(stored.publisher_id == !id.empty(), "publisher_id is wrong");
    if (!id.empty()) {
      Check(FormatUuid(stored.id) == FormatUuid(*ParseUuid(id)),
            "the stored id is not the publisher's");
    }
    Check(std::is_sorted(stored.headers.begin(), stored.headers.end()),
          "stored headers are not sorted");
    if (stored.time.has_value()) {
      Check(*stored.time >= absl::FromCivil(absl::CivilSecond(1, 1, 1),
                                            absl::UTCTimeZone()) &&
                *stored.time < absl::FromCivil(absl::CivilSecond(10000, 1, 1),
                                               absl::UTCTimeZone()),
            "an accepted event time is outside years 1..9999");
    }
  }
}

void CheckBindings(const v1::CreateQueueRequest& request) {
  std::vector<std::string> keys(request.bindings().begin(),
                                request.bindings().end());
  for (ExchangeKind kind :
       {ExchangeKind::kFanout, ExchangeKind::kDirect, ExchangeKind::kTopic}) {
    absl::StatusOr<std::vector<std::string>> normalized =
        core::NormalizeBindings(kind, keys);
    CheckRejection(normalized.status(), Fields{"bindings"});
    if (!normalized.ok()) continue;
    Check(kind != ExchangeKind::kFanout || normalized->empty(),
          "a fanout queue kept binding keys");
    Check(kind == ExchangeKind::kFanout ||
              (!normalized->empty() && keys.size() <= core::kMaxBindingKeys),
          "accepted a bad number of binding keys");
    Check(std::is_sorted(normalized->begin(), normalized->end()) &&
              std::adjacent_find(normalized->begin(), normalized->end()) ==
                  normalized->end(),
          "normalized bindings are not sorted and unique");
    core::Bindings bindings(kind, *normalized);
    for (const std::string& key : *normalized) {
      Check(core::ValidateBindingKey("key", kind, key).ok(),
            "a normalized key does not validate alone");
      // A key without wildcards is an event type and routes to the queue.
      if (core::ValidateEventType("key", key).ok()) {
        Check(bindings.Matches(key), "a binding key does not match itself");
      }
    }
  }
}

void CheckTimestamp(const google::protobuf::Timestamp& time,
                    absl::string_view field) {
  absl::StatusOr<absl::Time> parsed = transport::FromProto(time, field);
  CheckRejection(parsed.status(), Fields{field});
  if (!parsed.ok()) return;
  // An accepted timestamp round-trips (at microsecond precision).
  google::protobuf::Timestamp back;
  transport::ToProto(*parsed, &back);
  Check(back.seconds() == time.seconds() &&
            back.nanos() == time.nanos() / 1000 * 1000,
        "an accepted timestamp does not round-trip");
}

enum Kind : uint8_t {
  kPublish,
  kPublishStream,
  kCreateExchange,
  kCreateQueue,
  kSeekConsumer,
  kSubscribe,
  kFetch,
  kAck,
  kNamed,  // Get/Delete/List requests: one name (or exchange) field
  kRawText,
  kKinds,
};

core::PublishLimits Limits(uint8_t selector) {
  core::PublishLimits limits;  // the server's defaults
  if (selector & 0x80) {       // small ones, so inputs reach every limit
    limits.max_payload_bytes = 16;
    limits.max_headers = 2;
    limits.max_header_bytes = 24;
    limits.max_batch_events = 3;
  }
  return limits;
}

}  // namespace
}  // namespace evrouter::fuzz

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // Proto3 parsing logs an error for every string field that is not UTF-8;
  // those inputs are simply rejected here.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace evrouter;
  using namespace evrouter::fuzz;
  if (size == 0) return 0;
  const uint8_t selector = data[0];
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const core::PublishLimits limits = Limits(selector);
  switch ((selector & 0x7f) % kKinds) {
    case kPublish: {
      v1::PublishRequest request;
      if (!request.ParseFromString(bytes)) return 0;
      CheckPublish(request.exchange(), request.events(), limits);
      break;
    }
    case kPublishStream: {
      v1::PublishStreamRequest request;
      if (!request.ParseFromString(bytes)) return 0;
      CheckPublish(request.exchange(), request.events(), limits);
      break;
    }
    case kCreateExchange: {
      v1::CreateExchangeRequest request;
      if (!request.ParseFromString(bytes)) return 0;
      CheckName("name", request.name());
      absl::StatusOr<ExchangeKind> kind =
          transport::ToExchangeKind(request.kind(), "kind");
      CheckRejection(kind.status(), Fields{"kind"});
      Check(kind.ok() == (request.kind() >= 1 && request.kind() <= 3),
            "ToExchangeKind disagrees on " + std::to_string(request.kind()));
      break;
    }
    case kCreateQueue: {
      v1::CreateQueueRequest request;
      if (!request.ParseFromString(bytes)) return 0;
      CheckName("name", request.name());
      CheckName("exchange", request.exchange());
      CheckBindings(request);
      break;
    }
    case kSeekConsumer: {
      v1::SeekConsumerRequest request;
      if (!request.ParseFromString(bytes)) return 0;
      CheckName("queue", request.queue());
      CheckName("name", request.name());
      if (request.has_time()) CheckTimestamp(request.time(), "time");
      break;
    }
    case kSubscribe: {
      v1::SubscribeRequest request;
      if (!request.ParseFromString(bytes)) return 0;
      if (request.has_start()) {
        CheckName("start.queue", request.start().queue());
        CheckName("start.consumer", request.start().consumer());
        CheckTimestamp(request.start().time(), "start.time");
      }
      break;
    }
    case kFetch: {
      v1::FetchRequest request;
      if (!request.ParseFromString(bytes)) return 0;
      CheckName("queue", request.queue());
      CheckName("consumer", request.consumer());
      absl::StatusOr<absl::Duration> wait =
          transport::FromProto(request.wait(), absl::Seconds(60), "wait");
      CheckRejection(wait.status(), Fields{"wait"});
      Check(!wait.ok() ||
                (*wait >= absl::ZeroDuration() && *wait <= absl::Seconds(60)),
            "accepted a wait outside 0..60 s");
      break;
    }
    case kAck: {
      v1::AckRequest request;
      if (!request.ParseFromString(bytes)) return 0;
      CheckName("queue", request.queue());
      CheckName("consumer", request.consumer());
      break;
    }
    case kNamed: {
      v1::GetExchangeRequest request;  // same wire form as the others
      if (!request.ParseFromString(bytes)) return 0;
      CheckName("name", request.name());
      break;
    }
    case kRawText: {
      // Not a message: the bytes as a name, an event type and text.
      Check(core::IsValidUtf8(bytes) == ReferenceUtf8(bytes),
            "IsValidUtf8 disagrees with RFC 3629");
      CheckName("name", bytes);
      absl::Status type = core::ValidateEventType("type", bytes);
      CheckRejection(type, Fields{"type"});
      Check(
          type.ok() == ReferenceEventType(bytes),
          "ValidateEventType disagrees with the reference: " + type.ToString());
      break;
    }
  }
  return 0;
}
