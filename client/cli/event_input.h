#ifndef EVROUTER_CLIENT_CLI_EVENT_INPUT_H_
#define EVROUTER_CLIENT_CLI_EVENT_INPUT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "evrouter/v1/event.pb.h"

namespace evrouter::cli {

// Event fields given on the command line (--type, --source, ...). They fill
// the fields an event leaves empty; a header is added when its key is absent.
// There is no id here: an id names one event, so it is never copied onto
// several (see EventsFromPayloads).
struct EventDefaults {
  std::string type;
  std::string source;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;  // flag order
};

// Fills the empty fields of `event` from `defaults`.
void ApplyDefaults(const EventDefaults& defaults, evrouter::v1::Event& event);

// The usage error for an id (--id) given with other than one PAYLOAD.
inline constexpr char kIdNeedsOnePayload[] =
    "--id names one event; give exactly one PAYLOAD, or put \"id\" in each "
    "stdin line";

// One event per payload argument (payload = the argument's bytes). A
// non-empty `id` names the one event, so it needs exactly one payload:
// INVALID_ARGUMENT (kIdNeedsOnePayload) otherwise.
absl::StatusOr<std::vector<evrouter::v1::Event>> EventsFromPayloads(
    const std::vector<std::string>& payloads, const EventDefaults& defaults,
    std::string_view id = {});

// Parses one input line holding the proto3 JSON form of evrouter.v1.Event
// (payload in base64) and applies `defaults`; the line's own "id" is kept
// as is (empty = the server assigns one). nullopt for a blank line;
// INVALID_ARGUMENT "line N: ..." for a malformed one.
absl::StatusOr<std::optional<evrouter::v1::Event>> ParseEventLine(
    std::string_view line, int64_t line_number, const EventDefaults& defaults);

}  // namespace evrouter::cli

#endif  // EVROUTER_CLIENT_CLI_EVENT_INPUT_H_
