#ifndef EVROUTER_STORAGE_PG_TEXT_ARRAY_H_
#define EVROUTER_STORAGE_PG_TEXT_ARRAY_H_

// Internal to the Postgres store: one-dimensional text arrays in the text
// form Postgres reads and prints ({"a","b"}), since libpqxx 6.4 has no array
// parameters.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"

namespace evrouter {

// An array literal for a text[] (or, cast, any array) parameter: every
// element double-quoted, `"` and `\` escaped. Elements must not contain NUL.
std::string TextArrayLiteral(absl::Span<const std::string> elements);

// Parses a one-dimensional array as Postgres prints it ({a,"b c",""}).
// Nullopt when the text is malformed, nested or holds a NULL element.
std::optional<std::vector<std::string>> ParseTextArray(std::string_view text);

}  // namespace evrouter

#endif  // EVROUTER_STORAGE_PG_TEXT_ARRAY_H_
