#include "server/logging/library_logs.h"

#include <google/protobuf/stubs/logging.h>
#include <grpc/support/log.h>

#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "server/logging/log_throttle.h"
#include "server/logging/logging.h"

namespace evrouter::logging {
namespace {

constexpr int kLinesPerSecond = 5;

// A library's logger and throttle. The log hooks are plain function
// pointers, so these live in statics (leaked: libraries log until exit).
struct Route {
  spdlog::logger& logger;
  LogThrottle throttle{kLinesPerSecond};
};

Route& GrpcRoute() {
  static Route* const route = new Route{Logger("grpc")};
  return *route;
}

Route& ProtobufRoute() {
  static Route* const route = new Route{Logger("protobuf")};
  return *route;
}

std::string Source(const char* file, int line) {
  absl::string_view path = file == nullptr ? "?" : file;
  if (size_t slash = path.rfind('/'); slash != absl::string_view::npos) {
    path.remove_prefix(slash + 1);
  }
  return absl::StrCat(path, ":", line);
}

void LogThrottled(Route& route, spdlog::level::level_enum level,
                  absl::string_view message, const char* file, int line) {
  if (!route.logger.should_log(level)) return;  // not counted either
  uint64_t suppressed = 0;
  if (!route.throttle.Allow(absl::Now(), &suppressed)) return;
  if (suppressed > 0) {
    Warn(route.logger,
         absl::StrCat(suppressed, " more lines were not logged (at most ",
                      kLinesPerSecond, " a second)"),
         {{"suppressed", suppressed}});
  }
  Log(route.logger, level, message, {{"source", Source(file, line)}});
}

void RouteGrpcLog(gpr_log_func_args* args) {
  const absl::string_view message =
      args->message == nullptr ? "" : args->message;
  // GPR_ASSERT logs this, then aborts: the last line must not be lost.
  if (absl::StartsWith(message, "assertion failed")) {
    Log(GrpcRoute().logger, spdlog::level::critical, message,
        {{"source", Source(args->file, args->line)}});
    return;
  }
  LogThrottled(GrpcRoute(),
               args->severity == GPR_LOG_SEVERITY_ERROR ? spdlog::level::warn
                                                        : spdlog::level::debug,
               message, args->file, args->line);
}

void RouteProtobufLog(google::protobuf::LogLevel level, const char* filename,
                      int line, const std::string& message) {
  if (level == google::protobuf::LOGLEVEL_FATAL) {
    Log(ProtobufRoute().logger, spdlog::level::critical, message,
        {{"source", Source(filename, line)}});
    return;
  }
  LogThrottled(ProtobufRoute(), spdlog::level::debug, message, filename, line);
}

}  // namespace

void RouteLibraryLogs() {
  gpr_set_log_function(&RouteGrpcLog);
  google::protobuf::SetLogHandler(&RouteProtobufLog);
}

}  // namespace evrouter::logging
