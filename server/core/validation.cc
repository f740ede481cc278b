#include "server/core/validation.h"

#include <algorithm>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/uuid.h"

namespace evrouter::core {
namespace {

// Earliest and latest instants a google.protobuf.Timestamp may hold.
constexpr int64_t kMinTimestampSeconds = -62135596800;  // 0001-01-01T00:00:00Z
constexpr int64_t kMaxTimestampSeconds = 253402300799;  // 9999-12-31T23:59:59Z

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

// C0 controls and DEL, and in UTF-8 text the C1 controls U+0080..U+009F
// (encoded C2 80..C2 9F).
bool HasControl(absl::string_view text) {
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (IsControl(c)) return true;
    if (c == 0xc2 && i + 1 < text.size() &&
        static_cast<unsigned char>(text[i + 1]) < 0xa0) {
      return true;
    }
  }
  return false;
}

// The problems below are empty when the value is fine; callers add the field
// name only when there is one, so the common path allocates nothing.

// A free-text field: UTF-8, no control characters, at most `max` bytes.
std::string TextProblem(absl::string_view text, size_t max) {
  if (text.size() > max)
    return absl::StrCat(text.size(), " bytes exceed the limit of ", max);
  if (!IsValidUtf8(text)) return "not valid UTF-8";
  if (HasControl(text)) return "contains a control character";
  return "";
}

std::string TypeProblem(absl::string_view type) {
  if (type.empty()) return "must not be empty";
  if (std::string problem = TextProblem(type, kMaxTypeBytes); !problem.empty())
    return problem;
  for (char c : type) {
    if (c == ' ') return "must not contain spaces";
    if (c == '*' || c == '#')
      return "must not contain '*' or '#' (those are binding wildcards)";
  }
  if (type.front() == '.' || type.back() == '.' ||
      type.find("..") != absl::string_view::npos) {
    return "has an empty word (leading, trailing or double '.')";
  }
  return "";
}

absl::Status CheckHeaders(absl::string_view field, const EventInput& event,
                          const PublishLimits& limits) {
  if (event.headers.size() > limits.max_headers) {
    return Invalid(field, absl::StrCat(event.headers.size(),
                                       " headers exceed the limit of ",
                                       limits.max_headers));
  }
  size_t total = 0;
  for (const auto& [key, value] : event.headers) {
    total += key.size() + value.size();
    std::string problem;
    if (key.empty()) {
      problem = "key must not be empty";
    } else if (std::string key_problem = TextProblem(key, kMaxHeaderKeyBytes);
               !key_problem.empty()) {
      problem = absl::StrCat("key ", key_problem);
    } else if (!IsValidUtf8(value)) {
      problem = "value is not valid UTF-8";
    } else if (value.find('\0') != std::string::npos) {
      problem = "value contains a NUL character";
    }
    if (!problem.empty()) return Invalid(MapEntryPath(field, key), problem);
  }
  if (total > limits.max_header_bytes) {
    return Invalid(
        field,
        absl::StrCat(total, " bytes of keys and values exceed the limit of ",
                     limits.max_header_bytes));
  }
  // A proto map has unique keys; an in-process caller may repeat one.
  if (event.headers.size() > 1) {
    std::vector<absl::string_view> keys;
    keys.reserve(event.headers.size());
    for (const auto& header : event.headers) keys.push_back(header.first);
    std::sort(keys.begin(), keys.end());
    auto duplicate = std::adjacent_find(keys.begin(), keys.end());
    if (duplicate != keys.end())
      return Invalid(MapEntryPath(field, *duplicate), "duplicate key");
  }
  return absl::OkStatus();
}

}  // namespace

bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    size_t extra;
    uint32_t code;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      extra = 1;
      code = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2;
      code = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= extra; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code = code << 6 | (next & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    if ((extra == 1 && code < 0x80) || (extra == 2 && code < 0x800) ||
        (extra == 3 && code < 0x10000) || code > 0x10ffff ||
        (code >= 0xd800 && code <= 0xdfff)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

absl::Status ValidateUtf8(absl::string_view field, absl::string_view text) {
  if (!IsValidUtf8(text)) return Invalid(field, "not valid UTF-8");
  return absl::OkStatus();
}

absl::Status ValidateExchangeKind(absl::string_view field, ExchangeKind kind) {
  switch (kind) {
    case ExchangeKind::kFanout:
    case ExchangeKind::kDirect:
    case ExchangeKind::kTopic:
      return absl::OkStatus();
  }
  return Invalid(field, absl::StrCat(static_cast<int>(kind),
                                     " is not a known exchange kind"));
}

absl::Status ValidateTimestamp(absl::string_view field, int64_t seconds,
                               int32_t nanos) {
  if (seconds < kMinTimestampSeconds || seconds > kMaxTimestampSeconds) {
    return Invalid(field, absl::StrCat("seconds ", seconds,
                                       " is outside 0001-01-01T00:00:00Z.."
                                       "9999-12-31T23:59:59Z"));
  }
  if (nanos < 0 || nanos > 999'999'999) {
    return Invalid(field,
                   absl::StrCat("nanos ", nanos, " is outside [0, 999999999]"));
  }
  return absl::OkStatus();
}

absl::Status ValidateWait(absl::string_view field, int64_t seconds,
                          int32_t nanos, absl::Duration max) {
  if (nanos < -999'999'999 || nanos > 999'999'999) {
    return Invalid(field,
                   absl::StrCat("nanos ", nanos, " is outside [0, 999999999]"));
  }
  if (seconds < 0 || nanos < 0) return Invalid(field, "must not be negative");
  absl::Duration value = absl::Seconds(seconds) + absl::Nanoseconds(nanos);
  if (value > max) {
    return Invalid(
        field, absl::StrCat(absl::FormatDuration(value), " is above the limit ",
                            absl::FormatDuration(max)));
  }
  return absl::OkStatus();
}

absl::Status ValidateAtMost(absl::string_view field, uint64_t value,
                            uint64_t max) {
  if (value > max)
    return Invalid(field, absl::StrCat(value, " is above the limit ", max));
  return absl::OkStatus();
}

std::string MapEntryPath(absl::string_view map_path, absl::string_view key) {
  constexpr size_t kMaxShown = 64;
  const bool utf8 = IsValidUtf8(key);
  const bool cut = key.size() > kMaxShown;
  size_t end = std::min(key.size(), kMaxShown);
  // Never split a UTF-8 sequence: a cut inside one backs off to its start.
  if (cut && utf8) {
    while (end > 0 && (static_cast<unsigned char>(key[end]) & 0xc0) == 0x80)
      --end;
  }
  absl::string_view shown = key.substr(0, end);
  return absl::StrCat(
      map_path, "[\"",
      utf8 ? absl::Utf8SafeCHexEscape(shown) : absl::CHexEscape(shown),
      cut ? "...\"]" : "\"]");
}

absl::Status ValidateName(absl::string_view field, absl::string_view name) {
  if (name.empty()) return Invalid(field, "must not be empty");
  if (name.size() > kMaxNameLength) {
    return Invalid(field,
                   absl::StrCat(name.size(), " characters exceed the limit of ",
                                kMaxNameLength));
  }
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return Invalid(field, "may only contain A-Z a-z 0-9 . _ -");
  }
  return absl::OkStatus();
}

absl::Status ValidateEventType(absl::string_view field,
                               absl::string_view type) {
  if (std::string problem = TypeProblem(type); !problem.empty()) {
    return Invalid(field, problem);
  }
  return absl::OkStatus();
}

absl::Status ValidateEvent(size_t index, const EventInput& event,
                           const PublishLimits& limits) {
  auto invalid = [index](absl::string_view name, absl::string_view problem) {
    return absl::InvalidArgumentError(
        absl::StrCat("events[", index, "].", name, ": ", problem));
  };
  if (!event.id.empty()) {
    std::optional<std::string> id = ParseUuid(event.id);
    if (!id.has_value()) {
      return invalid(
          "id",
          "must be a UUID like 0190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d, or empty");
    }
    // Every publisher that sends a zeroed id would dedup against every other.
    if (*id == std::string(16, '\0')) {
      return invalid("id",
                     "must not be the nil UUID; leave it empty for a "
                     "server-generated id");
    }
  }
  if (std::string problem = TypeProblem(event.type); !problem.empty()) {
    return invalid("type", problem);
  }
  if (std::string problem = TextProblem(event.source, kMaxSourceBytes);
      !problem.empty()) {
    return invalid("source", problem);
  }
  if (std::string problem =
          TextProblem(event.content_type, kMaxContentTypeBytes);
      !problem.empty()) {
    return invalid("content_type", problem);
  }
  if (!event.headers.empty()) {
    if (absl::Status status = CheckHeaders(
            absl::StrCat("events[", index, "].headers"), event, limits);
        !status.ok()) {
      return status;
    }
  }
  if (event.payload.size() > limits.max_payload_bytes) {
    return invalid("payload", absl::StrCat(event.payload.size(),
                                           " bytes exceed the limit of ",
                                           limits.max_payload_bytes));
  }
  if (event.has_time) {
    if (absl::Status status =
            ValidateTimestamp(absl::StrCat("events[", index, "].time"),
                              event.time_seconds, event.time_nanos);
        !status.ok()) {
      return status;
    }
  }
  if (!event.exchange.empty()) {
    return invalid("exchange",
                   "is set by the server; name the exchange in the request");
  }
  if (event.offset != 0) return invalid("offset", "is set by the server");
  if (event.has_stored_at) return invalid("stored_at", "is set by the server");
  return absl::OkStatus();
}

absl::Status ValidateBatch(const std::vector<EventInput>& events,
                           const PublishLimits& limits) {
  if (events.empty()) return Invalid("events", "must hold at least one event");
  if (events.size() > limits.max_batch_events) {
    return Invalid("events",
                   absl::StrCat(events.size(), " events exceed the limit of ",
                                limits.max_batch_events, " per batch"));
  }
  for (size_t i = 0; i < events.size(); ++i) {
    if (absl::Status status = ValidateEvent(i, events[i], limits);
        !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

Event ToStoredEvent(EventInput&& input, absl::Time now) {
  Event event;
  event.publisher_id = !input.id.empty();
  event.id = event.publisher_id ? *ParseUuid(input.id) : NewUuidV7(now);
  event.type = std::move(input.type);
  event.source = std::move(input.source);
  event.headers = std::move(input.headers);
  std::sort(event.headers.begin(), event.headers.end());
  event.content_type = std::move(input.content_type);
  event.payload = std::move(input.payload);
  if (input.has_time) {
    // Stored with microsecond precision, like every timestamp in Postgres.
    event.time = absl::FromUnixMicros(input.time_seconds * 1'000'000 +
                                      input.time_nanos / 1000);
  }
  return event;
}

}  // namespace evrouter::core
