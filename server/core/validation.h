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
inline constexpr size_t kMaxNameLength = 128;        // exchanges, queues
inline constexpr size_t kMaxTypeBytes = 255;         // event type
inline constexpr size_t kMaxSourceBytes = 255;       // event source
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

// OK when `name` is 1..128 characters of [A-Za-z0-9._-]; otherwise
// INVALID_ARGUMENT whose message starts with `field`.
absl::Status ValidateName(absl::string_view field, absl::string_view name);

// OK when `type` is a valid event type: 1..255 bytes of UTF-8, dot-separated
// non-empty words, no spaces, control characters, '*' or '#'. Otherwise
// INVALID_ARGUMENT whose message starts with `field`.
absl::Status ValidateEventType(absl::string_view field, absl::string_view type);

// Checks the event at `index` of a batch; messages name the field, e.g.
// "events[3].payload: ...".
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

}  // namespace evrouter::core

#endif  // EVROUTER_SERVER_CORE_VALIDATION_H_
