#include "server/logging/line_formatter.h"

#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace evrouter::logging::internal {
namespace {

thread_local absl::Span<const Field> current_fields;

void Append(spdlog::memory_buf_t& dest, absl::string_view text) {
  dest.append(text.data(), text.data() + text.size());
}

// 2026-11-22T10:00:00.123Z
void AppendTimestamp(spdlog::memory_buf_t& dest,
                     std::chrono::system_clock::time_point time) {
  using std::chrono::duration_cast;
  const auto since_epoch = time.time_since_epoch();
  const auto seconds = duration_cast<std::chrono::seconds>(since_epoch);
  const int millis = static_cast<int>(
      duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count());
  const time_t whole = static_cast<time_t>(seconds.count());
  tm utc{};
  gmtime_r(&whole, &utc);
  char text[40];
  const int n =
      std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                    utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday,
                    utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  if (n > 0) Append(dest, absl::string_view(text, static_cast<size_t>(n)));
}

void AppendHexEscape(spdlog::memory_buf_t& dest, const char* prefix,
                     unsigned value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  Append(dest, prefix);
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) {
    dest.push_back(kHex[(value >> shift) & 0xf]);
  }
}

// Writes the common escapes of control characters; false for other bytes.
bool AppendShortEscape(spdlog::memory_buf_t& dest, unsigned char c) {
  switch (c) {
    case '\n':
      Append(dest, "\\n");
      return true;
    case '\r':
      Append(dest, "\\r");
      return true;
    case '\t':
      Append(dest, "\\t");
      return true;
    default:
      return false;
  }
}

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

// Text: control characters escaped (\n, \t, \xNN), so a record stays on
// one line; with `quoted` also '"' and '\', for a value inside quotes.
void AppendTextEscaped(spdlog::memory_buf_t& dest, absl::string_view text,
                       bool quoted) {
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (quoted && (c == '"' || c == '\\')) {
      dest.push_back('\\');
      dest.push_back(ch);
    } else if (IsControl(c)) {
      if (!AppendShortEscape(dest, c)) AppendHexEscape(dest, "\\x", c, 2);
    } else {
      dest.push_back(ch);
    }
  }
}

// A value is quoted when it would not read back as one word.
bool NeedsQuotes(absl::string_view value) {
  if (value.empty()) return true;
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || IsControl(c)) {
      return true;
    }
  }
  return false;
}

// The length of the valid UTF-8 sequence at text[i] and its code point;
// length 0 when the bytes there are not valid UTF-8 (a stray continuation
// byte, a truncated or overlong sequence, a surrogate, past U+10FFFF).
struct CodePoint {
  size_t length;
  uint32_t value;
};
CodePoint DecodeUtf8(absl::string_view text, size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  if (lead < 0x80) return {1, lead};
  size_t length;
  uint32_t value;
  uint32_t min;
  if ((lead & 0xe0) == 0xc0) {
    length = 2, value = lead & 0x1f, min = 0x80;
  } else if ((lead & 0xf0) == 0xe0) {
    length = 3, value = lead & 0x0f, min = 0x800;
  } else if ((lead & 0xf8) == 0xf0) {
    length = 4, value = lead & 0x07, min = 0x10000;
  } else {
    return {0, 0};
  }
  if (text.size() - i < length) return {0, 0};
  for (size_t k = 1; k < length; ++k) {
    const auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xc0) != 0x80) return {0, 0};
    value = (value << 6) | (next & 0x3f);
  }
  if (value < min || value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
    return {0, 0};
  return {length, value};
}

// A JSON string, quotes included, valid whatever `text` holds: '"', '\'
// and control characters escaped, bytes that are not UTF-8 replaced by
// U+FFFD (escaped, like U+2028 and U+2029, which break JavaScript).
void AppendJsonString(spdlog::memory_buf_t& dest, absl::string_view text) {
  dest.push_back('"');
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      dest.push_back('\\');
      dest.push_back(text[i]);
      ++i;
      continue;
    }
    if (IsControl(c)) {
      if (!AppendShortEscape(dest, c)) AppendHexEscape(dest, "\\u", c, 4);
      ++i;
      continue;
    }
    const CodePoint point = DecodeUtf8(text, i);
    if (point.length == 0) {
      Append(dest, "\\ufffd");
      ++i;
    } else if (point.value == 0x2028 || point.value == 0x2029) {
      AppendHexEscape(dest, "\\u", point.value, 4);
      i += point.length;
    } else {
      Append(dest, text.substr(i, point.length));
      i += point.length;
    }
  }
  dest.push_back('"');
}

bool IsReservedKey(absl::string_view key) {
  return key == "ts" || key == "level" || key == "component" || key == "msg";
}

absl::string_view ToView(spdlog::string_view_t view) {
  return absl::string_view(view.data(), view.size());
}

}  // namespace

ScopedFields::ScopedFields(absl::Span<const Field> fields)
    : previous_(current_fields) {
  current_fields = fields;
}

ScopedFields::~ScopedFields() { current_fields = previous_; }

void LineFormatter::format(const spdlog::details::log_msg& msg,
                           spdlog::memory_buf_t& dest) {
  const absl::string_view level =
      ToView(spdlog::level::to_string_view(msg.level));
  const absl::string_view component = ToView(msg.logger_name);
  const absl::string_view message = ToView(msg.payload);
  if (format_ == LogFormat::kJson) {
    Append(dest, "{\"ts\":\"");
    AppendTimestamp(dest, msg.time);
    Append(dest, "\",\"level\":\"");
    Append(dest, level);
    Append(dest, "\",\"component\":");
    AppendJsonString(dest, component);
    Append(dest, ",\"msg\":");
    AppendJsonString(dest, message);
    for (const Field& field : current_fields) {
      dest.push_back(',');
      // A field named like a standard key would make it appear twice.
      if (IsReservedKey(field.key())) {
        AppendJsonString(dest, absl::StrCat(field.key(), "_"));
      } else {
        AppendJsonString(dest, field.key());
      }
      dest.push_back(':');
      if (field.bare()) {
        Append(dest, field.value());
      } else {
        AppendJsonString(dest, field.value());
      }
    }
    Append(dest, "}\n");
    return;
  }
  AppendTimestamp(dest, msg.time);
  dest.push_back(' ');
  msg.color_range_start = dest.size();  // a color sink colors the level
  Append(dest, level);
  msg.color_range_end = dest.size();
  Append(dest, " [");
  AppendTextEscaped(dest, component, /*quoted=*/false);
  Append(dest, "] ");
  AppendTextEscaped(dest, message, /*quoted=*/false);
  for (const Field& field : current_fields) {
    dest.push_back(' ');
    AppendTextEscaped(dest, field.key(), /*quoted=*/false);
    dest.push_back('=');
    if (NeedsQuotes(field.value())) {
      dest.push_back('"');
      AppendTextEscaped(dest, field.value(), /*quoted=*/true);
      dest.push_back('"');
    } else {
      AppendTextEscaped(dest, field.value(), /*quoted=*/false);
    }
  }
  dest.push_back('\n');
}

}  // namespace evrouter::logging::internal
