#include "storage/pg_timestamps.h"

#include <cstdint>

namespace evrouter {

std::string FormatTimestamp(absl::Time t) {
  if (t == absl::InfinitePast()) return "-infinity";
  if (t == absl::InfiniteFuture()) return "infinity";
  return absl::FormatTime("%E4Y-%m-%d %H:%M:%E6S+00", t, absl::UTCTimeZone());
}

absl::Time TimeFromMicros(const pqxx::field& field) {
  return absl::FromUnixMicros(field.as<int64_t>());
}

}  // namespace evrouter
