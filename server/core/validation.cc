#include "server/core/validation.h"

#include <algorithm>

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

bool HasControl(absl::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    return IsControl(static_cast<unsigned char>(c));
  });
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
    if (key.empty()) return Invalid(field, "a header key is empty");
    std::string problem = TextProblem(key, kMaxHeaderKeyBytes);
    if (problem.empty() && !IsValidUtf8(value))
      problem = "value is not valid UTF-8";
    if (problem.empty() && value.find('\0') != std::string::npos) {
      problem = "value contains a NUL character";
    }
    if (!problem.empty()) {
      return Invalid(
          absl::StrCat(field, "[", absl::string_view(key).substr(0, 64), "]"),
          problem);
    }
  }
  if (total > limits.max_header_bytes) {
    return Invalid(
        field,
        absl::StrCat(total, " bytes of keys and values exceed the limit of ",
                     limits.max_header_bytes));
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
  if (!event.id.empty() && !ParseUuid(event.id).has_value()) {
    return invalid(
        "id",
        "must be a UUID like 0190a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d, or empty");
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
  if (event.has_time &&
      (event.time_seconds < kMinTimestampSeconds ||
       event.time_seconds > kMaxTimestampSeconds || event.time_nanos < 0 ||
       event.time_nanos > 999'999'999)) {
    return invalid(
        "time", "out of range (0001-01-01 to 9999-12-31, nanos 0..999999999)");
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
