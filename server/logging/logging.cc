#include "server/logging/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/logging/line_formatter.h"

namespace evrouter::logging {
namespace {

// The component loggers and their one sink. Leaked: loggers are handed out
// by reference and may log until the process exits.
class Registry {
 public:
  Registry() : sink_(std::make_shared<spdlog::sinks::stderr_color_sink_mt>()) {
    sink_->set_formatter(NewLineFormatter(LogFormat::kText));
  }

  static Registry& Get() {
    static Registry* const registry = new Registry();
    return *registry;
  }

  std::shared_ptr<spdlog::logger> Find(absl::string_view component) {
    absl::MutexLock lock(&mu_);
    auto it = loggers_.find(component);
    if (it != loggers_.end()) return it->second;
    auto logger =
        std::make_shared<spdlog::logger>(std::string(component), sink_);
    logger->set_level(level_);
    loggers_.emplace(std::string(component), logger);
    return logger;
  }

  void Configure(LogFormat format, spdlog::level::level_enum level) {
    sink_->set_formatter(NewLineFormatter(format));  // under the sink's lock
    absl::MutexLock lock(&mu_);
    level_ = level;
    for (auto& [name, logger] : loggers_) logger->set_level(level);
  }

 private:
  const std::shared_ptr<spdlog::sinks::sink> sink_;
  absl::Mutex mu_;
  spdlog::level::level_enum level_ ABSL_GUARDED_BY(mu_) = spdlog::level::info;
  absl::flat_hash_map<std::string, std::shared_ptr<spdlog::logger>> loggers_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view text) {
  if (text == "text") return LogFormat::kText;
  if (text == "json") return LogFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log format '", text, "': text or json"));
}

void SetUpLogging(LogFormat format, spdlog::level::level_enum level) {
  Registry::Get().Configure(format, level);
  spdlog::set_default_logger(Registry::Get().Find("server"));
}

spdlog::logger& Logger(absl::string_view component) {
  return *Registry::Get().Find(component);
}

void Log(spdlog::logger& logger, spdlog::level::level_enum level,
         absl::string_view message, absl::Span<const Field> fields) {
  if (!logger.should_log(level)) return;
  internal::ScopedFields scoped(fields);
  logger.log(level, spdlog::string_view_t(message.data(), message.size()));
}

std::unique_ptr<spdlog::formatter> NewLineFormatter(LogFormat format) {
  return std::make_unique<internal::LineFormatter>(format);
}

}  // namespace evrouter::logging
