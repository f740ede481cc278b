#ifndef EVROUTER_SERVER_LOGGING_LINE_FORMATTER_H_
#define EVROUTER_SERVER_LOGGING_LINE_FORMATTER_H_

// Internal to server/logging: the spdlog formatter of both log formats, and
// how Log() hands it the fields of the line being written.

#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>

#include <memory>

#include "absl/types/span.h"
#include "server/logging/logging.h"

namespace evrouter::logging::internal {

// Makes `fields` the fields of the lines this thread logs while it lives
// (loggers are synchronous: the formatter runs in the logging thread).
// Nests: the previous fields come back when it is destroyed.
class ScopedFields {
 public:
  explicit ScopedFields(absl::Span<const Field> fields);
  ~ScopedFields();
  ScopedFields(const ScopedFields&) = delete;
  ScopedFields& operator=(const ScopedFields&) = delete;

 private:
  absl::Span<const Field> previous_;
};

// One line per record: text or JSON (see LogFormat), the logger's name as
// the component, the current ScopedFields as fields. Stateless.
class LineFormatter final : public spdlog::formatter {
 public:
  explicit LineFormatter(LogFormat format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg,
              spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>(format_);
  }

 private:
  const LogFormat format_;
};

}  // namespace evrouter::logging::internal

#endif  // EVROUTER_SERVER_LOGGING_LINE_FORMATTER_H_
