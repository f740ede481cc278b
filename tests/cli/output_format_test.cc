#include "client/cli/output_format.h"

#include <gtest/gtest.h>

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

TEST(OutputFormatTest, ErrorNamesCodeAndMessage) {
  EXPECT_EQ(FormatError(absl::NotFoundError("exchange \"x\" not found")),
            "evrouter: NOT_FOUND: exchange \"x\" not found\n");
}

}  // namespace
}  // namespace evrouter::cli
