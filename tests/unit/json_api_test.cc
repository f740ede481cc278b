// The JSON API over an in-process gRPC server running the health service
// (a unary Check and a streaming Watch), with the RPC-counting interceptor.
#include "server/http/json_api.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "server/transport/health_service.h"
#include "server/transport/rpc_metrics.h"

namespace evrouter::http {
namespace {

class JsonApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    health_.SetServing(true);
    grpc::ServerBuilder builder;
    builder.RegisterService(&health_);
    std::vector<
        std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(rpc_metrics_.NewInterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    api_ = std::make_unique<JsonApi>(
        server_->InProcessChannel(grpc::ChannelArguments()),
        "grpc.health.v1.Health");
  }

  void TearDown() override {
    health_.Shutdown();
    server_->Shutdown();
  }

  // The JSON object in `body`, or a test failure.
  static google::protobuf::Struct Parse(const std::string& body) {
    google::protobuf::Struct parsed;
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(body, &parsed).ok())
        << body;
    return parsed;
  }

  transport::HealthService health_{{"evrouter.v1.Admin"}};
  transport::RpcMetrics rpc_metrics_{{"grpc.health.v1.Health"}};
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<JsonApi> api_;
};

TEST_F(JsonApiTest, CallsAUnaryMethodWithProto3Json) {
  JsonResponse response = api_->Call("Check", R"({"service": ""})", "");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"status":"SERVING"})");
  // An empty body is an empty request.
  response = api_->Call("Check", "", "");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"status":"SERVING"})");
}

TEST_F(JsonApiTest, GrpcErrorsBecomeHttpStatusAndJson) {
  JsonResponse response =
      api_->Call("Check", R"({"service": "no.such.Service"})", "");
  EXPECT_EQ(response.status, 404);
  google::protobuf::Struct error = Parse(response.body);
  EXPECT_EQ(error.fields().at("code").number_value(), 5);
  EXPECT_EQ(error.fields().at("status").string_value(), "NOT_FOUND");
  EXPECT_NE(error.fields().at("message").string_value(), "");
}

TEST_F(JsonApiTest, RefusesBodiesThatAreNotTheRequestMessage) {
  for (const char* body : {"{", "[]", R"({"service": 5})",
                           R"({"unknownField": "x"})", R"("text")"}) {
    JsonResponse response = api_->Call("Check", body, "");
    EXPECT_EQ(response.status, 400) << body;
    google::protobuf::Struct error = Parse(response.body);
    EXPECT_EQ(error.fields().at("status").string_value(), "INVALID_ARGUMENT")
        << body;
    EXPECT_NE(error.fields().at("message").string_value().find(
                  "grpc.health.v1.HealthCheckRequest"),
              std::string::npos)
        << response.body;
  }
}

TEST_F(JsonApiTest, UnknownAndStreamingMethodsAreNotFound) {
  EXPECT_TRUE(api_->HasMethod("Check"));
  EXPECT_FALSE(api_->HasMethod("Watch"));
  for (const char* method : {"Watch", "Nope", ""}) {
    JsonResponse response = api_->Call(method, "", "");
    EXPECT_EQ(response.status, 404) << method;
    EXPECT_EQ(Parse(response.body).fields().at("status").string_value(),
              "NOT_FOUND");
  }
}

TEST_F(JsonApiTest, CallsAreCountedByMethodAndCode) {
  api_->Call("Check", "", "");
  api_->Call("Check", "", "");
  api_->Call("Check", R"({"service": "x"})", "");
  api_->Call("Check", "{", "");  // refused before any RPC
  EXPECT_EQ(rpc_metrics_.Handled("/grpc.health.v1.Health/Check",
                                 grpc::StatusCode::OK),
            2u);
  EXPECT_EQ(rpc_metrics_.Handled("/grpc.health.v1.Health/Check",
                                 grpc::StatusCode::NOT_FOUND),
            1u);
  metrics::ExpositionWriter writer;
  rpc_metrics_.Collect(writer);
  const std::string out = writer.Take();
  EXPECT_NE(out.find("evrouter_grpc_server_handled_total{service=\"grpc."
                     "health.v1.Health\",method=\"Check\",code=\"OK\"} 2\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("method=\"Check\",code=\"NOT_FOUND\"} 1\n"),
            std::string::npos)
      << out;
  // Methods and codes never seen are left out.
  EXPECT_EQ(out.find("Watch"), std::string::npos) << out;
}

TEST(HttpStatusOfTest, FollowsTheGatewayMapping) {
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::OK), 200);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::INVALID_ARGUMENT), 400);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::FAILED_PRECONDITION), 400);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::UNAUTHENTICATED), 401);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::PERMISSION_DENIED), 403);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::NOT_FOUND), 404);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::ALREADY_EXISTS), 409);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::RESOURCE_EXHAUSTED), 429);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::UNAVAILABLE), 503);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::DEADLINE_EXCEEDED), 504);
  EXPECT_EQ(HttpStatusOf(grpc::StatusCode::INTERNAL), 500);
}

TEST(ErrorJsonTest, EscapesTheMessage) {
  const std::string json = ErrorJson(grpc::Status(
      grpc::StatusCode::INVALID_ARGUMENT, "a \"b\"\n\\c</script>"));
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok())
      << json;
  EXPECT_EQ(parsed.fields().at("message").string_value(),
            "a \"b\"\n\\c</script>");
  EXPECT_EQ(parsed.fields().at("code").number_value(), 3);
}

}  // namespace
}  // namespace evrouter::http
