#ifndef EVROUTER_SERVER_CORE_VALIDATION_H_
#define EVROUTER_SERVER_CORE_VALIDATION_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/records.h"

namespace evrouter::core {

// Limits on what a publisher may send; the defaults are the server's.
struct PublishLimits {
  size_t max_payload_bytes = 1 << 20;  // per event
  size_t max_headers = 64;             // entries per event
  size_t max_header_bytes = 16 << 10;  // keys + values per event
  size_t max_batch_events = 10000;     // events per Publish / stream batch
};

// Fixed limits that are part of the API contract.
inline constexpr size_t kMaxNameLength = 128;   // exchanges, queues, consumers
inline constexpr size_t kMaxTypeBytes = 255;    // event type
inline constexpr size_t kMaxSourceBytes = 255;  // event source
inline constexpr size_t kMaxContentTypeBytes = 255;  // event content_type
inline constexpr size_t kMaxHeaderKeyBytes = 256;    // one header key

// An event as a publisher sent it, before validation. Timestamps are raw
// (seconds, nanos) so that out-of-range values can be rejected here.
struct EventInput {
  std::string id;  // canonical UUID text, or empty for a server-generated one
  std::string type;
  std::string source;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type;
  std::string payload;
  bool has_time = false;
  int64_t time_seconds = 0;
  int32_t time_nanos = 0;
  // Fields only the server sets; a publish that sets them is rejected.
  std::string exchange;
  uint64_t offset = 0;
  bool has_stored_at = false;
};

// Every check below returns OK or INVALID_ARGUMENT whose message starts with
// the field path it was given, then ": " and the problem, e.g.
// `events[3].headers["x"]: value is not valid UTF-8`. Thread-safe.

// OK when `name` is 1..128 characters of [A-Za-z0-9._-] (exchanges, queues,
// consumers).
absl::Status ValidateName(absl::string_view field, absl::string_view name);

// OK when `type` is a valid event type: 1..255 bytes of UTF-8, dot-separated
// non-empty words, no spaces, control characters, '*' or '#'. Otherwise
// INVALID_ARGUMENT whose message starts with `field`.
absl::Status ValidateEventType(absl::string_view field, absl::string_view type);

// Checks the event at `index` of a batch; messages name the field, e.g.
// "events[3].payload: ...". The id must be a canonical, non-nil UUID or empty;
// header keys are unique, 1..256 bytes of UTF-8 without control characters,
// values UTF-8 without NUL.
absl::Status ValidateEvent(size_t index, const EventInput& event,
                           const PublishLimits& limits);

// Checks a whole batch: 1..max_batch_events events, each valid. The first
// violation wins; the message names the field.
absl::Status ValidateBatch(const std::vector<EventInput>& events,
                           const PublishLimits& limits);

// Converts a validated event into the stored form (binary id, parsed time).
// Generates a UUIDv7 from `now` when the id is empty.
Event ToStoredEvent(EventInput&& input, absl::Time now);

// True when `text` is well-formed UTF-8.
bool IsValidUtf8(absl::string_view text);

// OK when `text` is well-formed UTF-8 (any length, control characters
// allowed).
absl::Status ValidateUtf8(absl::string_view field, absl::string_view text);

// OK when `kind` is one of the ExchangeKind enumerators (in-process callers
// can cast anything into it).
absl::Status ValidateExchangeKind(absl::string_view field, ExchangeKind kind);

// OK when (seconds, nanos) is a google.protobuf.Timestamp in its documented
// range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z, nanos in
// [0, 999999999].
absl::Status ValidateTimestamp(absl::string_view field, int64_t seconds,
                               int32_t nanos);

// OK when (seconds, nanos) is a google.protobuf.Duration that is not negative,
// has nanos in [0, 999999999] and is at most `max`.
absl::Status ValidateWait(absl::string_view field, int64_t seconds,
                          int32_t nanos, absl::Duration max);

// OK when `value` <= `max`: "max_events: 20000 is above the limit 10000".
absl::Status ValidateAtMost(absl::string_view field, uint64_t value,
                            uint64_t max);

// The path of one map entry in messages: `map_path["key"]`. The key is
// quoted, with quotes, backslashes, control characters and bytes that are not
// UTF-8 escaped (\x..), and cut after 64 bytes, so that a message never
// carries what the client sent unchecked.
std::string MapEntryPath(absl::string_view map_path, absl::string_view key);

}  // namespace evrouter::core

#endif  // EVROUTER_SERVER_CORE_VALIDATION_H_
