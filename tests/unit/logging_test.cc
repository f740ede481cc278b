#include "server/logging/logging.h"

#include <google/protobuf/stubs/logging.h>
#include <grpc/support/log.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "server/logging/library_logs.h"
#include "server/logging/log_throttle.h"
#include "tests/support/json_log_line.h"

namespace evrouter::logging {
namespace {

using ::evrouter::testing::ParseJsonLogLine;
using ::testing::HasSubstr;

// A logger named `component` writing `format` into a string.
class CapturedLogger {
 public:
  CapturedLogger(LogFormat format, const std::string& component = "auth")
      : sink_(std::make_shared<spdlog::sinks::ostream_sink_st>(out_)),
        logger_(component, sink_) {
    sink_->set_formatter(NewLineFormatter(format));
    logger_.set_level(spdlog::level::trace);
  }

  spdlog::logger& logger() { return logger_; }
  // Everything logged so far.
  std::string Text() const { return out_.str(); }
  // The lines logged so far, without their newlines.
  std::vector<std::string> Lines() const {
    std::vector<std::string> lines = absl::StrSplit(Text(), '\n');
    if (!lines.empty() && lines.back().empty()) lines.pop_back();
    return lines;
  }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::sinks::ostream_sink_st> sink_;
  spdlog::logger logger_;
};

// The only line logged to `captured`, parsed.
google::protobuf::Struct OnlyJsonLine(const CapturedLogger& captured) {
  std::vector<std::string> lines = captured.Lines();
  EXPECT_EQ(lines.size(), 1u) << captured.Text();
  if (lines.empty()) return {};
  absl::StatusOr<google::protobuf::Struct> object = ParseJsonLogLine(lines[0]);
  EXPECT_TRUE(object.ok()) << object.status();
  return object.ok() ? *object : google::protobuf::Struct();
}

std::string StringOf(const google::protobuf::Struct& object,
                     const std::string& key) {
  auto it = object.fields().find(key);
  return it == object.fields().end() ? "<missing>" : it->second.string_value();
}

TEST(LogFormatTest, ParsesTextAndJson) {
  EXPECT_EQ(ParseLogFormat("text").value(), LogFormat::kText);
  EXPECT_EQ(ParseLogFormat("json").value(), LogFormat::kJson);
}

TEST(LogFormatTest, RefusesOtherNamesNamingTheChoices) {
  for (const char* bad : {"", "JSON", "Text", "xml", "json ", "logfmt"}) {
    absl::StatusOr<LogFormat> format = ParseLogFormat(bad);
    ASSERT_FALSE(format.ok()) << bad;
    EXPECT_EQ(format.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(format.status().message(), HasSubstr("text or json"));
  }
}

TEST(LogLineFormatterTest, TextLineHasTimestampLevelComponentMessageAndFields) {
  CapturedLogger captured(LogFormat::kText);
  Warn(captured.logger(), "authentication failed",
       {{"reason", "unknown token"},
        {"peer", "ipv4:127.0.0.1:5555"},
        {"method", "/evrouter.v1.Admin/GetStats"}});
  EXPECT_TRUE(std::regex_match(
      captured.Text(),
      std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z warning \[auth\] )"
                 R"(authentication failed reason="unknown token" )"
                 R"(peer=ipv4:127\.0\.0\.1:5555 )"
                 R"(method=/evrouter\.v1\.Admin/GetStats\n)")))
      << captured.Text();
}

TEST(LogLineFormatterTest, TextWithoutFieldsIsTodaysLayoutPlusTheComponent) {
  CapturedLogger captured(LogFormat::kText, "server");
  captured.logger().info("serving on {}, {} exchanges restored", "1.2.3.4:5",
                         2);
  EXPECT_TRUE(std::regex_match(
      captured.Text(),
      std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info \[server\] )"
                 R"(serving on 1\.2\.3\.4:5, 2 exchanges restored\n)")))
      << captured.Text();
}

TEST(LogLineFormatterTest, TextKeepsEachRecordOnOneLineAndQuotesOddValues) {
  CapturedLogger captured(LogFormat::kText);
  Info(captured.logger(), "two\nlines\tand\x01 more",
       {{"empty", ""},
        {"quote", "say \"hi\""},
        {"eq", "a=b"},
        {"newline", "x\ny"},
        {"backslash", "C:\\dir"},
        {"plain", "caf\xc3\xa9"}});
  EXPECT_THAT(captured.Text(),
              HasSubstr("] two\\nlines\\tand\\x01 more empty=\"\" "
                        "quote=\"say \\\"hi\\\"\" eq=\"a=b\" "
                        "newline=\"x\\ny\" backslash=\"C:\\\\dir\" "
                        "plain=caf\xc3\xa9\n"));
  EXPECT_EQ(captured.Lines().size(), 1u) << captured.Text();
}

TEST(LogLineFormatterTest, JsonLineHasTheStandardKeysAndTypedFields) {
  CapturedLogger captured(LogFormat::kJson);
  Info(captured.logger(), "serving on 127.0.0.1:5000",
       {{"address", "127.0.0.1:5000"},
        {"exchanges", 3},
        {"offset", uint64_t{18446744073709551615u}},
        {"delta", -2},
        {"tls", true},
        {"grace", absl::Milliseconds(1500)}});
  const std::vector<std::string> lines = captured.Lines();
  ASSERT_EQ(lines.size(), 1u);
  // Key order is fixed: ts, level, component, msg, then the fields.
  EXPECT_TRUE(std::regex_match(
      lines[0],
      std::regex(
          R"(\{"ts":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","level":"info",)"
          R"("component":"auth","msg":"serving on 127\.0\.0\.1:5000",)"
          R"("address":"127\.0\.0\.1:5000","exchanges":3,)"
          R"("offset":18446744073709551615,"delta":-2,"tls":true,)"
          R"("grace":"1\.5s"\})")))
      << lines[0];
  google::protobuf::Struct object = OnlyJsonLine(captured);
  EXPECT_EQ(StringOf(object, "level"), "info");
  EXPECT_EQ(StringOf(object, "component"), "auth");
  EXPECT_EQ(object.fields().at("exchanges").number_value(), 3);
  EXPECT_TRUE(object.fields().at("tls").bool_value());
  EXPECT_EQ(StringOf(object, "grace"), "1.5s");
}

TEST(LogLineFormatterTest, JsonLevelsAreSpdlogsNames) {
  CapturedLogger captured(LogFormat::kJson);
  captured.logger().debug("d");
  captured.logger().warn("w");
  captured.logger().error("e");
  captured.logger().critical("c");
  std::vector<std::string> levels;
  for (const std::string& line : captured.Lines()) {
    absl::StatusOr<google::protobuf::Struct> object = ParseJsonLogLine(line);
    ASSERT_TRUE(object.ok()) << object.status();
    levels.push_back(StringOf(*object, "level"));
  }
  EXPECT_EQ(levels, (std::vector<std::string>{"debug", "warning", "error",
                                              "critical"}));
}

TEST(LogLineFormatterTest, JsonEscapesQuotesBackslashesAndControlCharacters) {
  std::string message = "say \"hi\" C:\\dir\nnext\r\ttab /slash";
  for (int c = 0; c < 0x20; ++c) message.push_back(static_cast<char>(c));
  message.push_back('\x7f');
  CapturedLogger captured(LogFormat::kJson);
  Info(captured.logger(), message, {{"value", message}});
  EXPECT_THAT(captured.Text(),
              HasSubstr(R"("msg":"say \"hi\" C:\\dir\nnext\r\ttab /slash)"
                        R"(\u0000\u0001)"));
  google::protobuf::Struct object = OnlyJsonLine(captured);
  EXPECT_EQ(StringOf(object, "msg"), message);
  EXPECT_EQ(StringOf(object, "value"), message);
}

TEST(LogLineFormatterTest, JsonReplacesInvalidUtf8AndKeepsValidUtf8) {
  struct Case {
    std::string in;
    std::string want;  // what the parsed JSON holds
  };
  const std::string kReplacement = "\xef\xbf\xbd";  // U+FFFD
  const std::vector<Case> cases = {
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
       "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},  // é € 😀
      {"a\xff", "a" + kReplacement},                  // never UTF-8
      {"\x80z", kReplacement + "z"},                  // stray continuation
      {"\xe2\x82", kReplacement + kReplacement},      // truncated
      {"\xc0\xaf", kReplacement + kReplacement},      // overlong '/'
      {"\xed\xa0\x80", kReplacement + kReplacement + kReplacement},  // D800
      {"\xf4\x90\x80\x80",  // past U+10FFFF
       kReplacement + kReplacement + kReplacement + kReplacement},
      {"\xe2\x80\xa8", "\xe2\x80\xa8"},  // U+2028, escaped on the wire
  };
  for (const Case& c : cases) {
    CapturedLogger captured(LogFormat::kJson,
                            "bad\xff"
                            "component");
    Info(captured.logger(), c.in, {{"name", c.in}});
    google::protobuf::Struct object = OnlyJsonLine(captured);
    EXPECT_EQ(StringOf(object, "msg"), c.want) << captured.Text();
    EXPECT_EQ(StringOf(object, "name"), c.want) << captured.Text();
    EXPECT_EQ(StringOf(object, "component"),
              "bad" + kReplacement + "component");
  }
}

TEST(LogLineFormatterTest, JsonIsValidForRandomBytes) {
  std::mt19937 random(20261122);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 40);
  for (int i = 0; i < 2000; ++i) {
    std::string message;
    for (int n = length(random); n > 0; --n) message.push_back(byte(random));
    CapturedLogger captured(LogFormat::kJson);
    Warn(captured.logger(), message, {{"peer", message}});
    const std::vector<std::string> lines = captured.Lines();
    ASSERT_EQ(lines.size(), 1u) << captured.Text();
    absl::StatusOr<google::protobuf::Struct> object =
        ParseJsonLogLine(lines[0]);
    ASSERT_TRUE(object.ok()) << object.status();
  }
}

TEST(LogLineFormatterTest, MessagesAreNotFormatStrings) {
  CapturedLogger captured(LogFormat::kJson);
  Info(captured.logger(), "queue {} {0} {:x} %s");
  EXPECT_EQ(StringOf(OnlyJsonLine(captured), "msg"), "queue {} {0} {:x} %s");
}

TEST(LogLineFormatterTest, FieldNamedLikeAStandardKeyDoesNotReplaceIt) {
  CapturedLogger captured(LogFormat::kJson);
  Info(captured.logger(), "real", {{"msg", "fake"}, {"level", "fake"}});
  google::protobuf::Struct object = OnlyJsonLine(captured);
  EXPECT_EQ(StringOf(object, "msg"), "real");
  EXPECT_EQ(StringOf(object, "level"), "info");
  EXPECT_EQ(StringOf(object, "msg_"), "fake");
  EXPECT_EQ(StringOf(object, "level_"), "fake");
}

TEST(LogLineFormatterTest, FieldsBelongToTheirLineOnly) {
  CapturedLogger captured(LogFormat::kText);
  Info(captured.logger(), "first", {{"peer", "p1"}});
  captured.logger().info("second");
  Debug(captured.logger(), "third", {{"method", "m"}});
  std::vector<std::string> lines = captured.Lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_THAT(lines[0], ::testing::EndsWith("] first peer=p1"));
  EXPECT_THAT(lines[1], ::testing::EndsWith("] second"));
  EXPECT_THAT(lines[2], ::testing::EndsWith("] third method=m"));
}

TEST(LogLineFormatterTest, LinesBelowTheLevelAreNotWritten) {
  CapturedLogger captured(LogFormat::kJson);
  captured.logger().set_level(spdlog::level::info);
  Debug(captured.logger(), "hidden", {{"peer", "p"}});
  Error(captured.logger(), "shown");
  EXPECT_EQ(StringOf(OnlyJsonLine(captured), "msg"), "shown");
}

TEST(LoggerTest, OneLoggerPerComponent) {
  spdlog::logger& http = Logger("http");
  EXPECT_EQ(&http, &Logger("http"));
  EXPECT_NE(&http, &Logger("auth"));
  EXPECT_EQ(http.name(), "http");
}

// SetUpLogging changes process-wide state; the test puts the default back.
TEST(LoggerTest, SetUpLoggingSharesOneStderrSinkAndFormat) {
  ::testing::internal::CaptureStderr();
  SetUpLogging(LogFormat::kJson, spdlog::level::debug);
  Info(Logger("http"), "listening", {{"address", "127.0.0.1:9090"}});
  Debug(Logger("storage"), "debug is on");
  spdlog::info("through spdlog's default logger");
  Logger("grpc").trace("below the level");
  std::string err = ::testing::internal::GetCapturedStderr();
  SetUpLogging(LogFormat::kText, spdlog::level::info);

  std::vector<std::string> lines = absl::StrSplit(err, '\n');
  ASSERT_EQ(lines.size(), 4u) << err;  // three lines and the last newline
  std::vector<std::string> components;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<google::protobuf::Struct> object =
        ParseJsonLogLine(lines[i]);
    ASSERT_TRUE(object.ok()) << object.status();
    components.push_back(StringOf(*object, "component"));
  }
  EXPECT_EQ(components,
            (std::vector<std::string>{"http", "storage", "server"}));
  EXPECT_THAT(lines[0], HasSubstr(R"("address":"127.0.0.1:9090")"));
}

TEST(LibraryLogsTest, GrpcAndProtobufLinesGoToTheirComponents) {
  ::testing::internal::CaptureStderr();
  SetUpLogging(LogFormat::kJson, spdlog::level::debug);
  RouteLibraryLogs();
  gpr_set_log_verbosity(GPR_LOG_SEVERITY_DEBUG);
  gpr_log(GPR_ERROR, "Handshake failed with \"%s\"", "bad\nthing");
  gpr_log(GPR_INFO, "an info line");
  GOOGLE_LOG(ERROR) << "String field contains invalid UTF-8 data \xff";
  std::string err = ::testing::internal::GetCapturedStderr();
  gpr_set_log_verbosity(GPR_LOG_SEVERITY_ERROR);
  SetUpLogging(LogFormat::kText, spdlog::level::info);

  std::vector<std::string> lines = absl::StrSplit(err, '\n');
  ASSERT_EQ(lines.size(), 4u) << err;
  std::vector<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<google::protobuf::Struct> object =
        ParseJsonLogLine(lines[i]);
    ASSERT_TRUE(object.ok()) << object.status();
    seen.push_back(absl::StrCat(StringOf(*object, "component"), " ",
                                StringOf(*object, "level"), " ",
                                StringOf(*object, "msg")));
    EXPECT_THAT(StringOf(*object, "source"),
                ::testing::MatchesRegex(".*\\.cc:[0-9]+"));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "grpc warning Handshake failed with \"bad\nthing\"",
                      "grpc debug an info line",
                      "protobuf debug String field contains invalid UTF-8 "
                      "data \xef\xbf\xbd"}));
}

TEST(LogThrottleTest, LetsTheLimitThroughPerSecondAndCountsTheRest) {
  LogThrottle throttle(5);
  const absl::Time start = absl::FromUnixSeconds(1'000'000);
  uint64_t suppressed = 99;
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(throttle.Allow(start + absl::Milliseconds(i), &suppressed));
    EXPECT_EQ(suppressed, 0u);
  }
  for (int i = 0; i < 7; ++i) {
    EXPECT_FALSE(throttle.Allow(start + absl::Milliseconds(500), &suppressed));
  }
  EXPECT_FALSE(throttle.Allow(start + absl::Milliseconds(999), &suppressed));
  // A new window: the first line carries the count of those held back.
  EXPECT_TRUE(throttle.Allow(start + absl::Seconds(1), &suppressed));
  EXPECT_EQ(suppressed, 8u);
  EXPECT_TRUE(throttle.Allow(start + absl::Seconds(1), &suppressed));
  EXPECT_EQ(suppressed, 0u);
}

TEST(LogThrottleTest, AWindowStartsWithTheFirstLineAfterAPause) {
  LogThrottle throttle(1);
  const absl::Time start = absl::FromUnixSeconds(1'000'000);
  uint64_t suppressed = 0;
  EXPECT_TRUE(throttle.Allow(start, &suppressed));
  EXPECT_TRUE(throttle.Allow(start + absl::Seconds(10), &suppressed));
  EXPECT_FALSE(throttle.Allow(start + absl::Seconds(10.9), &suppressed));
  EXPECT_TRUE(throttle.Allow(start + absl::Seconds(11), &suppressed));
  EXPECT_EQ(suppressed, 1u);
}

TEST(LogThrottleTest, CountsEveryLineFromManyThreads) {
  LogThrottle throttle(5);
  const absl::Time now = absl::FromUnixSeconds(1'000'000);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      uint64_t suppressed = 0;
      for (int i = 0; i < 250; ++i) {
        if (throttle.Allow(now, &suppressed)) ++allowed;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 5);
  uint64_t suppressed = 0;
  EXPECT_TRUE(throttle.Allow(now + absl::Seconds(1), &suppressed));
  EXPECT_EQ(suppressed, 995u);
}

}  // namespace
}  // namespace evrouter::logging
