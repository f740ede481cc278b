#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "tests/e2e/e2e_fixture.h"

namespace evrouter::testing {
namespace {

using AdminE2ETest = E2ETest;

TEST_F(AdminE2ETest, CreateIsIdempotentForTheSameSpec) {
  absl::StatusOr<v1::Exchange> first =
      client().CreateExchange("orders", v1::EXCHANGE_KIND_TOPIC);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->name(), "orders");
  EXPECT_EQ(first->kind(), v1::EXCHANGE_KIND_TOPIC);
  EXPECT_EQ(first->head_offset(), 0u);
  EXPECT_GT(first->created_at().seconds(),
            absl::ToUnixSeconds(absl::Now()) - 600);

  absl::StatusOr<v1::Exchange> again =
      client().CreateExchange("orders", v1::EXCHANGE_KIND_TOPIC);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->created_at().seconds(), first->created_at().seconds());
  EXPECT_EQ(again->created_at().nanos(), first->created_at().nanos());
  EXPECT_EQ(QueryValue("SELECT count(*) FROM exchanges"), "1");
}

TEST_F(AdminE2ETest, CreateWithAnotherKindIsAlreadyExists) {
  ASSERT_TRUE(client().CreateExchange("orders", v1::EXCHANGE_KIND_TOPIC).ok());
  absl::StatusOr<v1::Exchange> other =
      client().CreateExchange("orders", v1::EXCHANGE_KIND_FANOUT);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(other.status().message().find("topic"), absl::string_view::npos)
      << other.status();
}

TEST_F(AdminE2ETest, InvalidSpecsNameTheField) {
  absl::StatusOr<v1::Exchange> unspecified =
      client().CreateExchange("orders", v1::EXCHANGE_KIND_UNSPECIFIED);
  EXPECT_EQ(unspecified.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(unspecified.status().message(), "kind:"))
      << unspecified.status();

  for (std::string bad :
       {std::string(""), std::string(129, 'a'), std::string("a b"),
        std::string("orders/eu"), std::string("ordérs")}) {
    absl::StatusOr<v1::Exchange> created =
        client().CreateExchange(bad, v1::EXCHANGE_KIND_FANOUT);
    EXPECT_EQ(created.status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
    EXPECT_TRUE(absl::StartsWith(created.status().message(), "name:"))
        << created.status();
  }
  EXPECT_TRUE(
      client()
          .CreateExchange(std::string(128, 'a'), v1::EXCHANGE_KIND_FANOUT)
          .ok());
  EXPECT_TRUE(
      client().CreateExchange("A-z_0.9", v1::EXCHANGE_KIND_DIRECT).ok());
  EXPECT_EQ(QueryValue("SELECT count(*) FROM exchanges"), "2");
}

TEST_F(AdminE2ETest, GetListAndDelete) {
  ASSERT_TRUE(
      client().CreateExchange("b-exchange", v1::EXCHANGE_KIND_DIRECT).ok());
  ASSERT_TRUE(
      client().CreateExchange("a-exchange", v1::EXCHANGE_KIND_FANOUT).ok());
  ASSERT_TRUE(client().Publish("b-exchange", MakeEvents(3)).ok());

  absl::StatusOr<v1::Exchange> got = client().GetExchange("b-exchange");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->kind(), v1::EXCHANGE_KIND_DIRECT);
  EXPECT_EQ(got->head_offset(), 3u);

  absl::StatusOr<std::vector<v1::Exchange>> listed = client().ListExchanges();
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].name(), "a-exchange");
  EXPECT_EQ((*listed)[1].name(), "b-exchange");
  EXPECT_EQ((*listed)[1].head_offset(), 3u);

  EXPECT_EQ(StoredCount("b-exchange"), "3");
  ASSERT_TRUE(client().DeleteExchange("b-exchange").ok());
  EXPECT_EQ(QueryValue("SELECT count(*) FROM events"), "0");
  EXPECT_EQ(client().GetExchange("b-exchange").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(client().DeleteExchange("b-exchange").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(client().Publish("b-exchange", MakeEvents(1)).status().code(),
            absl::StatusCode::kNotFound);

  // A new exchange of the same name starts over at offset 1.
  ASSERT_TRUE(
      client().CreateExchange("b-exchange", v1::EXCHANGE_KIND_TOPIC).ok());
  absl::StatusOr<std::vector<v1::PublishResult>> published =
      client().Publish("b-exchange", MakeEvents(1));
  ASSERT_TRUE(published.ok()) << published.status();
  EXPECT_EQ((*published)[0].offset(), 1u);
}

}  // namespace
}  // namespace evrouter::testing
