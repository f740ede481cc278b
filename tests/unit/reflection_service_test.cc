// The reflection service over both protocol versions, through an in-process
// gRPC server on a loopback port (no evrouterd, no database).
#include "server/transport/reflection_service.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/descriptor_database.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "evrouter/v1/admin.pb.h"
#include "evrouter/v1/publisher.pb.h"
#include "evrouter/v1/subscriber.pb.h"
#include "grpc/health/v1/health.pb.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"

namespace evrouter::transport {
namespace {

namespace pb = google::protobuf;

struct V1 {
  using Service = grpc::reflection::v1::ServerReflection;
  using Request = grpc::reflection::v1::ServerReflectionRequest;
  using Response = grpc::reflection::v1::ServerReflectionResponse;
};

struct V1alpha {
  using Service = grpc::reflection::v1alpha::ServerReflection;
  using Request = grpc::reflection::v1alpha::ServerReflectionRequest;
  using Response = grpc::reflection::v1alpha::ServerReflectionResponse;
};

constexpr int kNotFound = static_cast<int>(grpc::StatusCode::NOT_FOUND);
constexpr int kInvalidArgument =
    static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT);

const std::vector<std::string>& ServiceNames() {
  static const auto* names = new std::vector<std::string>{
      "evrouter.v1.Publisher", "evrouter.v1.Admin",  "evrouter.v1.Subscriber",
      "grpc.health.v1.Health", kReflectionV1Service, kReflectionV1alphaService};
  return *names;
}

// The descriptors reflection serves are those linked into the binary; this
// links in every file the tests ask about, as evrouterd's services do.
void LinkDescriptors() {
  for (const pb::Descriptor* type :
       {evrouter::v1::Exchange::descriptor(),
        evrouter::v1::PublishRequest::descriptor(),
        evrouter::v1::SubscribeRequest::descriptor(),
        grpc::health::v1::HealthCheckResponse::descriptor()}) {
    ASSERT_NE(type, nullptr);
  }
}

// Polls `condition` until it holds or `timeout` passed.
template <typename Condition>
bool Eventually(Condition condition,
                absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

template <typename Proto>
class ReflectionServiceTest : public ::testing::Test {
 protected:
  using Request = typename Proto::Request;
  using Response = typename Proto::Response;
  using Stream = grpc::ClientReaderWriter<Request, Response>;

  // A client stream with its context (which must outlive it).
  struct Call {
    std::unique_ptr<grpc::ClientContext> context;
    std::unique_ptr<Stream> stream;
  };

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  // Starts the server; `authenticate` decides who may use reflection.
  void Start(ReflectionService::Authenticator authenticate = nullptr) {
    LinkDescriptors();
    service_ = std::make_unique<ReflectionService>(ServiceNames(), &calls_,
                                                   std::move(authenticate));
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(service_->v1());
    builder.RegisterService(service_->v1alpha());
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                   grpc::InsecureChannelCredentials());
    stub_ = Proto::Service::NewStub(channel_);
  }

  // Opens a stream, with `authorization` metadata when it is not empty.
  Call Open(const std::string& authorization = "") {
    Call call;
    call.context = std::make_unique<grpc::ClientContext>();
    call.context->set_deadline(std::chrono::system_clock::now() +
                               std::chrono::seconds(10));
    if (!authorization.empty()) {
      call.context->AddMetadata("authorization", authorization);
    }
    call.stream = stub_->ServerReflectionInfo(call.context.get());
    return call;
  }

  // Sends `request` and returns its answer (an empty response on failure).
  static Response Ask(Call& call, const Request& request) {
    Response response;
    EXPECT_TRUE(call.stream->Write(request));
    EXPECT_TRUE(call.stream->Read(&response));
    return response;
  }

  static Request Symbol(const std::string& symbol) {
    Request request;
    request.set_file_containing_symbol(symbol);
    return request;
  }

  static Request File(const std::string& name) {
    Request request;
    request.set_file_by_filename(name);
    return request;
  }

  static Request ListServices() {
    Request request;
    request.set_list_services("");
    return request;
  }

  // The files of a file_descriptor_response, parsed, in order.
  static std::vector<pb::FileDescriptorProto> Files(const Response& response) {
    EXPECT_TRUE(response.has_file_descriptor_response())
        << response.DebugString();
    std::vector<pb::FileDescriptorProto> files;
    for (const std::string& bytes :
         response.file_descriptor_response().file_descriptor_proto()) {
      files.emplace_back();
      EXPECT_TRUE(files.back().ParseFromString(bytes));
    }
    return files;
  }

  static std::vector<std::string> Names(const Response& response) {
    std::vector<std::string> names;
    for (const pb::FileDescriptorProto& file : Files(response)) {
      names.push_back(file.name());
    }
    return names;
  }

  // Ends the stream from the client side and returns its status.
  static grpc::Status Close(Call& call) {
    call.stream->WritesDone();
    Response extra;
    EXPECT_FALSE(call.stream->Read(&extra)) << extra.DebugString();
    return call.stream->Finish();
  }

  CallTracker calls_;
  std::unique_ptr<ReflectionService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<typename Proto::Service::Stub> stub_;
};

using Versions = ::testing::Types<V1, V1alpha>;
TYPED_TEST_SUITE(ReflectionServiceTest, Versions);

TYPED_TEST(ReflectionServiceTest, ListServicesNamesTheGivenServices) {
  this->Start();
  auto call = this->Open();
  auto response = this->Ask(call, this->ListServices());
  ASSERT_TRUE(response.has_list_services_response()) << response.DebugString();
  std::vector<std::string> names;
  for (const auto& service : response.list_services_response().service()) {
    names.push_back(service.name());
  }
  EXPECT_EQ(names, ServiceNames());
  EXPECT_TRUE(this->Close(call).ok());
}

TYPED_TEST(ReflectionServiceTest, ResponseEchoesRequestAndHost) {
  this->Start();
  auto call = this->Open();
  auto request = this->Symbol("evrouter.v1.Admin");
  request.set_host("example.test");
  auto response = this->Ask(call, request);
  EXPECT_EQ(response.valid_host(), "example.test");
  EXPECT_EQ(response.original_request().SerializeAsString(),
            request.SerializeAsString());
  auto unknown = this->Symbol("evrouter.v1.Nope");
  response = this->Ask(call, unknown);
  EXPECT_EQ(response.original_request().file_containing_symbol(),
            "evrouter.v1.Nope");
}

TYPED_TEST(ReflectionServiceTest, ServiceSymbolGivesItsFileAndImports) {
  this->Start();
  auto call = this->Open();
  auto response = this->Ask(call, this->Symbol("evrouter.v1.Admin"));
  std::vector<pb::FileDescriptorProto> files = this->Files(response);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].name(), "evrouter/v1/admin.proto");
  EXPECT_EQ(files[1].name(), "google/protobuf/timestamp.proto");

  // The files are enough to build the service, as a client would.
  pb::SimpleDescriptorDatabase database;
  for (const pb::FileDescriptorProto& file : files) {
    ASSERT_TRUE(database.Add(file));
  }
  pb::DescriptorPool pool(&database);
  const pb::ServiceDescriptor* admin =
      pool.FindServiceByName("evrouter.v1.Admin");
  ASSERT_NE(admin, nullptr);
  const pb::MethodDescriptor* create =
      admin->FindMethodByName("CreateExchange");
  ASSERT_NE(create, nullptr);
  EXPECT_EQ(create->input_type()->full_name(),
            "evrouter.v1.CreateExchangeRequest");
  EXPECT_NE(pool.FindMessageTypeByName("evrouter.v1.Exchange"), nullptr);
}

TYPED_TEST(ReflectionServiceTest, EveryKindOfSymbolIsFound) {
  this->Start();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"evrouter.v1.Admin.CreateExchange", "evrouter/v1/admin.proto"},
      {"evrouter.v1.Exchange", "evrouter/v1/admin.proto"},
      {"evrouter.v1.Exchange.name", "evrouter/v1/admin.proto"},
      {"evrouter.v1.ExchangeKind", "evrouter/v1/admin.proto"},
      {"evrouter.v1.StartPosition", "evrouter/v1/subscriber.proto"},
      {"evrouter.v1.Event", "evrouter/v1/event.proto"},
      {"evrouter.v1.Publisher", "evrouter/v1/publisher.proto"},
      {"grpc.health.v1.HealthCheckResponse.ServingStatus",
       "grpc/health/v1/health.proto"},
      {"grpc.health.v1.Health.Watch", "grpc/health/v1/health.proto"},
      {"google.protobuf.Timestamp", "google/protobuf/timestamp.proto"},
      {kReflectionV1Service, "grpc/reflection/v1/reflection.proto"},
      {kReflectionV1alphaService, "grpc/reflection/v1alpha/reflection.proto"},
  };
  for (const auto& [symbol, file] : cases) {
    // A new stream each time, so the file is sent with all its imports.
    auto call = this->Open();
    auto response = this->Ask(call, this->Symbol(symbol));
    std::vector<std::string> names = this->Names(response);
    ASSERT_FALSE(names.empty()) << symbol;
    EXPECT_EQ(names[0], file) << symbol;
  }
}

TYPED_TEST(ReflectionServiceTest, FileByFilenameGivesTheFileFirst) {
  this->Start();
  auto call = this->Open();
  auto response = this->Ask(call, this->File("evrouter/v1/subscriber.proto"));
  std::vector<std::string> names = this->Names(response);
  ASSERT_EQ(names.size(), 4u);
  EXPECT_EQ(names[0], "evrouter/v1/subscriber.proto");
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()),
            (std::set<std::string>{"evrouter/v1/subscriber.proto",
                                   "evrouter/v1/event.proto",
                                   "google/protobuf/timestamp.proto",
                                   "google/protobuf/duration.proto"}));
}

TYPED_TEST(ReflectionServiceTest, ImportsAreSentOncePerStream) {
  this->Start();
  auto call = this->Open();
  EXPECT_EQ(this->Names(this->Ask(call, this->Symbol("evrouter.v1.Publisher"))),
            (std::vector<std::string>{"evrouter/v1/publisher.proto",
                                      "evrouter/v1/event.proto",
                                      "google/protobuf/timestamp.proto"}));
  // event.proto and timestamp.proto were sent already.
  EXPECT_EQ(
      this->Names(this->Ask(call, this->Symbol("evrouter.v1.Subscriber"))),
      (std::vector<std::string>{"evrouter/v1/subscriber.proto",
                                "google/protobuf/duration.proto"}));
  // A file asked for by name again comes back alone, never as nothing.
  EXPECT_EQ(this->Names(this->Ask(call, this->File("evrouter/v1/event.proto"))),
            (std::vector<std::string>{"evrouter/v1/event.proto"}));
  EXPECT_TRUE(this->Close(call).ok());

  // A new stream starts over.
  auto again = this->Open();
  EXPECT_EQ(
      this->Names(this->Ask(again, this->Symbol("evrouter.v1.Subscriber")))
          .size(),
      4u);
}

TYPED_TEST(ReflectionServiceTest, UnknownNamesAreNotFoundAndStreamGoesOn) {
  this->Start();
  auto call = this->Open();
  auto response = this->Ask(call, this->Symbol("evrouter.v1.Nope"));
  ASSERT_TRUE(response.has_error_response()) << response.DebugString();
  EXPECT_EQ(response.error_response().error_code(), kNotFound);
  EXPECT_NE(response.error_response().error_message().find("evrouter.v1.Nope"),
            std::string::npos);

  response = this->Ask(call, this->File("evrouter/v1/nope.proto"));
  ASSERT_TRUE(response.has_error_response()) << response.DebugString();
  EXPECT_EQ(response.error_response().error_code(), kNotFound);
  EXPECT_NE(response.error_response().error_message().find("nope.proto"),
            std::string::npos);

  typename TestFixture::Request request;
  request.mutable_file_containing_extension()->set_containing_type(
      "evrouter.v1.Exchange");
  request.mutable_file_containing_extension()->set_extension_number(100);
  response = this->Ask(call, request);
  ASSERT_TRUE(response.has_error_response()) << response.DebugString();
  EXPECT_EQ(response.error_response().error_code(), kNotFound);

  request.set_all_extension_numbers_of_type("evrouter.v1.Nope");
  response = this->Ask(call, request);
  ASSERT_TRUE(response.has_error_response()) << response.DebugString();
  EXPECT_EQ(response.error_response().error_code(), kNotFound);

  // The stream still answers.
  response = this->Ask(call, this->Symbol("evrouter.v1.Admin"));
  EXPECT_EQ(this->Names(response).size(), 2u);
  EXPECT_TRUE(this->Close(call).ok());
}

TYPED_TEST(ReflectionServiceTest, ExtensionNumbersOfAKnownType) {
  this->Start();
  auto call = this->Open();
  typename TestFixture::Request request;
  request.set_all_extension_numbers_of_type("evrouter.v1.Exchange");
  auto response = this->Ask(call, request);
  ASSERT_TRUE(response.has_all_extension_numbers_response())
      << response.DebugString();
  EXPECT_EQ(response.all_extension_numbers_response().base_type_name(),
            "evrouter.v1.Exchange");
  EXPECT_EQ(response.all_extension_numbers_response().extension_number_size(),
            0);
}

TYPED_TEST(ReflectionServiceTest, EmptyRequestIsInvalidArgument) {
  this->Start();
  auto call = this->Open();
  typename TestFixture::Request empty;
  empty.set_host("h");
  auto response = this->Ask(call, empty);
  ASSERT_TRUE(response.has_error_response()) << response.DebugString();
  EXPECT_EQ(response.error_response().error_code(), kInvalidArgument);
  EXPECT_EQ(response.valid_host(), "h");
  EXPECT_TRUE(
      this->Ask(call, this->ListServices()).has_list_services_response());
}

TYPED_TEST(ReflectionServiceTest, OversizedRequestEndsTheStream) {
  this->Start();
  auto call = this->Open();
  EXPECT_TRUE(call.stream->Write(this->Symbol(std::string(5000, 'x'))));
  typename TestFixture::Response response;
  EXPECT_FALSE(call.stream->Read(&response));
  grpc::Status status = call.stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
}

TYPED_TEST(ReflectionServiceTest, RefusedCallerGetsNothing) {
  std::atomic<int> asked = 0;
  this->Start([&](grpc::CallbackServerContext*) {
    ++asked;
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "no token");
  });
  auto call = this->Open();
  call.stream->Write(this->ListServices());
  typename TestFixture::Response response;
  EXPECT_FALSE(call.stream->Read(&response)) << response.DebugString();
  grpc::Status status = call.stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(status.error_message(), "no token");
  EXPECT_EQ(asked.load(), 1);
  EXPECT_EQ(this->calls_.streams(), 0u);
}

TYPED_TEST(ReflectionServiceTest, AuthenticatorSeesTheCallersMetadata) {
  this->Start([](grpc::CallbackServerContext* context) {
    const auto& metadata = context->client_metadata();
    auto it = metadata.find("authorization");
    if (it != metadata.end() && it->second == "Bearer good") {
      return grpc::Status::OK;
    }
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "bad token");
  });
  auto allowed = this->Open("Bearer good");
  EXPECT_TRUE(
      this->Ask(allowed, this->ListServices()).has_list_services_response());
  EXPECT_TRUE(this->Close(allowed).ok());

  for (const std::string& token : {std::string(), std::string("Bearer bad")}) {
    auto refused = this->Open(token);
    typename TestFixture::Response response;
    EXPECT_FALSE(refused.stream->Read(&response));
    EXPECT_EQ(refused.stream->Finish().error_code(),
              grpc::StatusCode::UNAUTHENTICATED)
        << token;
  }
}

TYPED_TEST(ReflectionServiceTest, StreamsAreCountedAndEndedOnShutdown) {
  this->Start();
  auto call = this->Open();
  EXPECT_TRUE(
      this->Ask(call, this->ListServices()).has_list_services_response());
  EXPECT_EQ(this->calls_.streams(), 1u);

  this->calls_.StartDrain();
  auto late = this->Open();
  typename TestFixture::Response response;
  EXPECT_FALSE(late.stream->Read(&response));
  EXPECT_EQ(late.stream->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);

  this->service_->EndStreams();
  EXPECT_FALSE(call.stream->Read(&response));
  EXPECT_EQ(call.stream->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(Eventually([&] { return this->calls_.streams() == 0; }));
  EXPECT_TRUE(this->calls_.WaitIdle(absl::Seconds(10)));
}

TYPED_TEST(ReflectionServiceTest, ClosedStreamIsNoLongerCounted) {
  this->Start();
  auto call = this->Open();
  EXPECT_TRUE(
      this->Ask(call, this->ListServices()).has_list_services_response());
  EXPECT_EQ(this->calls_.streams(), 1u);
  EXPECT_TRUE(this->Close(call).ok());
  EXPECT_TRUE(Eventually([&] { return this->calls_.streams() == 0; }));
}

}  // namespace
}  // namespace evrouter::transport
