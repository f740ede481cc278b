#include "storage/pg_json_headers.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"

namespace evrouter {
namespace {

// JSON string literal for `s`: quotes, backslashes and control characters
// escaped; other bytes (UTF-8) copied as they are.
void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Parses the flat object of strings that HeadersToJson wrote, as jsonb
// prints it back.
class FlatJsonParser {
 public:
  explicit FlatJsonParser(std::string_view in) : in_(in) {}

  bool Parse(std::vector<std::pair<std::string, std::string>>* out) {
    SkipSpace();
    if (!Consume('{')) return false;
    SkipSpace();
    if (Consume('}')) return AtEnd();
    while (true) {
      std::string key, value;
      SkipSpace();
      if (!ParseString(&key)) return false;
      SkipSpace();
      if (!Consume(':')) return false;
      SkipSpace();
      if (!ParseString(&value)) return false;
      out->emplace_back(std::move(key), std::move(value));
      SkipSpace();
      if (Consume('}')) return AtEnd();
      if (!Consume(',')) return false;
    }
  }

 private:
  bool AtEnd() {
    SkipSpace();
    return pos_ == in_.size();
  }
  void SkipSpace() {
    while (pos_ < in_.size() && absl::ascii_isspace(in_[pos_])) ++pos_;
  }
  bool Consume(char c) {
    if (pos_ < in_.size() && in_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool ParseHex4(uint32_t* value) {
    if (pos_ + 4 > in_.size()) return false;
    *value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = in_[pos_++];
      if (!absl::ascii_isxdigit(c)) return false;
      *value = *value * 16 + (absl::ascii_isdigit(c)
                                  ? c - '0'
                                  : absl::ascii_tolower(c) - 'a' + 10);
    }
    return true;
  }
  bool ParseString(std::string* out) {
    if (!Consume('"')) return false;
    while (pos_ < in_.size()) {
      const char c = in_[pos_++];
      if (c == '"') return true;
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= in_.size()) return false;
      const char e = in_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out->push_back(e);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t cp;
          if (!ParseHex4(&cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00) {
            uint32_t low;
            if (!Consume('\\') || !Consume('u') || !ParseHex4(&low) ||
                low < 0xDC00 || low >= 0xE000) {
              return false;
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }

  std::string_view in_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<std::string> HeadersToJson(
    const std::vector<std::pair<std::string, std::string>>& headers) {
  if (headers.empty()) return std::nullopt;
  std::string json = "{";
  for (const auto& [key, value] : headers) {
    if (json.size() > 1) json.push_back(',');
    AppendJsonString(key, &json);
    json.push_back(':');
    AppendJsonString(value, &json);
  }
  json.push_back('}');
  return json;
}

bool HeadersFromJson(std::string_view json,
                     std::vector<std::pair<std::string, std::string>>* out) {
  out->clear();
  FlatJsonParser parser(json);
  if (!parser.Parse(out)) return false;
  std::sort(out->begin(), out->end());
  return true;
}

}  // namespace evrouter
