#include "client/cli/cli_args.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace evrouter::cli {
namespace {

absl::StatusOr<CliArgs> Parse(std::vector<std::string> args,
                              std::string_view env_server = "") {
  return ParseArgs(args, env_server);
}

TEST(CliArgsTest, DefaultsApplyWithoutGlobalFlags) {
  absl::StatusOr<CliArgs> args = Parse({"exchange", "list"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->command, Command::kExchangeList);
  EXPECT_EQ(args->server, "127.0.0.1:50051");
  EXPECT_FALSE(args->json);
  EXPECT_EQ(args->timeout, absl::Seconds(10));
}

TEST(CliArgsTest, GlobalFlagsBeforeCommandInBothForms) {
  absl::StatusOr<CliArgs> args = Parse(
      {"--server", "h:1", "--json", "--timeout=250ms", "exchange", "list"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->server, "h:1");
  EXPECT_TRUE(args->json);
  EXPECT_EQ(args->timeout, absl::Milliseconds(250));
}

TEST(CliArgsTest, EnvServerUsedUnlessFlagGiven) {
  absl::StatusOr<CliArgs> from_env = Parse({"health"}, "env:2");
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->server, "env:2");
  absl::StatusOr<CliArgs> from_flag =
      Parse({"--server=flag:3", "health"}, "env:2");
  ASSERT_TRUE(from_flag.ok());
  EXPECT_EQ(from_flag->server, "flag:3");
}

TEST(CliArgsTest, HelpWinsAnywhere) {
  for (const auto& argv : std::vector<std::vector<std::string>>{
           {"--help"}, {"-h"}, {"help"}, {"exchange", "create", "--help"}}) {
    absl::StatusOr<CliArgs> args = Parse(argv);
    ASSERT_TRUE(args.ok()) << args.status();
    EXPECT_EQ(args->command, Command::kHelp);
  }
}

TEST(CliArgsTest, ExchangeCreateDefaultsToFanout) {
  absl::StatusOr<CliArgs> args = Parse({"exchange", "create", "orders"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->command, Command::kExchangeCreate);
  EXPECT_EQ(args->name, "orders");
  EXPECT_EQ(args->kind, evrouter::v1::EXCHANGE_KIND_FANOUT);
}

TEST(CliArgsTest, ExchangeCreateParsesKind) {
  absl::StatusOr<CliArgs> args =
      Parse({"exchange", "create", "orders", "--kind", "topic"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->kind, evrouter::v1::EXCHANGE_KIND_TOPIC);
  absl::StatusOr<CliArgs> direct =
      Parse({"exchange", "create", "--kind=direct", "orders"});
  ASSERT_TRUE(direct.ok()) << direct.status();
  EXPECT_EQ(direct->kind, evrouter::v1::EXCHANGE_KIND_DIRECT);
  EXPECT_EQ(direct->name, "orders");
}

TEST(CliArgsTest, RejectsUnknownKind) {
  absl::StatusOr<CliArgs> args =
      Parse({"exchange", "create", "orders", "--kind", "headers"});
  EXPECT_EQ(args.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CliArgsTest, ExchangeGetAndDeleteTakeOneName) {
  absl::StatusOr<CliArgs> get = Parse({"exchange", "get", "a"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->command, Command::kExchangeGet);
  EXPECT_EQ(get->name, "a");
  absl::StatusOr<CliArgs> del = Parse({"exchange", "delete", "a"});
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del->command, Command::kExchangeDelete);
  EXPECT_FALSE(Parse({"exchange", "get"}).ok());
  EXPECT_FALSE(Parse({"exchange", "delete", "a", "b"}).ok());
  EXPECT_FALSE(Parse({"exchange", "list", "a"}).ok());
}

TEST(CliArgsTest, RejectsMissingOrUnknownCommand) {
  EXPECT_FALSE(Parse({}).ok());
  EXPECT_FALSE(Parse({"frobnicate"}).ok());
  EXPECT_FALSE(Parse({"exchange"}).ok());
  EXPECT_FALSE(Parse({"exchange", "rename", "a"}).ok());
}

TEST(CliArgsTest, RejectsUnknownFlagAndMissingValue) {
  EXPECT_FALSE(Parse({"--verbose", "health"}).ok());
  EXPECT_FALSE(Parse({"health", "--server"}).ok());
  EXPECT_FALSE(Parse({"--json=yes", "health"}).ok());
}

TEST(CliArgsTest, RejectsBadTimeout) {
  EXPECT_FALSE(Parse({"--timeout", "soon", "health"}).ok());
  EXPECT_FALSE(Parse({"--timeout", "0s", "health"}).ok());
  EXPECT_FALSE(Parse({"--timeout", "-1s", "health"}).ok());
}

TEST(CliArgsTest, PublishCollectsPayloadsAndEventFlags) {
  absl::StatusOr<CliArgs> args =
      Parse({"publish", "orders", "--type", "order.created", "--source=shop",
             "--content-type", "text/plain", "--header", "a=1", "--header",
             "b=x=y", "p1", "p2"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->command, Command::kPublish);
  EXPECT_EQ(args->name, "orders");
  EXPECT_EQ(args->payloads, (std::vector<std::string>{"p1", "p2"}));
  const EventDefaults& defaults = args->event_defaults;
  EXPECT_EQ(defaults.type, "order.created");
  EXPECT_EQ(defaults.source, "shop");
  EXPECT_EQ(defaults.content_type, "text/plain");
  EXPECT_TRUE(args->event_id.empty());
  ASSERT_EQ(defaults.headers.size(), 2u);
  EXPECT_EQ(defaults.headers[0],
            (std::pair<std::string, std::string>{"a", "1"}));
  EXPECT_EQ(defaults.headers[1],
            (std::pair<std::string, std::string>{"b", "x=y"}));
}

TEST(CliArgsTest, PublishIdWithOnePayloadNamesThatEvent) {
  absl::StatusOr<CliArgs> args =
      Parse({"publish", "orders", "--type", "t", "--id",
             "0190a4b2-0000-7000-8000-000000000001", "only"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->event_id, "0190a4b2-0000-7000-8000-000000000001");
  EXPECT_EQ(args->payloads, (std::vector<std::string>{"only"}));
}

TEST(CliArgsTest, PublishIdWithSeveralPayloadsIsUsageError) {
  absl::StatusOr<CliArgs> args =
      Parse({"publish", "orders", "--type", "t", "--id",
             "0190a4b2-0000-7000-8000-000000000001", "a", "b", "c"});
  ASSERT_FALSE(args.ok());
  EXPECT_EQ(args.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(args.status().message(), kIdNeedsOnePayload);
}

TEST(CliArgsTest, PublishIdWithStdinIsUsageError) {
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{"publish", "orders", "--id",
                                 "0190a4b2-0000-7000-8000-000000000001"},
        std::vector<std::string>{
            "publish", "orders", "--type=t",
            "--id=0190a4b2-0000-7000-8000-000000000001"}}) {
    absl::StatusOr<CliArgs> args = Parse(argv);
    ASSERT_FALSE(args.ok()) << argv.back();
    EXPECT_EQ(args.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(args.status().message(), kIdNeedsOnePayload);
  }
}

TEST(CliArgsTest, PublishDoubleDashKeepsFlagLikePayloads) {
  absl::StatusOr<CliArgs> args =
      Parse({"publish", "orders", "--type", "t", "--", "--json", "-h"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_FALSE(args->json);
  EXPECT_EQ(args->payloads, (std::vector<std::string>{"--json", "-h"}));
}

TEST(CliArgsTest, PublishWithoutPayloadsReadsStdinAndNeedsNoType) {
  absl::StatusOr<CliArgs> args = Parse({"publish", "orders"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_TRUE(args->payloads.empty());
}

TEST(CliArgsTest, PublishPayloadsNeedType) {
  EXPECT_FALSE(Parse({"publish", "orders", "hello"}).ok());
  EXPECT_FALSE(Parse({"publish"}).ok());
}

TEST(CliArgsTest, RejectsMalformedHeader) {
  EXPECT_FALSE(
      Parse({"publish", "o", "--type", "t", "--header", "novalue"}).ok());
  EXPECT_FALSE(Parse({"publish", "o", "--type", "t", "--header", "=v"}).ok());
}

TEST(CliArgsTest, RejectsCommandFlagsOnOtherCommands) {
  EXPECT_FALSE(Parse({"exchange", "get", "a", "--kind", "topic"}).ok());
  EXPECT_FALSE(Parse({"health", "--type", "t"}).ok());
}

TEST(CliArgsTest, HealthTakesOptionalService) {
  absl::StatusOr<CliArgs> whole = Parse({"health"});
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->command, Command::kHealth);
  EXPECT_EQ(whole->name, "");
  absl::StatusOr<CliArgs> one = Parse({"health", "evrouter.v1.Publisher"});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->name, "evrouter.v1.Publisher");
  EXPECT_FALSE(Parse({"health", "a", "b"}).ok());
}

TEST(CliArgsTest, HelpTextNamesEveryCommandAndFlag) {
  const std::string help = HelpText();
  for (const char* word :
       {"--server", "EVROUTER_SERVER", "--json", "--timeout", "--help",
        "exchange create", "--kind", "exchange get", "exchange list",
        "exchange delete", "publish", "--type", "--source", "--content-type",
        "--header", "--id", "health"}) {
    EXPECT_NE(help.find(word), std::string::npos) << word;
  }
}

}  // namespace
}  // namespace evrouter::cli
