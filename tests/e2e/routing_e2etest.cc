// Which events reach which queue: topic patterns and direct binding keys,
// checked against expectations computed from the published types.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "tests/e2e/subscribe_fixture.h"

namespace evrouter::testing {
namespace {

class RoutingE2ETest : public SubscribeE2ETest {
 protected:
  // Publishes `rounds` x `types` events (one call per round, types in
  // order) and returns offset -> type.
  std::map<uint64_t, std::string> PublishTypes(
      const std::string& exchange, const std::vector<std::string>& types,
      int rounds) {
    std::map<uint64_t, std::string> published;
    for (int round = 0; round < rounds; ++round) {
      std::vector<v1::Event> events;
      for (const std::string& type : types) events.push_back(MakeEvent(type));
      absl::StatusOr<std::vector<v1::PublishResult>> results =
          client().Publish(exchange, events);
      EXPECT_TRUE(results.ok()) << results.status();
      if (!results.ok()) break;
      for (size_t i = 0; i < types.size(); ++i)
        published[(*results)[i].offset()] = types[i];
    }
    return published;
  }

  // Reads everything `queue` holds (until caught_up) with a new consumer
  // and checks that it is exactly the published events whose type
  // `matches`, in offset order, each with its published type.
  void ExpectQueueGets(const std::string& queue, const std::string& exchange,
                       const std::map<uint64_t, std::string>& published,
                       const std::function<bool(const std::string&)>& matches) {
    SCOPED_TRACE(queue);
    std::vector<uint64_t> want;
    for (const auto& [offset, type] : published) {
      if (matches(type)) want.push_back(offset);
    }
    ASSERT_FALSE(want.empty()) << "the test publishes nothing for it";
    ASSERT_LT(want.size(), published.size()) << "the test filters nothing";

    std::unique_ptr<client::Subscription> subscription =
        Subscribe(queue, "reader");
    Received got;
    absl::Status read = ReadUntilCaughtUp(*subscription, &got);
    ASSERT_TRUE(read.ok()) << read;
    absl::Status drained = Drain(*subscription, &got);
    ASSERT_TRUE(drained.ok()) << drained;
    EXPECT_TRUE(SameOffsets(Offsets(got.events), want));
    for (const v1::Event& event : got.events) {
      EXPECT_EQ(event.exchange(), exchange);
      auto it = published.find(event.offset());
      ASSERT_NE(it, published.end()) << event.offset();
      EXPECT_EQ(event.type(), it->second) << event.offset();
    }
  }
};

std::vector<std::string> Words(const std::string& type) {
  return absl::StrSplit(type, '.');
}

TEST_F(RoutingE2ETest, TopicPatternsSelectTheirEvents) {
  ASSERT_TRUE(client().CreateExchange("orders", v1::EXCHANGE_KIND_TOPIC).ok());
  const std::vector<std::pair<std::string, std::vector<std::string>>> queues = {
      {"one-word-after-order", {"order.*"}},
      {"anything-under-order", {"order.#"}},
      {"ends-in-paid", {"#.paid"}},
      {"user-or-two-word-paid", {"user.*", "*.paid"}}};
  for (const auto& [name, bindings] : queues) {
    absl::StatusOr<v1::Queue> queue =
        client().CreateQueue(name, "orders", bindings);
    ASSERT_TRUE(queue.ok()) << queue.status();
  }
  const std::vector<std::string> types = {
      "order",         "order.created",      "order.paid",
      "order.eu.paid", "order.created.v2",   "orders.paid",
      "user.paid",     "user.created",       "user.eu.created",
      "paid",          "invoice.order.paid", "order.paid.late",
      "Order.paid"};
  std::map<uint64_t, std::string> published = PublishTypes("orders", types, 20);
  ASSERT_EQ(published.size(), types.size() * 20);

  ExpectQueueGets("one-word-after-order", "orders", published,
                  [](const std::string& type) {
                    std::vector<std::string> words = Words(type);
                    return words.size() == 2 && words[0] == "order";
                  });
  ExpectQueueGets("anything-under-order", "orders", published,
                  [](const std::string& type) {
                    return Words(type)[0] == "order";  // '#' may be no word
                  });
  ExpectQueueGets(
      "ends-in-paid", "orders", published,
      [](const std::string& type) { return Words(type).back() == "paid"; });
  // An event matching both bindings is delivered once.
  ExpectQueueGets("user-or-two-word-paid", "orders", published,
                  [](const std::string& type) {
                    std::vector<std::string> words = Words(type);
                    return words.size() == 2 &&
                           (words[0] == "user" || words[1] == "paid");
                  });
}

TEST_F(RoutingE2ETest, DirectBindingsAreExactTypes) {
  ASSERT_TRUE(
      client().CreateExchange("billing", v1::EXCHANGE_KIND_DIRECT).ok());
  ASSERT_TRUE(
      client()
          .CreateQueue("paid-or-refund", "billing", {"invoice.paid", "refund"})
          .ok());
  ASSERT_TRUE(client().CreateQueue("invoice", "billing", {"invoice"}).ok());
  const std::vector<std::string> types = {
      "invoice.paid", "invoice",           "refund", "refund.partial",
      "Refund",       "invoice.paid.late", "paid"};
  std::map<uint64_t, std::string> published =
      PublishTypes("billing", types, 20);
  ASSERT_EQ(published.size(), types.size() * 20);

  ExpectQueueGets("paid-or-refund", "billing", published,
                  [](const std::string& type) {
                    return type == "invoice.paid" || type == "refund";
                  });
  ExpectQueueGets("invoice", "billing", published,
                  [](const std::string& type) { return type == "invoice"; });
}

}  // namespace
}  // namespace evrouter::testing
