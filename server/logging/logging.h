#ifndef EVROUTER_SERVER_LOGGING_LOGGING_H_
#define EVROUTER_SERVER_LOGGING_LOGGING_H_

// evrouterd's log: named component loggers ("server", "auth", "storage",
// "grpc", "http", ...) sharing one stderr sink, written as text or as JSON
// lines, each line optionally with key/value fields:
//
//   spdlog::logger& log = logging::Logger("http");
//   log.info("listening on {}", address);                 // no fields
//   logging::Info(log, "request", {{"path", path}, {"status", 200}});
//
// Never log bearer tokens, passwords or event payloads: messages and field
// values go to the log as they are (escaped, never filtered).

#include <spdlog/formatter.h>
#include <spdlog/logger.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "server/logging/log_format.h"

namespace evrouter::logging {

// One key/value of a log line: a string, or a number or bool (JSON writes
// those unquoted). Keys are fixed names from the code (not "ts", "level",
// "component" or "msg"); values may be anything, they are escaped.
class Field {
 public:
  Field(absl::string_view key, absl::string_view value)
      : key_(key), value_(value) {}
  Field(absl::string_view key, std::string_view value)
      : key_(key), value_(value) {}
  Field(absl::string_view key, const char* value) : key_(key), value_(value) {}
  Field(absl::string_view key, const std::string& value)
      : key_(key), value_(value) {}
  Field(absl::string_view key, bool value)
      : key_(key), value_(value ? "true" : "false"), bare_(true) {}
  template <typename Int, std::enable_if_t<std::is_integral_v<Int> &&
                                               !std::is_same_v<Int, bool> &&
                                               !std::is_same_v<Int, char>,
                                           int> = 0>
  Field(absl::string_view key, Int value)
      : key_(key), value_(absl::StrCat(value)), bare_(true) {}
  // As absl::FormatDuration writes it ("1.5s").
  Field(absl::string_view key, absl::Duration value)
      : key_(key), value_(absl::FormatDuration(value)) {}

  absl::string_view key() const { return key_; }
  const std::string& value() const { return value_; }
  // True for numbers and bools: JSON writes the value without quotes.
  bool bare() const { return bare_; }

 private:
  absl::string_view key_;
  std::string value_;
  bool bare_ = false;
};

// Sets the format and level of every component logger, and makes
// Logger("server") spdlog's default logger (so spdlog::info() is component
// "server"). Call it once at start; before it, loggers write text at info.
void SetUpLogging(LogFormat format, spdlog::level::level_enum level);

// The logger of `component` (its name), created on first use with the
// shared sink, format and level. Never destroyed; thread-safe.
spdlog::logger& Logger(absl::string_view component);

// Logs `message` (as is: no {} formatting) with `fields` on `logger`.
// Thread-safe; the fields apply to this line only.
void Log(spdlog::logger& logger, spdlog::level::level_enum level,
         absl::string_view message, absl::Span<const Field> fields = {});

inline void Debug(spdlog::logger& logger, absl::string_view message,
                  absl::Span<const Field> fields = {}) {
  Log(logger, spdlog::level::debug, message, fields);
}
inline void Info(spdlog::logger& logger, absl::string_view message,
                 absl::Span<const Field> fields = {}) {
  Log(logger, spdlog::level::info, message, fields);
}
inline void Warn(spdlog::logger& logger, absl::string_view message,
                 absl::Span<const Field> fields = {}) {
  Log(logger, spdlog::level::warn, message, fields);
}
inline void Error(spdlog::logger& logger, absl::string_view message,
                  absl::Span<const Field> fields = {}) {
  Log(logger, spdlog::level::err, message, fields);
}

// The formatter SetUpLogging gives the shared sink: one line per record in
// `format`, with the fields of Log(). For tests and other sinks.
std::unique_ptr<spdlog::formatter> NewLineFormatter(LogFormat format);

}  // namespace evrouter::logging

#endif  // EVROUTER_SERVER_LOGGING_LOGGING_H_
