#include "client/cli/output_format.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace evrouter::cli {
namespace {

evrouter::v1::Exchange MakeExchange(std::string name, uint64_t head) {
  evrouter::v1::Exchange exchange;
  exchange.set_name(std::move(name));
  exchange.set_kind(evrouter::v1::EXCHANGE_KIND_TOPIC);
  exchange.set_head_offset(head);
  exchange.mutable_created_at()->set_seconds(1704164645);
  return exchange;
}

TEST(OutputFormatTest, ExchangeJsonShowsZeroHeadOffset) {
  EXPECT_EQ(FormatExchange(MakeExchange("orders", 0), /*json=*/true),
            "{\"name\":\"orders\",\"kind\":\"EXCHANGE_KIND_TOPIC\","
            "\"head_offset\":\"0\",\"created_at\":\"2024-01-02T03:04:05Z\"}\n");
}

TEST(OutputFormatTest, ExchangeTextIsKeyValueLines) {
  EXPECT_EQ(FormatExchange(MakeExchange("orders", 12), /*json=*/false),
            "name:        orders\n"
            "kind:        topic\n"
            "head_offset: 12\n"
            "created_at:  2024-01-02T03:04:05Z\n");
}

TEST(OutputFormatTest, ExchangeListTextIsAlignedTable) {
  EXPECT_EQ(
      FormatExchangeList({MakeExchange("a", 3), MakeExchange("longer", 0)},
                         /*json=*/false),
      "NAME    KIND   HEAD_OFFSET  CREATED_AT\n"
      "a       topic  3            2024-01-02T03:04:05Z\n"
      "longer  topic  0            2024-01-02T03:04:05Z\n");
}

TEST(OutputFormatTest, ExchangeListJsonIsOneLinePerExchange) {
  const std::string out = FormatExchangeList(
      {MakeExchange("a", 3), MakeExchange("b", 0)}, /*json=*/true);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2);
  EXPECT_NE(out.find("\"name\":\"b\""), std::string::npos);
}

TEST(OutputFormatTest, PublishResultMarksDuplicate) {
  evrouter::v1::PublishResult result;
  result.set_offset(12);
  result.set_id("abc");
  EXPECT_EQ(FormatPublishResult(result, false), "published offset=12 id=abc\n");
  result.set_duplicate(true);
  EXPECT_EQ(FormatPublishResult(result, false),
            "published offset=12 id=abc duplicate\n");
  EXPECT_EQ(FormatPublishResult(result, true),
            "{\"offset\":\"12\",\"duplicate\":true,\"id\":\"abc\"}\n");
}

TEST(OutputFormatTest, HealthPrintsStatusName) {
  EXPECT_EQ(FormatHealth(grpc::health::v1::HealthCheckResponse::SERVING, false),
            "SERVING\n");
  EXPECT_EQ(
      FormatHealth(grpc::health::v1::HealthCheckResponse::NOT_SERVING, true),
      "{\"status\":\"NOT_SERVING\"}\n");
}

TEST(OutputFormatTest, DeletedNamesWhatWasDeleted) {
  EXPECT_EQ(FormatDeleted("exchange", "orders", false),
            "deleted exchange orders\n");
  EXPECT_EQ(FormatDeleted("queue", "q1", false), "deleted queue q1\n");
  EXPECT_EQ(FormatDeleted("consumer", "q1/c1", false),
            "deleted consumer q1/c1\n");
  EXPECT_EQ(FormatDeleted("queue", "q1", true), "{}\n");
}

evrouter::v1::Queue MakeQueue(std::string name,
                              std::vector<std::string> bindings) {
  evrouter::v1::Queue queue;
  queue.set_name(std::move(name));
  queue.set_exchange("orders");
  for (std::string& binding : bindings) queue.add_bindings(std::move(binding));
  queue.set_limit_size(10000);
  queue.set_start_offset(5);
  queue.mutable_created_at()->set_seconds(1704164645);
  return queue;
}

TEST(OutputFormatTest, QueueTextIsKeyValueLines) {
  EXPECT_EQ(FormatQueue(MakeQueue("q1", {"a.*", "b.#"}), false),
            "name:         q1\n"
            "exchange:     orders\n"
            "bindings:     a.* b.#\n"
            "limit_size:   10000\n"
            "start_offset: 5\n"
            "created_at:   2024-01-02T03:04:05Z\n");
}

TEST(OutputFormatTest, QueueJsonUsesProtoFieldNames) {
  EXPECT_EQ(FormatQueue(MakeQueue("q1", {}), true),
            "{\"name\":\"q1\",\"exchange\":\"orders\",\"bindings\":[],"
            "\"limit_size\":10000,\"start_offset\":\"5\","
            "\"created_at\":\"2024-01-02T03:04:05Z\"}\n");
}

TEST(OutputFormatTest, QueueListTextIsAlignedTable) {
  evrouter::v1::Queue bare;
  bare.set_name("fan");
  bare.set_exchange("x");
  EXPECT_EQ(FormatQueueList({MakeQueue("q1", {"a.*", "b.#"}), bare}, false),
            "NAME  EXCHANGE  BINDINGS  LIMIT_SIZE  START_OFFSET  CREATED_AT\n"
            "q1    orders    a.*,b.#   10000       5             "
            "2024-01-02T03:04:05Z\n"
            "fan   x         -         0           0             -\n");
  EXPECT_EQ(FormatQueueList({}, false),
            "NAME  EXCHANGE  BINDINGS  LIMIT_SIZE  START_OFFSET  CREATED_AT\n");
}

evrouter::v1::Consumer MakeConsumer(std::string name,
                                    evrouter::v1::ConsumerState state,
                                    uint64_t committed, uint64_t lag) {
  evrouter::v1::Consumer consumer;
  consumer.set_queue("q1");
  consumer.set_name(std::move(name));
  consumer.set_state(state);
  consumer.set_committed_offset(committed);
  consumer.set_lag(lag);
  if (committed > 0) consumer.mutable_last_active_at()->set_seconds(1704164645);
  consumer.mutable_created_at()->set_seconds(1704164645);
  return consumer;
}

TEST(OutputFormatTest, ConsumerTextIsKeyValueLines) {
  EXPECT_EQ(
      FormatConsumer(
          MakeConsumer("c1", evrouter::v1::CONSUMER_STATE_ACTIVE, 5, 2), false),
      "queue:            q1\n"
      "name:             c1\n"
      "state:            ACTIVE\n"
      "committed_offset: 5\n"
      "lag:              2\n"
      "last_active_at:   2024-01-02T03:04:05Z\n"
      "created_at:       2024-01-02T03:04:05Z\n");
}

TEST(OutputFormatTest, ConsumerListTextIsAlignedTable) {
  EXPECT_EQ(
      FormatConsumerList(
          {MakeConsumer("c1", evrouter::v1::CONSUMER_STATE_SLEEPING, 5, 0),
           MakeConsumer("second", evrouter::v1::CONSUMER_STATE_ACTIVE, 0, 12)},
          false),
      "QUEUE  NAME    STATE     COMMITTED  LAG  LAST_ACTIVE\n"
      "q1     c1      SLEEPING  5          0    2024-01-02T03:04:05Z\n"
      "q1     second  ACTIVE    0          12   -\n");
}

TEST(OutputFormatTest, ConsumerListJsonIsOneLinePerConsumer) {
  const std::string out = FormatConsumerList(
      {MakeConsumer("c1", evrouter::v1::CONSUMER_STATE_SLEEPING, 5, 0),
       MakeConsumer("c2", evrouter::v1::CONSUMER_STATE_ACTIVE, 0, 0)},
      true);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2);
  EXPECT_NE(out.find("\"state\":\"CONSUMER_STATE_SLEEPING\","
                     "\"committed_offset\":\"5\""),
            std::string::npos)
      << out;
}

TEST(OutputFormatTest, PrintableUtf8) {
  const struct {
    std::string bytes;
    bool printable;
  } cases[] = {
      {"", true},
      {"hello world", true},
      {"{\"json\": [1, 2]}", true},
      {"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80", true},  // é ✓ 😀
      {"\xef\xbf\xbd", true},                               // U+FFFD
      {"line\nbreak", false},
      {"tab\there", false},
      {"cr\r", false},
      {std::string("nul\0", 4), false},
      {"del\x7f", false},
      {"\xc2\x85", false},          // U+0085, a C1 control
      {"\xff", false},              // never valid
      {"\x80", false},              // a lone continuation byte
      {"\xc0\xaf", false},          // overlong '/'
      {"\xe0\x80\xaf", false},      // overlong '/'
      {"\xed\xa0\x80", false},      // a surrogate
      {"\xf4\x90\x80\x80", false},  // above U+10FFFF
      {"\xe2\x9c", false},          // truncated
      {"\xe2\x28\xa1", false},      // bad continuation
  };
  for (const auto& c : cases) {
    EXPECT_EQ(IsPrintableUtf8(c.bytes), c.printable) << c.bytes;
  }
}

evrouter::v1::Event MakeEvent(uint64_t offset, std::string payload) {
  evrouter::v1::Event event;
  event.set_id("0190a4b2-0000-7000-8000-000000000001");
  event.set_type("order.created");
  event.set_payload(std::move(payload));
  event.set_exchange("orders");
  event.set_offset(offset);
  event.mutable_stored_at()->set_seconds(1704164645);
  return event;
}

TEST(OutputFormatTest, EventTextLine) {
  const struct {
    std::string payload;
    std::string line;
  } cases[] = {
      {"hello world",
       "offset=7 type=order.created id=0190a4b2-0000-7000-8000-000000000001 "
       "payload=hello world\n"},
      {"",
       "offset=7 type=order.created id=0190a4b2-0000-7000-8000-000000000001 "
       "payload=\n"},
      {"two\nlines",
       "offset=7 type=order.created id=0190a4b2-0000-7000-8000-000000000001 "
       "payload_base64=dHdvCmxpbmVz\n"},
      {std::string("\x00\xff", 2),
       "offset=7 type=order.created id=0190a4b2-0000-7000-8000-000000000001 "
       "payload_base64=AP8=\n"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FormatEvent(MakeEvent(7, c.payload), false), c.line);
  }
}

TEST(OutputFormatTest, EventJsonLineAlwaysHasOffset) {
  evrouter::v1::Event event = MakeEvent(7, "hi");
  (*event.mutable_headers())["k"] = "v";
  EXPECT_EQ(FormatEvent(event, true),
            "{\"id\":\"0190a4b2-0000-7000-8000-000000000001\","
            "\"type\":\"order.created\",\"source\":\"\","
            "\"headers\":{\"k\":\"v\"},\"payload\":\"aGk=\","
            "\"content_type\":\"\",\"exchange\":\"orders\","
            "\"offset\":\"7\",\"stored_at\":\"2024-01-02T03:04:05Z\"}\n");
  evrouter::v1::Event zero;
  EXPECT_NE(FormatEvent(zero, true).find("\"offset\":\"0\""),
            std::string::npos);
}

evrouter::v1::Stats MakeStats() {
  evrouter::v1::Stats stats;
  stats.mutable_at()->set_seconds(1704164645);
  evrouter::v1::ExchangeStats* orders = stats.add_exchanges();
  orders->set_name("orders");
  orders->set_kind(evrouter::v1::EXCHANGE_KIND_TOPIC);
  orders->set_head_offset(1234);
  orders->mutable_events_in()->set_per_sec_10s(12.5);
  orders->mutable_events_in()->set_per_sec_1m(3.25);
  evrouter::v1::ExchangeStats* audit = stats.add_exchanges();
  audit->set_name("audit");
  audit->set_kind(evrouter::v1::EXCHANGE_KIND_FANOUT);
  evrouter::v1::QueueStats* queue = stats.add_queues();
  queue->set_name("billing");
  queue->set_exchange("orders");
  queue->mutable_events_out()->set_per_sec_10s(10);
  queue->mutable_events_out()->set_per_sec_1m(2.126);
  queue->set_buffered(250);
  queue->set_limit_size(10000);
  queue->set_fill_percent(2.5);
  *queue->add_consumers() =
      MakeConsumer("c1", evrouter::v1::CONSUMER_STATE_ACTIVE, 1200, 34);
  *queue->add_consumers() =
      MakeConsumer("batch", evrouter::v1::CONSUMER_STATE_SLEEPING, 0, 1234);
  return stats;
}

TEST(OutputFormatTest, StatsTextIsThreeAlignedTables) {
  EXPECT_EQ(FormatStats(MakeStats(), false),
            "EXCHANGE  KIND    HEAD_OFFSET  IN/S(10s)  IN/S(1m)\n"
            "orders    topic   1234         12.50      3.25\n"
            "audit     fanout  0            0.00       0.00\n"
            "\n"
            "QUEUE    EXCHANGE  OUT/S(10s)  OUT/S(1m)  BUFFERED   FILL\n"
            "billing  orders    10.00       2.13       250/10000  2.5%\n"
            "\n"
            "CONSUMER       STATE     COMMITTED  LAG   LAST_ACTIVE\n"
            "billing/c1     ACTIVE    1200       34    2024-01-02T03:04:05Z\n"
            "billing/batch  SLEEPING  0          1234  -\n");
}

TEST(OutputFormatTest, StatsTextWithNothingHasHeadersOnly) {
  EXPECT_EQ(FormatStats(evrouter::v1::Stats(), false),
            "EXCHANGE  KIND  HEAD_OFFSET  IN/S(10s)  IN/S(1m)\n"
            "\n"
            "QUEUE  EXCHANGE  OUT/S(10s)  OUT/S(1m)  BUFFERED  FILL\n"
            "\n"
            "CONSUMER  STATE  COMMITTED  LAG  LAST_ACTIVE\n");
}

TEST(OutputFormatTest, StatsJsonIsOneLine) {
  const std::string out = FormatStats(MakeStats(), true);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1);
  EXPECT_EQ(out.front(), '{') << out;
  EXPECT_NE(out.find("\"at\":\"2024-01-02T03:04:05Z\""), std::string::npos)
      << out;
  EXPECT_NE(out.find("\"per_sec_10s\":12.5"), std::string::npos) << out;
  EXPECT_NE(out.find("\"fill_percent\":2.5"), std::string::npos) << out;
}

evrouter::v1::User MakeUser(std::string name) {
  evrouter::v1::User user;
  user.set_name(std::move(name));
  evrouter::v1::Permission* admin = user.add_permissions();
  admin->set_action(evrouter::v1::PERMISSION_ACTION_ADMIN);
  evrouter::v1::Permission* publish = user.add_permissions();
  publish->set_action(evrouter::v1::PERMISSION_ACTION_PUBLISH);
  publish->set_pattern("orders.*");
  evrouter::v1::Permission* subscribe = user.add_permissions();
  subscribe->set_action(evrouter::v1::PERMISSION_ACTION_SUBSCRIBE);
  subscribe->set_pattern("orders.#");
  for (const char* id : {"0123456789ab", "ba9876543210"}) {
    evrouter::v1::Token* token = user.add_tokens();
    token->set_id(id);
    token->set_description("ci");
  }
  user.mutable_created_at()->set_seconds(1704164645);
  return user;
}

TEST(OutputFormatTest, PermissionText) {
  evrouter::v1::Permission permission;
  permission.set_action(evrouter::v1::PERMISSION_ACTION_ADMIN);
  EXPECT_EQ(PermissionText(permission), "admin");
  permission.set_action(evrouter::v1::PERMISSION_ACTION_PUBLISH);
  permission.set_pattern("orders.*");
  EXPECT_EQ(PermissionText(permission), "publish:orders.*");
  permission.set_action(evrouter::v1::PERMISSION_ACTION_SUBSCRIBE);
  permission.set_pattern("#");
  EXPECT_EQ(PermissionText(permission), "subscribe:#");
  permission.set_action(evrouter::v1::PERMISSION_ACTION_UNSPECIFIED);
  EXPECT_EQ(PermissionText(permission), "PERMISSION_ACTION_UNSPECIFIED:#");
}

TEST(OutputFormatTest, UserTextIsKeyValueLines) {
  EXPECT_EQ(FormatUser(MakeUser("svc"), /*json=*/false),
            "name:        svc\n"
            "permissions: admin publish:orders.* subscribe:orders.#\n"
            "tokens:      0123456789ab ba9876543210\n"
            "created_at:  2024-01-02T03:04:05Z\n");
  evrouter::v1::User bare;
  bare.set_name("nobody");
  EXPECT_EQ(FormatUser(bare, /*json=*/false),
            "name:        nobody\n"
            "permissions: -\n"
            "tokens:      -\n"
            "created_at:  -\n");
}

TEST(OutputFormatTest, UserListTextIsAlignedTable) {
  evrouter::v1::User bare;
  bare.set_name("nobody");
  EXPECT_EQ(
      FormatUserList({bare, MakeUser("svc")}, /*json=*/false),
      "NAME    PERMISSIONS                                TOKENS            "
      "         CREATED_AT\n"
      "nobody  -                                          -                 "
      "         -\n"
      "svc     admin,publish:orders.*,subscribe:orders.#  "
      "0123456789ab,ba9876543210  2024-01-02T03:04:05Z\n");
}

TEST(OutputFormatTest, UserJsonUsesProtoFieldNames) {
  const std::string out =
      FormatUserList({MakeUser("a"), MakeUser("b")}, /*json=*/true);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2);
  EXPECT_NE(out.find("{\"name\":\"a\",\"permissions\":[{\"action\":"
                     "\"PERMISSION_ACTION_ADMIN\",\"pattern\":\"\"},"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\"tokens\":[{\"id\":\"0123456789ab\",\"description\":"
                     "\"ci\""),
            std::string::npos)
      << out;
  EXPECT_EQ(FormatUser(MakeUser("a"), true), out.substr(0, out.find('\n') + 1));
}

TEST(OutputFormatTest, IssuedTokenIsAloneOnItsLineAndTheNoteOmitsIt) {
  evrouter::v1::IssueTokenResponse issued;
  issued.set_user("svc");
  issued.set_token("evr_0123456789ab_c2VjcmV0");
  issued.mutable_info()->set_id("0123456789ab");
  EXPECT_EQ(FormatIssuedToken(issued, false), "evr_0123456789ab_c2VjcmV0\n");
  const std::string json = FormatIssuedToken(issued, true);
  EXPECT_EQ(json.rfind("{\"user\":\"svc\",\"token\":\"evr_0123456789ab_"
                       "c2VjcmV0\",\"info\":{\"id\":\"0123456789ab\"",
                       0),
            0u)
      << json;
  const std::string note = IssuedTokenNote(issued);
  EXPECT_EQ(note,
            "evrouter: token 0123456789ab for user svc is shown only this "
            "once; store it now (revoke it with 'evrouter token revoke "
            "0123456789ab')\n");
  EXPECT_EQ(note.find("c2VjcmV0"), std::string::npos);
}

TEST(OutputFormatTest, RevokedTokenNamesTheId) {
  EXPECT_EQ(FormatRevokedToken("0123456789ab", false),
            "revoked token 0123456789ab\n");
  EXPECT_EQ(FormatRevokedToken("0123456789ab", true), "{}\n");
}

TEST(OutputFormatTest, ErrorNamesCodeAndMessage) {
  EXPECT_EQ(FormatError(absl::NotFoundError("exchange \"x\" not found")),
            "evrouter: NOT_FOUND: exchange \"x\" not found\n");
}

}  // namespace
}  // namespace evrouter::cli
