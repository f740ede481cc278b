#include "client/cli/event_input.h"

#include <google/protobuf/util/json_util.h>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace evrouter::cli {

void ApplyDefaults(const EventDefaults& defaults, evrouter::v1::Event& event) {
  if (event.type().empty()) event.set_type(defaults.type);
  if (event.source().empty()) event.set_source(defaults.source);
  if (event.content_type().empty()) {
    event.set_content_type(defaults.content_type);
  }
  for (const auto& [key, value] : defaults.headers) {
    event.mutable_headers()->insert({key, value});
  }
}

absl::StatusOr<std::vector<evrouter::v1::Event>> EventsFromPayloads(
    const std::vector<std::string>& payloads, const EventDefaults& defaults,
    std::string_view id) {
  if (!id.empty() && payloads.size() != 1) {
    return absl::InvalidArgumentError(kIdNeedsOnePayload);
  }
  std::vector<evrouter::v1::Event> events;
  events.reserve(payloads.size());
  for (const std::string& payload : payloads) {
    evrouter::v1::Event& event = events.emplace_back();
    event.set_payload(payload);
    ApplyDefaults(defaults, event);
  }
  if (!id.empty()) events.front().set_id(std::string(id));
  return events;
}

absl::StatusOr<std::optional<evrouter::v1::Event>> ParseEventLine(
    std::string_view line, int64_t line_number, const EventDefaults& defaults) {
  const absl::string_view trimmed =
      absl::StripAsciiWhitespace(absl::string_view(line.data(), line.size()));
  if (trimmed.empty()) return std::nullopt;
  evrouter::v1::Event event;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(trimmed.data(), trimmed.size()), &event);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "line ", line_number,
        ": not an evrouter.v1.Event: ", std::string(status.message())));
  }
  ApplyDefaults(defaults, event);
  return event;
}

}  // namespace evrouter::cli
