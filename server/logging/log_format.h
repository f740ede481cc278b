#ifndef EVROUTER_SERVER_LOGGING_LOG_FORMAT_H_
#define EVROUTER_SERVER_LOGGING_LOG_FORMAT_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace evrouter::logging {

// How evrouterd writes its log (--log-format).
enum class LogFormat {
  // 2026-11-22T10:00:00.123Z info [auth] message key=value key2="a b"
  kText,
  // {"ts":"2026-11-22T10:00:00.123Z","level":"info","component":"auth",
  //  "msg":"message","key":"value","key2":"a b"}
  kJson,
};

// "text" or "json"; INVALID_ARGUMENT naming both otherwise.
absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view text);

}  // namespace evrouter::logging

#endif  // EVROUTER_SERVER_LOGGING_LOG_FORMAT_H_
