#ifndef EVROUTER_STORAGE_UUID_H_
#define EVROUTER_STORAGE_UUID_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace evrouter {

// Parses the canonical 8-4-4-4-12 hex form (either case) into 16 raw bytes;
// nullopt for anything else.
std::optional<std::string> ParseUuid(absl::string_view text);

// Formats 16 raw bytes as lowercase canonical text.
std::string FormatUuid(absl::string_view bytes);

// A new random UUID version 7 (RFC 9562: 48-bit Unix milliseconds, then
// random bits) as 16 raw bytes. Thread-safe.
std::string NewUuidV7(absl::Time now);

}  // namespace evrouter

#endif  // EVROUTER_STORAGE_UUID_H_
