#include "client/cli/cli_args.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/help_text.h"

namespace evrouter::cli {
namespace {

using Env = std::map<std::string, std::string, std::less<>>;

// Parses with `env` as the whole environment (empty by default, so no
// default token file either).
absl::StatusOr<CliArgs> Parse(std::vector<std::string> args,
                              const Env& env = {}) {
  return ParseArgs(args, [&env](std::string_view name) {
    auto it = env.find(name);
    return it == env.end() ? std::string() : it->second;
  });
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
  const Env env = {{"EVROUTER_SERVER", "env:2"}};
  absl::StatusOr<CliArgs> from_env = Parse({"health"}, env);
  ASSERT_TRUE(from_env.ok());
  EXPECT_EQ(from_env->server, "env:2");
  absl::StatusOr<CliArgs> from_flag = Parse({"--server=flag:3", "health"}, env);
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
  for (const char* word : {"--server",
                           "EVROUTER_SERVER",
                           "--json",
                           "--timeout",
                           "--help",
                           "exchange create",
                           "--kind",
                           "exchange get",
                           "exchange list",
                           "exchange delete",
                           "publish",
                           "--type",
                           "--source",
                           "--content-type",
                           "--header",
                           "--id",
                           "health",
                           "queue create",
                           "--exchange",
                           "--binding",
                           "--limit-size",
                           "--from-earliest",
                           "queue get",
                           "queue list",
                           "queue delete",
                           "consumer create",
                           "consumer list",
                           "--queue",
                           "consumer seek",
                           "--offset",
                           "--time",
                           "consumer delete",
                           "subscribe",
                           "--consumer",
                           "--from",
                           "--max-in-flight",
                           "--takeover",
                           "--limit",
                           "--wait",
                           "stats",
                           "SIGINT",
                           "--token",
                           "EVROUTER_TOKEN",
                           "--token-file",
                           "EVROUTER_TOKEN_FILE",
                           "XDG_CONFIG_HOME",
                           "--tls",
                           "--tls-ca",
                           "EVROUTER_TLS_CA",
                           "--tls-cert",
                           "EVROUTER_TLS_CERT",
                           "--tls-key",
                           "EVROUTER_TLS_KEY",
                           "user create",
                           "--admin",
                           "--publish",
                           "--subscribe",
                           "user list",
                           "user delete",
                           "user grant",
                           "user revoke",
                           "token issue",
                           "--description",
                           "token revoke"}) {
    EXPECT_NE(help.find(word), std::string::npos) << word;
  }
}

TEST(CliArgsTest, ShortUsageNamesEveryCommandGroup) {
  const std::string usage = ShortUsage();
  for (const char* word :
       {"exchange create|get|list|delete", "queue create|get|list|delete",
        "consumer create|list|seek|delete", "publish", "subscribe", "stats",
        "health", "user create|list|delete|grant|revoke", "token issue|revoke",
        "--token"}) {
    EXPECT_NE(usage.find(word), std::string::npos) << word;
  }
}

// A good usage and what it must parse to.
struct GoodUsage {
  std::vector<std::string> argv;
  std::function<void(const CliArgs&)> check;
};

TEST(CliArgsTest, QueueConsumerSubscribeAndStatsUsages) {
  const absl::Time kTime = absl::FromUnixSeconds(1704164645);  // 03:04:05Z
  const std::vector<GoodUsage> cases = {
      {{"queue", "create", "q1", "--exchange", "orders"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.command, Command::kQueueCreate);
         EXPECT_EQ(a.name, "q1");
         EXPECT_EQ(a.exchange, "orders");
         EXPECT_TRUE(a.bindings.empty());
         EXPECT_EQ(a.limit_size, 0u);
         EXPECT_FALSE(a.from_earliest);
       }},
      {{"queue", "create", "--exchange=orders", "q1", "--binding", "a.*",
        "--binding=b.#", "--limit-size", "500", "--from-earliest"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.name, "q1");
         EXPECT_EQ(a.bindings, (std::vector<std::string>{"a.*", "b.#"}));
         EXPECT_EQ(a.limit_size, 500u);
         EXPECT_TRUE(a.from_earliest);
       }},
      {{"queue", "get", "q1"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.command, Command::kQueueGet);
         EXPECT_EQ(a.name, "q1");
       }},
      {{"queue", "list"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.command, Command::kQueueList);
         EXPECT_EQ(a.exchange, "");
       }},
      {{"queue", "list", "--exchange", "orders"},
       [](const CliArgs& a) { EXPECT_EQ(a.exchange, "orders"); }},
      {{"queue", "delete", "q1"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.command, Command::kQueueDelete);
         EXPECT_EQ(a.name, "q1");
       }},
      {{"consumer", "create", "q1", "c1"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.command, Command::kConsumerCreate);
         EXPECT_EQ(a.queue, "q1");
         EXPECT_EQ(a.name, "c1");
       }},
      {{"consumer", "list"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.command, Command::kConsumerList);
         EXPECT_EQ(a.queue, "");
       }},
      {{"consumer", "list", "--queue=q1"},
       [](const CliArgs& a) { EXPECT_EQ(a.queue, "q1"); }},
      {{"consumer", "seek", "q1", "c1", "--offset", "2"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.command, Command::kConsumerSeek);
         EXPECT_EQ(a.queue, "q1");
         EXPECT_EQ(a.name, "c1");
         EXPECT_EQ(a.seek_offset, std::optional<uint64_t>(2));
         EXPECT_FALSE(a.seek_time.has_value());
       }},
      {{"consumer", "seek", "q1", "c1", "--time", "2024-01-02T04:04:05+01:00"},
       [kTime](const CliArgs& a) {
         EXPECT_FALSE(a.seek_offset.has_value());
         EXPECT_EQ(a.seek_time, std::optional<absl::Time>(kTime));
       }},
      {{"consumer", "delete", "q1", "c1"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.command, Command::kConsumerDelete);
         EXPECT_EQ(a.queue, "q1");
         EXPECT_EQ(a.name, "c1");
       }},
      {{"subscribe", "q1", "--consumer", "c1"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.command, Command::kSubscribe);
         EXPECT_EQ(a.start.queue(), "q1");
         EXPECT_EQ(a.start.consumer(), "c1");
         EXPECT_EQ(a.start.position(), evrouter::v1::START_POSITION_RESUME);
         EXPECT_EQ(a.start.max_in_flight(), 0u);
         EXPECT_FALSE(a.start.takeover());
         EXPECT_EQ(a.limit, 0u);
         EXPECT_EQ(a.wait, absl::ZeroDuration());
       }},
      {{"subscribe", "--consumer=c1", "q1", "--from", "earliest"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.start.queue(), "q1");
         EXPECT_EQ(a.start.position(), evrouter::v1::START_POSITION_EARLIEST);
       }},
      {{"subscribe", "q1", "--consumer", "c1", "--from", "latest"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.start.position(), evrouter::v1::START_POSITION_LATEST);
       }},
      {{"subscribe", "q1", "--consumer", "c1", "--from", "latest", "--from",
        "resume"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.start.position(), evrouter::v1::START_POSITION_RESUME);
       }},
      {{"subscribe", "q1", "--consumer", "c1", "--from", "42"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.start.position(), evrouter::v1::START_POSITION_OFFSET);
         EXPECT_EQ(a.start.offset(), 42u);
         EXPECT_FALSE(a.start.has_time());
       }},
      {{"subscribe", "q1", "--consumer", "c1", "--from",
        "2024-01-02T03:04:05.5Z"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.start.position(), evrouter::v1::START_POSITION_TIME);
         EXPECT_EQ(a.start.time().seconds(), 1704164645);
         EXPECT_EQ(a.start.time().nanos(), 500000000);
         EXPECT_EQ(a.start.offset(), 0u);
       }},
      {{"--json", "subscribe", "q1", "--consumer", "c1", "--max-in-flight",
        "10", "--takeover", "--limit", "3", "--wait", "2"},
       [](const CliArgs& a) {
         EXPECT_TRUE(a.json);
         EXPECT_EQ(a.start.max_in_flight(), 10u);
         EXPECT_TRUE(a.start.takeover());
         EXPECT_EQ(a.limit, 3u);
         EXPECT_EQ(a.wait, absl::Seconds(2));
       }},
      {{"subscribe", "q1", "--consumer", "c1", "--wait", "0.5"},
       [](const CliArgs& a) { EXPECT_EQ(a.wait, absl::Milliseconds(500)); }},
      {{"subscribe", "q1", "--consumer", "c1", "--wait=250ms"},
       [](const CliArgs& a) { EXPECT_EQ(a.wait, absl::Milliseconds(250)); }},
      {{"stats"},
       [](const CliArgs& a) { EXPECT_EQ(a.command, Command::kStats); }},
      {{"--json", "stats"}, [](const CliArgs& a) { EXPECT_TRUE(a.json); }},
  };
  for (const GoodUsage& usage : cases) {
    SCOPED_TRACE(absl::StrJoin(usage.argv, " "));
    absl::StatusOr<CliArgs> args = Parse(usage.argv);
    ASSERT_TRUE(args.ok()) << args.status();
    usage.check(*args);
  }
}

// A bad usage and a part of its error message.
struct BadUsage {
  std::vector<std::string> argv;
  std::string error;
};

TEST(CliArgsTest, BadQueueConsumerSubscribeAndStatsUsages) {
  const std::vector<BadUsage> cases = {
      // queue
      {{"queue"}, "missing queue command (create, get, list, delete)"},
      {{"queue", "purge", "q"}, "unknown queue command 'purge'"},
      {{"queue", "create", "q"}, "queue create needs --exchange EXCHANGE"},
      {{"queue", "create", "--exchange", "orders"},
       "wrong number of arguments for 'queue create'"},
      {{"queue", "create", "q", "--exchange"}, "flag --exchange needs a value"},
      {{"queue", "create", "q", "--exchange="}, "--exchange needs a name"},
      {{"queue", "create", "q", "--exchange", "o", "--limit-size", "0"},
       "--limit-size: '0' is not a positive integer"},
      {{"queue", "create", "q", "--exchange", "o", "--limit-size", "ten"},
       "--limit-size: 'ten' is not a positive integer"},
      {{"queue", "create", "q", "--exchange", "o", "--limit-size",
        "4294967296"},
       "--limit-size: '4294967296' is not a positive integer"},
      {{"queue", "create", "q", "--exchange", "o", "--from-earliest=yes"},
       "flag --from-earliest takes no value"},
      {{"queue", "get"}, "wrong number of arguments for 'queue get'"},
      {{"queue", "get", "q", "--binding", "x"},
       "--binding only applies to 'queue create'"},
      {{"queue", "list", "q"}, "wrong number of arguments for 'queue list'"},
      {{"queue", "list", "--from-earliest"},
       "--from-earliest only applies to 'queue create'"},
      {{"queue", "delete", "a", "b"},
       "wrong number of arguments for 'queue delete'"},
      // consumer
      {{"consumer"}, "missing consumer command (create, list, seek, delete)"},
      {{"consumer", "rename", "q", "c"}, "unknown consumer command 'rename'"},
      {{"consumer", "create", "q"},
       "wrong number of arguments for 'consumer create'"},
      {{"consumer", "delete", "q", "c", "d"},
       "wrong number of arguments for 'consumer delete'"},
      {{"consumer", "list", "q"},
       "wrong number of arguments for 'consumer list'"},
      {{"consumer", "list", "--exchange", "o"},
       "--exchange only applies to 'queue create' and 'queue list'"},
      {{"consumer", "seek", "q", "c"},
       "consumer seek needs exactly one of --offset N and --time RFC3339"},
      {{"consumer", "seek", "q", "c", "--offset", "2", "--time",
        "2024-01-02T03:04:05Z"},
       "consumer seek needs exactly one of --offset N and --time RFC3339"},
      {{"consumer", "seek", "q", "c", "--offset", "0"},
       "--offset: '0' is not a positive integer"},
      {{"consumer", "seek", "q", "c", "--offset", "-2"},
       "--offset: '-2' is not a positive integer"},
      {{"consumer", "seek", "q", "c", "--time", "yesterday"},
       "--time: 'yesterday' is not an RFC3339 time"},
      {{"consumer", "seek", "q", "c", "--time", "2024-01-02"},
       "--time: '2024-01-02' is not an RFC3339 time"},
      {{"consumer", "seek", "q", "--offset", "2"},
       "wrong number of arguments for 'consumer seek'"},
      {{"consumer", "create", "q", "c", "--offset", "2"},
       "--offset only applies to 'consumer seek'"},
      // subscribe
      {{"subscribe", "q"}, "subscribe needs --consumer NAME"},
      {{"subscribe", "q", "--consumer"}, "flag --consumer needs a value"},
      {{"subscribe", "q", "--consumer="}, "--consumer needs a name"},
      {{"subscribe", "--consumer", "c"},
       "wrong number of arguments for 'subscribe'"},
      {{"subscribe", "q", "r", "--consumer", "c"},
       "wrong number of arguments for 'subscribe'"},
      {{"subscribe", "q", "--consumer", "c", "--from", "yesterday"},
       "--from: 'yesterday' is not resume, earliest, latest, an offset or an "
       "RFC3339 time"},
      {{"subscribe", "q", "--consumer", "c", "--from", ""},
       "--from: '' is not resume"},
      {{"subscribe", "q", "--consumer", "c", "--from", "-3"},
       "--from: '-3' is not resume"},
      {{"subscribe", "q", "--consumer", "c", "--from", "0"},
       "--from: '0' is neither a positive offset nor an RFC3339 time"},
      {{"subscribe", "q", "--consumer", "c", "--from", "12abc"},
       "--from: '12abc' is neither a positive offset nor an RFC3339 time"},
      {{"subscribe", "q", "--consumer", "c", "--from", "2024-13-45T00:00:00Z"},
       "--from: '2024-13-45T00:00:00Z' is neither"},
      {{"subscribe", "q", "--consumer", "c", "--limit", "0"},
       "--limit: '0' is not a positive integer"},
      {{"subscribe", "q", "--consumer", "c", "--limit", "-1"},
       "--limit: '-1' is not a positive integer"},
      {{"subscribe", "q", "--consumer", "c", "--limit", "3x"},
       "--limit: '3x' is not a positive integer"},
      {{"subscribe", "q", "--consumer", "c", "--wait", "0"},
       "--wait: '0' is not a positive number of seconds"},
      {{"subscribe", "q", "--consumer", "c", "--wait", "-1"},
       "--wait: '-1' is not a positive number of seconds"},
      {{"subscribe", "q", "--consumer", "c", "--wait", "soon"},
       "--wait: 'soon' is not a positive number of seconds"},
      {{"subscribe", "q", "--consumer", "c", "--wait", "inf"},
       "--wait: 'inf' is not a positive number of seconds"},
      {{"subscribe", "q", "--consumer", "c", "--max-in-flight", "0"},
       "--max-in-flight: '0' is not a positive integer"},
      {{"subscribe", "q", "--consumer", "c", "--max-in-flight", "5000000000"},
       "--max-in-flight: '5000000000' is not a positive integer"},
      {{"subscribe", "q", "--consumer", "c", "--takeover=yes"},
       "flag --takeover takes no value"},
      {{"subscribe", "q", "--consumer", "c", "--offset", "3"},
       "--offset only applies to 'consumer seek'"},
      {{"subscribe", "q", "--consumer", "c", "--kind", "topic"},
       "--kind only applies to 'exchange create'"},
      {{"subscribe", "q", "--consumer", "c", "--verbose"},
       "unknown flag --verbose"},
      {{"publish", "o", "--type", "t", "--consumer", "c", "x"},
       "--consumer only applies to 'subscribe'"},
      // stats
      {{"stats", "extra"}, "wrong number of arguments for 'stats'"},
      {{"stats", "--queue", "q"}, "--queue only applies to 'consumer list'"},
  };
  for (const BadUsage& usage : cases) {
    SCOPED_TRACE(absl::StrJoin(usage.argv, " "));
    absl::StatusOr<CliArgs> args = Parse(usage.argv);
    ASSERT_FALSE(args.ok());
    EXPECT_EQ(args.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(args.status().message().find(usage.error), std::string::npos)
        << args.status().message();
  }
}

// "ACTION pattern" per permission, e.g. "PERMISSION_ACTION_PUBLISH a.*".
std::vector<std::string> Texts(
    const std::vector<evrouter::v1::Permission>& permissions) {
  std::vector<std::string> texts;
  for (const evrouter::v1::Permission& p : permissions) {
    texts.push_back(absl::StrCat(
        evrouter::v1::PermissionAction_Name(p.action()), " ", p.pattern()));
  }
  return texts;
}

using Strings = std::vector<std::string>;

constexpr char kWholeToken[] =
    "evr_0123456789ab_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldC1z";

TEST(CliArgsTest, UserAndTokenUsages) {
  const std::vector<GoodUsage> cases = {
      {{"user", "create", "svc"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.command, Command::kUserCreate);
         EXPECT_EQ(a.name, "svc");
         EXPECT_TRUE(a.permissions.empty());
       }},
      {{"user", "create", "--publish", "orders.*", "svc", "--admin",
        "--subscribe=orders.#", "--publish=audit"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.name, "svc");
         EXPECT_EQ(Texts(a.permissions),
                   (Strings{"PERMISSION_ACTION_PUBLISH orders.*",
                            "PERMISSION_ACTION_ADMIN ",
                            "PERMISSION_ACTION_SUBSCRIBE orders.#",
                            "PERMISSION_ACTION_PUBLISH audit"}));
       }},
      {{"user", "list"},
       [](const CliArgs& a) { EXPECT_EQ(a.command, Command::kUserList); }},
      {{"--json", "user", "list"},
       [](const CliArgs& a) { EXPECT_TRUE(a.json); }},
      {{"user", "delete", "svc"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.command, Command::kUserDelete);
         EXPECT_EQ(a.name, "svc");
       }},
      {{"user", "grant", "svc", "admin"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.command, Command::kUserGrant);
         EXPECT_EQ(a.name, "svc");
         EXPECT_EQ(Texts(a.permissions), (Strings{"PERMISSION_ACTION_ADMIN "}));
       }},
      {{"user", "grant", "svc", "publish", "orders.*"},
       [](const CliArgs& a) {
         EXPECT_EQ(Texts(a.permissions),
                   (Strings{"PERMISSION_ACTION_PUBLISH orders.*"}));
       }},
      {{"user", "revoke", "svc", "subscribe", "#"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.command, Command::kUserRevoke);
         EXPECT_EQ(a.name, "svc");
         EXPECT_EQ(Texts(a.permissions),
                   (Strings{"PERMISSION_ACTION_SUBSCRIBE #"}));
       }},
      {{"user", "revoke", "svc", "admin"},
       [](const CliArgs& a) {
         EXPECT_EQ(Texts(a.permissions), (Strings{"PERMISSION_ACTION_ADMIN "}));
       }},
      {{"token", "issue", "svc"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.command, Command::kTokenIssue);
         EXPECT_EQ(a.name, "svc");
         EXPECT_EQ(a.description, "");
       }},
      {{"token", "issue", "svc", "--description", "deploy bot"},
       [](const CliArgs& a) { EXPECT_EQ(a.description, "deploy bot"); }},
      {{"--json", "token", "issue", "--description=ci", "svc"},
       [](const CliArgs& a) {
         EXPECT_TRUE(a.json);
         EXPECT_EQ(a.name, "svc");
         EXPECT_EQ(a.description, "ci");
       }},
      {{"token", "revoke", "0123456789ab"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.command, Command::kTokenRevoke);
         EXPECT_EQ(a.token_id, "0123456789ab");
       }},
      {{"token", "revoke", "bootstrap"},
       [](const CliArgs& a) { EXPECT_EQ(a.token_id, "bootstrap"); }},
      {{"token", "revoke", kWholeToken},
       [](const CliArgs& a) { EXPECT_EQ(a.token_id, "0123456789ab"); }},
      // A secret may hold '_' and '-'; the id ends at the first '_'.
      {{"token", "revoke", "--", "evr_0123456789ab_-a_b"},
       [](const CliArgs& a) { EXPECT_EQ(a.token_id, "0123456789ab"); }},
      // The credential flags are global.
      {{"user", "list", "--token", kWholeToken, "--tls-ca", "ca.pem"},
       [](const CliArgs& a) {
         EXPECT_EQ(a.credentials.token_source, TokenSource::kFlag);
         EXPECT_EQ(a.credentials.token, kWholeToken);
         EXPECT_TRUE(a.credentials.tls);
         EXPECT_EQ(a.credentials.tls_ca, "ca.pem");
       }},
  };
  for (const GoodUsage& usage : cases) {
    SCOPED_TRACE(absl::StrJoin(usage.argv, " "));
    absl::StatusOr<CliArgs> args = Parse(usage.argv);
    ASSERT_TRUE(args.ok()) << args.status();
    usage.check(*args);
  }
}

TEST(CliArgsTest, BadUserTokenAndCredentialUsages) {
  const std::vector<BadUsage> cases = {
      // user
      {{"user"}, "missing user command (create, list, delete, grant, revoke)"},
      {{"user", "rename", "a", "b"}, "unknown user command 'rename'"},
      {{"user", "create"}, "wrong number of arguments for 'user create'"},
      {{"user", "create", "a", "b"},
       "wrong number of arguments for 'user create'"},
      {{"user", "create", "a", "--publish="}, "--publish needs a PATTERN"},
      {{"user", "create", "a", "--subscribe"},
       "flag --subscribe needs a value"},
      {{"user", "create", "a", "--admin=yes"}, "flag --admin takes no value"},
      {{"user", "list", "a"}, "wrong number of arguments for 'user list'"},
      {{"user", "delete"}, "wrong number of arguments for 'user delete'"},
      {{"user", "grant"}, "wrong number of arguments for 'user grant'"},
      {{"user", "grant", "a"},
       "user grant needs a permission: admin, publish PATTERN or subscribe "
       "PATTERN"},
      {{"user", "grant", "a", "publish"},
       "user grant: publish needs one PATTERN"},
      {{"user", "revoke", "a", "subscribe", ""},
       "user revoke: subscribe needs one PATTERN"},
      {{"user", "grant", "a", "admin", "x"},
       "user grant: admin takes no PATTERN"},
      {{"user", "grant", "a", "read", "x"},
       "user grant: unknown permission 'read' (admin, publish PATTERN or "
       "subscribe PATTERN)"},
      {{"user", "grant", "a", "publish", "x", "y"},
       "wrong number of arguments for 'user grant'"},
      {{"user", "grant", "a", "admin", "--admin"},
       "--admin only applies to 'user create'"},
      {{"user", "list", "--publish", "x"},
       "--publish only applies to 'user create'"},
      // token
      {{"token"}, "missing token command (issue, revoke)"},
      {{"token", "list"}, "unknown token command 'list'"},
      {{"token", "issue"}, "wrong number of arguments for 'token issue'"},
      {{"token", "issue", "a", "b"},
       "wrong number of arguments for 'token issue'"},
      {{"token", "revoke"}, "wrong number of arguments for 'token revoke'"},
      {{"token", "revoke", "0123456789AB"},
       "token revoke: the argument is neither a token id (lowercase letters "
       "and digits, as 'user list' shows) nor a token (evr_<id>_<secret>)"},
      {{"token", "revoke", "a_b"}, "is neither a token id"},
      {{"token", "revoke", ""}, "is neither a token id"},
      {{"token", "revoke", std::string(65, 'a')}, "is neither a token id"},
      {{"token", "revoke", "evr_0123-4_secret"},
       "token revoke: the token given is not evr_<id>_<secret>"},
      {{"token", "revoke", "evr__secret"},
       "token revoke: the token given is not evr_<id>_<secret>"},
      {{"token", "revoke", "evr_0123456789ab"},
       "token revoke: the token given is not evr_<id>_<secret>"},
      {{"token", "revoke", "evr_0123456789ab_"},
       "token revoke: the token given is not evr_<id>_<secret>"},
      {{"token", "revoke", "0123456789ab", "--description", "x"},
       "--description only applies to 'token issue'"},
      // credentials
      {{"--token=", "health"}, "--token needs a TOKEN"},
      {{"health", "--token"}, "flag --token needs a value"},
      {{"--token-file=", "health"}, "--token-file needs a FILE"},
      {{"--tls=yes", "health"}, "flag --tls takes no value"},
      {{"--tls-ca=", "health"}, "--tls-ca needs a FILE"},
      {{"--tls-cert", "c.pem", "health"},
       "a client certificate needs both --tls-cert FILE and --tls-key FILE"},
      {{"--tls-key", "k.pem", "health"},
       "a client certificate needs both --tls-cert FILE and --tls-key FILE"},
  };
  for (const BadUsage& usage : cases) {
    SCOPED_TRACE(absl::StrJoin(usage.argv, " "));
    absl::StatusOr<CliArgs> args = Parse(usage.argv);
    ASSERT_FALSE(args.ok());
    EXPECT_EQ(args.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(args.status().message().find(usage.error), std::string::npos)
        << args.status().message();
  }
}

TEST(CliArgsTest, UsageErrorsNeverQuoteAToken) {
  const std::string secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQ";
  const std::string token = "evr_0123456789ab_" + secret;
  for (const std::vector<std::string>& argv :
       std::vector<std::vector<std::string>>{
           {token},
           {"--token", token, "frobnicate"},
           {"--token=" + token, "stats", "extra"},
           {"--token", token, "exchange", "rename"},
           {"user", token},
           {"token", token},
           {"token", "revoke", "evr_XYZ_" + secret},
           {"token", "revoke", "EVR_0123456789ab"},
           {"token", "revoke", secret + "evr_"},
           {"token", "revoke", secret},
           {"--tls-cert", "c", "--token", token, "health"},
       }) {
    absl::StatusOr<CliArgs> args = Parse(argv);
    ASSERT_FALSE(args.ok()) << absl::StrJoin(argv, " ");
    EXPECT_EQ(args.status().message().find(secret), std::string::npos)
        << args.status().message();
  }
}

TEST(CliArgsTest, ParseStartPositionClearsAnEarlierTarget) {
  evrouter::v1::SubscribeStart start;
  ASSERT_TRUE(ParseStartPosition("2024-01-02T03:04:05Z", start).ok());
  ASSERT_TRUE(start.has_time());
  ASSERT_TRUE(ParseStartPosition("7", start).ok());
  EXPECT_EQ(start.position(), evrouter::v1::START_POSITION_OFFSET);
  EXPECT_EQ(start.offset(), 7u);
  EXPECT_FALSE(start.has_time());
  ASSERT_TRUE(ParseStartPosition("earliest", start).ok());
  EXPECT_EQ(start.offset(), 0u);
}

}  // namespace
}  // namespace evrouter::cli
