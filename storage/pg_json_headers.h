#ifndef EVROUTER_STORAGE_PG_JSON_HEADERS_H_
#define EVROUTER_STORAGE_PG_JSON_HEADERS_H_

// Internal to the Postgres store: event headers <-> the jsonb `headers` column.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace evrouter {

// Encodes `headers` as a JSON object {"k":"v",...} in their order: quotes,
// backslashes and control characters escaped, other bytes (UTF-8) copied as
// they are. nullopt when `headers` is empty (stored as NULL).
std::optional<std::string> HeadersToJson(
    const std::vector<std::pair<std::string, std::string>>& headers);

// Parses a flat JSON object whose values are all strings (what HeadersToJson
// writes, as jsonb prints it back) into `out`, replacing its contents, sorted
// by key, then value. Returns false on malformed input; `out` is then
// unspecified.
bool HeadersFromJson(std::string_view json,
                     std::vector<std::pair<std::string, std::string>>* out);

}  // namespace evrouter

#endif  // EVROUTER_STORAGE_PG_JSON_HEADERS_H_
