#include "storage/pg_text_array.h"

#include <utility>

#include "absl/strings/match.h"

namespace evrouter {

std::string TextArrayLiteral(absl::Span<const std::string> elements) {
  std::string out = "{";
  for (size_t i = 0; i < elements.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.push_back('"');
    for (const char c : elements[i]) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

// Strict, unlike pqxx::array_parser, which accepts some malformed input and
// asserts on other. Byte-wise: every special character is ASCII, so UTF-8
// passes unchanged.
std::optional<std::vector<std::string>> ParseTextArray(std::string_view text) {
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') {
    return std::nullopt;
  }
  std::vector<std::string> out;
  const size_t end = text.size() - 1;  // the closing brace
  size_t pos = 1;
  if (pos == end) return out;
  while (true) {
    std::string element;
    if (text[pos] == '"') {
      ++pos;
      while (true) {
        if (pos >= end) return std::nullopt;
        char c = text[pos++];
        if (c == '"') break;
        if (c == '\\') {
          if (pos >= end) return std::nullopt;
          c = text[pos++];
        }
        element.push_back(c);
      }
    } else {
      const size_t start = pos;
      while (pos < end && text[pos] != ',') {
        const char c = text[pos];
        if (c == '"' || c == '\\' || c == '{' || c == '}') return std::nullopt;
        ++pos;
      }
      element = std::string(text.substr(start, pos - start));
      // Postgres quotes empty strings; an unquoted NULL is a null element.
      if (element.empty() || absl::EqualsIgnoreCase(element, "NULL")) {
        return std::nullopt;
      }
    }
    out.push_back(std::move(element));
    if (pos == end) return out;
    if (text[pos] != ',') return std::nullopt;
    ++pos;
  }
}

}  // namespace evrouter
