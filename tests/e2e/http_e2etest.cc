// The real evrouterd's HTTP listener: the JSON API (one-to-one onto the
// Admin RPCs, with the same authentication), /metrics, the dashboard's
// files, and what it answers to bad requests.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/e2e/e2e_fixture.h"

namespace evrouter::testing {
namespace {

using google::protobuf::Struct;

class HttpE2ETest : public E2ETest {
 protected:
  void SetUp() override {
    E2ETest::SetUp();
    ASSERT_FALSE(server_->http_address().empty()) << server_->Log();
    const std::string& address = server_->http_address();
    const size_t colon = address.rfind(':');
    int port = 0;
    ASSERT_TRUE(absl::SimpleAtoi(address.substr(colon + 1), &port));
    http_ = std::make_unique<httplib::Client>(address.substr(0, colon), port);
    http_->set_read_timeout(30);
  }

  // POST /api/v1/<method> with `body` and, unless empty, `token`.
  httplib::Result Api(const std::string& method, const std::string& body,
                      const std::string& token) {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return http_->Post(("/api/v1/" + method).c_str(), headers, body,
                       "application/json");
  }
  httplib::Result AdminApi(const std::string& method, const std::string& body) {
    return Api(method, body, server_->admin_token());
  }

  static Struct Json(const httplib::Result& result) {
    Struct parsed;
    EXPECT_TRUE(result) << "no HTTP answer";
    if (!result) return parsed;
    EXPECT_TRUE(
        google::protobuf::util::JsonStringToMessage(result->body, &parsed).ok())
        << result->body;
    return parsed;
  }

  // The sample's value in a scrape of /metrics, or -1 when absent.
  double Metric(const std::string& name_and_labels) {
    httplib::Result result = http_->Get("/metrics");
    if (!result || result->status != 200) return -1;
    const std::string prefix = "\n" + name_and_labels + " ";
    size_t at = result->body.find(prefix);
    if (at == std::string::npos) return -1;
    at += prefix.size();
    return std::stod(result->body.substr(at, result->body.find('\n', at) - at));
  }

  // Polls /metrics (<= 30 s) until the sample has `value`.
  bool MetricBecomes(const std::string& name_and_labels, double value) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      if (Metric(name_and_labels) == value) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  std::unique_ptr<httplib::Client> http_;
};

TEST_F(HttpE2ETest, EveryAdminRpcIsAJsonMethod) {
  const google::protobuf::ServiceDescriptor* admin =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          "evrouter.v1.Admin");
  ASSERT_NE(admin, nullptr);
  for (int i = 0; i < admin->method_count(); ++i) {
    const std::string method = admin->method(i)->name();
    // An empty request: each method answers for itself (OK or its own
    // validation error), never "no method".
    httplib::Result result = AdminApi(method, "{}");
    ASSERT_TRUE(result) << method;
    EXPECT_FALSE(absl::StrContains(result->body, "no method")) << method;
    EXPECT_NE(result->status, 405) << method;
    EXPECT_EQ(result->get_header_value("Content-Type"), "application/json")
        << method;
  }
}

TEST_F(HttpE2ETest, JsonAndGrpcSeeTheSameState) {
  // Created over gRPC, read over HTTP.
  ASSERT_TRUE(client().CreateExchange("orders", v1::EXCHANGE_KIND_TOPIC).ok());
  ASSERT_TRUE(client().Publish("orders", MakeEvents(3, "order.created")).ok());
  httplib::Result result = AdminApi("GetExchange", R"({"name": "orders"})");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200) << result->body;
  Struct exchange = Json(result);
  EXPECT_EQ(exchange.fields().at("kind").string_value(), "EXCHANGE_KIND_TOPIC");
  EXPECT_EQ(exchange.fields().at("headOffset").string_value(), "3");

  // Created over HTTP, read over gRPC.
  result = AdminApi("CreateQueue",
                    R"({"name": "orders.eu", "exchange": "orders",
                        "bindings": ["order.*", "refund.#"], "fromEarliest": true})");
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;
  absl::StatusOr<v1::Queue> queue = client().GetQueue("orders.eu");
  ASSERT_TRUE(queue.ok()) << queue.status();
  ASSERT_EQ(queue->bindings_size(), 2);
  EXPECT_EQ(queue->bindings(0), "order.*");
  EXPECT_EQ(queue->bindings(1), "refund.#");

  // Consumers: create, seek by offset, list, delete.
  ASSERT_EQ(
      AdminApi("CreateConsumer", R"({"queue": "orders.eu", "name": "billing"})")
          ->status,
      200);
  result =
      AdminApi("SeekConsumer",
               R"({"queue": "orders.eu", "name": "billing", "offset": "3"})");
  ASSERT_EQ(result->status, 200) << result->body;
  EXPECT_EQ(Json(result).fields().at("committedOffset").string_value(), "2");
  result = AdminApi("ListConsumers", R"({"queue": "orders.eu"})");
  Struct consumers = Json(result);
  ASSERT_EQ(consumers.fields().at("consumers").list_value().values_size(), 1);
  EXPECT_EQ(consumers.fields()
                .at("consumers")
                .list_value()
                .values(0)
                .struct_value()
                .fields()
                .at("state")
                .string_value(),
            "CONSUMER_STATE_SLEEPING");
  ASSERT_EQ(
      AdminApi("DeleteConsumer", R"({"queue": "orders.eu", "name": "billing"})")
          ->status,
      200);
  EXPECT_TRUE(client().ListConsumers("orders.eu")->empty());

  // Errors keep their gRPC meaning.
  result = AdminApi("GetExchange", R"({"name": "missing"})");
  EXPECT_EQ(result->status, 404);
  EXPECT_EQ(Json(result).fields().at("status").string_value(), "NOT_FOUND");
  result = AdminApi("CreateExchange",
                    R"({"name": "orders", "kind": "EXCHANGE_KIND_FANOUT"})");
  EXPECT_EQ(result->status, 409) << result->body;
  result = AdminApi("CreateExchange", R"({"name": "bad name!"})");
  EXPECT_EQ(result->status, 400) << result->body;
}

TEST_F(HttpE2ETest, UsersAndTokensFromTheJsonApiWorkOverGrpc) {
  ASSERT_TRUE(client().CreateExchange("audit", v1::EXCHANGE_KIND_FANOUT).ok());
  httplib::Result result = AdminApi("CreateUser",
                                    R"({"name": "auditor", "permissions": [
            {"action": "PERMISSION_ACTION_PUBLISH", "pattern": "audit"}]})");
  ASSERT_EQ(result->status, 200) << result->body;
  result = AdminApi("IssueToken", R"({"user": "auditor"})");
  ASSERT_EQ(result->status, 200) << result->body;
  const std::string token = Json(result).fields().at("token").string_value();
  ASSERT_FALSE(token.empty());

  client::ClientOptions options;
  options.server = server_->address();
  options.token = token;
  client::Client auditor(options);
  EXPECT_TRUE(auditor.Publish("audit", MakeEvents(1)).ok());
  // The token's own rights hold on the JSON API too.
  result = Api("CreateExchange", R"({"name": "x"})", token);
  EXPECT_EQ(result->status, 403) << result->body;
  EXPECT_EQ(Json(result).fields().at("message").string_value(),
            "permission denied");
}

TEST_F(HttpE2ETest, TheJsonApiNeedsAValidToken) {
  const double failures_before = Metric("evrouter_auth_failures_total");
  for (const std::string& token :
       {std::string(),
        std::string("evr_000000000000_wrong-token-wrong-token-wrong-tok")}) {
    httplib::Result result = Api("ListExchanges", "{}", token);
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 401) << result->body;
    EXPECT_EQ(result->get_header_value("WWW-Authenticate"),
              "Bearer realm=\"evrouter\"");
    EXPECT_EQ(Json(result).fields().at("status").string_value(),
              "UNAUTHENTICATED");
  }
  // Nothing was created by an unauthenticated call.
  EXPECT_EQ(Api("CreateExchange", R"({"name": "sneaky"})", "")->status, 401);
  EXPECT_TRUE(client().ListExchanges()->empty());
  EXPECT_TRUE(
      MetricBecomes("evrouter_auth_failures_total", failures_before + 3));
  EXPECT_FALSE(absl::StrContains(server_->Log(), "wrong-token-wrong-token"));
}

TEST_F(HttpE2ETest, BadRequestsGetClearAnswers) {
  httplib::Result result = AdminApi("CreateExchange", "{not json");
  EXPECT_EQ(result->status, 400);
  EXPECT_TRUE(
      absl::StrContains(Json(result).fields().at("message").string_value(),
                        "evrouter.v1.CreateExchangeRequest"));
  result = AdminApi("NoSuchMethod", "{}");
  EXPECT_EQ(result->status, 404);
  EXPECT_EQ(Json(result).fields().at("status").string_value(), "NOT_FOUND");
  result = http_->Get("/api/v1/ListExchanges");
  EXPECT_EQ(result->status, 405);
  EXPECT_EQ(result->get_header_value("Allow"), "POST");
  // Past the 1 MiB body limit: refused, nothing created.
  result = AdminApi("CreateExchange",
                    absl::StrCat(R"({"name": "big", "x": ")",
                                 std::string(2 << 20, 'a'), "\"}"));
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 413);
  EXPECT_TRUE(client().ListExchanges()->empty());
  result = http_->Get("/no/such/page");
  EXPECT_EQ(result->status, 404);
  // The server still answers.
  EXPECT_EQ(AdminApi("ListExchanges", "{}")->status, 200);
}

TEST_F(HttpE2ETest, DashboardIsServedWithItsSecurityHeaders) {
  httplib::Result result = http_->Get("/");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200);
  EXPECT_TRUE(
      absl::StartsWith(result->get_header_value("Content-Type"), "text/html"));
  EXPECT_TRUE(absl::StrContains(result->body, "<html")) << result->body;
  EXPECT_TRUE(
      absl::StrContains(result->get_header_value("Content-Security-Policy"),
                        "default-src 'self'"));
  EXPECT_EQ(result->get_header_value("X-Frame-Options"), "DENY");
  EXPECT_EQ(result->get_header_value("X-Content-Type-Options"), "nosniff");
  // The page itself holds no data: that needs a token, through the API.
  EXPECT_EQ(http_->Get("/index.html")->body, result->body);
}

TEST_F(HttpE2ETest, MetricsFollowAConsumerFromActiveToSleeping) {
  ASSERT_TRUE(client().CreateExchange("jobs", v1::EXCHANGE_KIND_FANOUT).ok());
  ASSERT_TRUE(client().CreateQueue("jobs.all", "jobs", {}).ok());
  ASSERT_TRUE(client().Publish("jobs", MakeEvents(5)).ok());
  v1::SubscribeStart start;
  start.set_queue("jobs.all");
  start.set_consumer("worker");
  std::unique_ptr<client::Subscription> subscription =
      client().Subscribe(start);
  ASSERT_TRUE(subscription->Next().ok());
  EXPECT_TRUE(MetricBecomes(
      "evrouter_consumer_active{queue=\"jobs.all\",consumer=\"worker\"}", 1));
  EXPECT_TRUE(MetricBecomes(
      "evrouter_consumers{queue=\"jobs.all\",state=\"active\"}", 1));
  subscription->Cancel();
  EXPECT_TRUE(MetricBecomes(
      "evrouter_consumer_active{queue=\"jobs.all\",consumer=\"worker\"}", 0));
  EXPECT_TRUE(MetricBecomes(
      "evrouter_consumers{queue=\"jobs.all\",state=\"sleeping\"}", 1));
  EXPECT_EQ(Metric("evrouter_events_published_total{exchange=\"jobs\"}"), 5);
  EXPECT_GE(Metric("evrouter_storage_connections_max"), 1);
  EXPECT_GE(Metric("evrouter_grpc_server_handled_total{service=\"evrouter.v1."
                   "Publisher\",method=\"Publish\",code=\"OK\"}"),
            1);
}

}  // namespace
}  // namespace evrouter::testing
