// The client library and stdin publishing against in-process fake services
// (no evrouterd, no database).
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/cli/publish_lines.h"
#include "client/evrouter_client.h"
#include "client/grpc_status.h"

namespace evrouter::client {
namespace {

using evrouter::v1::Event;
using evrouter::v1::Exchange;
using grpc::health::v1::HealthCheckResponse;

class FakeAdmin final : public evrouter::v1::Admin::Service {
  grpc::Status CreateExchange(
      grpc::ServerContext*, const evrouter::v1::CreateExchangeRequest* request,
      Exchange* response) override {
    if (request->name() == "taken") {
      return grpc::Status(grpc::StatusCode::ALREADY_EXISTS,
                          "exchange \"taken\" has another kind");
    }
    response->set_name(request->name());
    response->set_kind(request->kind());
    return grpc::Status::OK;
  }
  grpc::Status GetExchange(grpc::ServerContext*,
                           const evrouter::v1::GetExchangeRequest* request,
                           Exchange* response) override {
    if (request->name() == "missing") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND,
                          "exchange \"missing\" not found");
    }
    response->set_name(request->name());
    response->set_head_offset(7);
    return grpc::Status::OK;
  }
  grpc::Status ListExchanges(
      grpc::ServerContext*, const evrouter::v1::ListExchangesRequest*,
      evrouter::v1::ListExchangesResponse* response) override {
    response->add_exchanges()->set_name("a");
    response->add_exchanges()->set_name("b");
    return grpc::Status::OK;
  }
  grpc::Status DeleteExchange(
      grpc::ServerContext*, const evrouter::v1::DeleteExchangeRequest* request,
      evrouter::v1::DeleteExchangeResponse*) override {
    if (request->name() == "missing") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such exchange");
    }
    return grpc::Status::OK;
  }
};

// Assigns offsets 1, 2, ... across all calls; exchange "bad" is rejected.
class FakePublisher final : public evrouter::v1::Publisher::Service {
 public:
  grpc::Status Publish(grpc::ServerContext*,
                       const evrouter::v1::PublishRequest* request,
                       evrouter::v1::PublishResponse* response) override {
    if (request->exchange() == "bad") {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad exchange");
    }
    for (const Event& event : request->events()) {
      AddResult(event, *response->add_results());
    }
    return grpc::Status::OK;
  }

  grpc::Status PublishStream(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<evrouter::v1::PublishStreamResponse,
                               evrouter::v1::PublishStreamRequest>* stream)
      override {
    evrouter::v1::PublishStreamRequest request;
    while (stream->Read(&request)) {
      evrouter::v1::PublishStreamResponse ack;
      ack.set_batch_id(request.batch_id());
      if (request.exchange() == "bad") {
        ack.set_error_code(grpc::StatusCode::NOT_FOUND);
        ack.set_error_message("exchange \"bad\" not found");
      } else {
        for (const Event& event : request.events()) {
          AddResult(event, *ack.add_results());
        }
      }
      batches_.fetch_add(1);
      if (!stream->Write(ack)) break;
    }
    return grpc::Status::OK;
  }

  int batches() const { return batches_.load(); }

 private:
  void AddResult(const Event& event, evrouter::v1::PublishResult& result) {
    result.set_offset(next_offset_.fetch_add(1));
    result.set_id(event.id().empty() ? absl::StrCat("id-", result.offset())
                                     : event.id());
  }

  std::atomic<uint64_t> next_offset_{1};
  std::atomic<int> batches_{0};
};

// NOT_SERVING for the first `not_serving_answers` checks, then SERVING.
class FakeHealth final : public grpc::health::v1::Health::Service {
 public:
  explicit FakeHealth(int not_serving_answers)
      : not_serving_left_(not_serving_answers) {}
  grpc::Status Check(grpc::ServerContext*,
                     const grpc::health::v1::HealthCheckRequest* request,
                     HealthCheckResponse* response) override {
    if (!request->service().empty() && request->service() != "known") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service");
    }
    response->set_status(not_serving_left_.fetch_sub(1) > 0
                             ? HealthCheckResponse::NOT_SERVING
                             : HealthCheckResponse::SERVING);
    return grpc::Status::OK;
  }

 private:
  std::atomic<int> not_serving_left_;
};

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&admin_);
    builder.RegisterService(&publisher_);
    builder.RegisterService(&health_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    ClientOptions options;
    options.server = absl::StrCat("127.0.0.1:", port);
    options.timeout = absl::Seconds(5);
    options.stream_timeout = absl::Seconds(30);
    client_ = std::make_unique<Client>(options);
  }

  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  static std::vector<Event> Events(int n) {
    std::vector<Event> events(n);
    for (Event& event : events) event.set_type("t");
    return events;
  }

  FakeAdmin admin_;
  FakePublisher publisher_;
  FakeHealth health_{2};
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Client> client_;
};

TEST(GrpcStatusTest, KeepsCodeAndMessage) {
  const absl::Status status = ToAbslStatus(
      grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "not yet"));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), "not yet");
  EXPECT_TRUE(ToAbslStatus(grpc::Status::OK).ok());
}

TEST_F(ClientTest, ExchangeCallsReturnServerAnswers) {
  absl::StatusOr<Exchange> created =
      client_->CreateExchange("orders", evrouter::v1::EXCHANGE_KIND_TOPIC);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->name(), "orders");
  EXPECT_EQ(created->kind(), evrouter::v1::EXCHANGE_KIND_TOPIC);
  absl::StatusOr<Exchange> got = client_->GetExchange("orders");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->head_offset(), 7u);
  absl::StatusOr<std::vector<Exchange>> list = client_->ListExchanges();
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].name(), "b");
  EXPECT_TRUE(client_->DeleteExchange("orders").ok());
}

TEST_F(ClientTest, ErrorsKeepGrpcCodeAndMessage) {
  absl::StatusOr<Exchange> got = client_->GetExchange("missing");
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(got.status().message(), "exchange \"missing\" not found");
  absl::StatusOr<Exchange> created =
      client_->CreateExchange("taken", evrouter::v1::EXCHANGE_KIND_FANOUT);
  EXPECT_EQ(created.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(client_->DeleteExchange("missing").code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ClientTest, UnreachableServerIsUnavailable) {
  server_->Shutdown();
  server_.reset();
  EXPECT_EQ(client_->GetExchange("x").status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(ClientTest, PublishReturnsResultsInEventOrder) {
  std::vector<Event> events = Events(3);
  events[1].set_id("mine");
  absl::StatusOr<std::vector<evrouter::v1::PublishResult>> results =
      client_->Publish("orders", std::move(events));
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 3u);
  EXPECT_EQ((*results)[0].offset(), 1u);
  EXPECT_EQ((*results)[1].id(), "mine");
  EXPECT_EQ((*results)[2].offset(), 3u);
  EXPECT_EQ(client_->Publish("bad", Events(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ClientTest, HealthReportsServingStatus) {
  absl::StatusOr<HealthCheckResponse::ServingStatus> first = client_->Health();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(client_->Health("nope").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ClientTest, WaitUntilServingPollsUntilServing) {
  EXPECT_TRUE(client_->WaitUntilServing(absl::Seconds(10)).ok());
}

TEST_F(ClientTest, WaitUntilServingGivesUpAfterWithin) {
  server_->Shutdown();
  server_.reset();
  const absl::Status status =
      client_->WaitUntilServing(absl::Milliseconds(300));
  EXPECT_EQ(status.code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(ClientTest, PublishStreamAcksArriveInSendOrder) {
  std::unique_ptr<PublishStream> stream = client_->OpenPublishStream();
  for (uint64_t want = 1; want <= 5; ++want) {
    absl::StatusOr<uint64_t> id = stream->Send("orders", Events(2));
    ASSERT_TRUE(id.ok()) << id.status();
    EXPECT_EQ(*id, want);
  }
  for (uint64_t want = 1; want <= 3; ++want) {
    absl::StatusOr<evrouter::v1::PublishStreamResponse> ack = stream->NextAck();
    ASSERT_TRUE(ack.ok()) << ack.status();
    EXPECT_EQ(ack->batch_id(), want);
    ASSERT_EQ(ack->results_size(), 2);
    EXPECT_EQ(ack->results(1).offset(), want * 2);
  }
  absl::StatusOr<std::vector<evrouter::v1::PublishStreamResponse>> rest =
      stream->Close();
  ASSERT_TRUE(rest.ok()) << rest.status();
  ASSERT_EQ(rest->size(), 2u);
  EXPECT_EQ((*rest)[0].batch_id(), 4u);
  EXPECT_EQ((*rest)[1].batch_id(), 5u);
  EXPECT_FALSE(stream->Send("orders", Events(1)).ok());
}

TEST_F(ClientTest, PublishStreamRejectedBatchIsAnAck) {
  std::unique_ptr<PublishStream> stream = client_->OpenPublishStream();
  ASSERT_TRUE(stream->Send("bad", Events(1)).ok());
  absl::StatusOr<evrouter::v1::PublishStreamResponse> ack = stream->NextAck();
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(stream->Close().ok());
}

TEST_F(ClientTest, PublishLinesBatchesAndPipelines) {
  std::string input;
  for (int i = 0; i < 1234; ++i) absl::StrAppend(&input, "{}\n\n");
  std::istringstream in(input);
  cli::EventDefaults defaults;
  defaults.type = "t";
  std::vector<uint64_t> offsets;
  std::unique_ptr<PublishStream> stream = client_->OpenPublishStream();
  const absl::Status status = cli::PublishLines(
      *stream, "orders", in, defaults,
      cli::LineBatching{.max_batch_events = 100, .max_batches_in_flight = 3},
      [&](const evrouter::v1::PublishResult& r) {
        offsets.push_back(r.offset());
      });
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(offsets.size(), 1234u);
  for (size_t i = 0; i < offsets.size(); ++i) EXPECT_EQ(offsets[i], i + 1);
  EXPECT_EQ(publisher_.batches(), 13);
}

TEST_F(ClientTest, PublishLinesStopsAtMalformedLine) {
  std::istringstream in("{\"type\":\"a\"}\n{\"type\":\"b\"}\n{oops\n{}\n");
  std::vector<uint64_t> offsets;
  std::unique_ptr<PublishStream> stream = client_->OpenPublishStream();
  const absl::Status status = cli::PublishLines(
      *stream, "orders", in, cli::EventDefaults(), cli::LineBatching(),
      [&](const evrouter::v1::PublishResult& r) {
        offsets.push_back(r.offset());
      });
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message().rfind("line 3: ", 0), 0u) << status;
  EXPECT_EQ(offsets, (std::vector<uint64_t>{1, 2}));
}

TEST_F(ClientTest, PublishLinesReportsRejectedBatch) {
  std::istringstream in("{}\n{}\n");
  std::unique_ptr<PublishStream> stream = client_->OpenPublishStream();
  const absl::Status status = cli::PublishLines(
      *stream, "bad", in, cli::EventDefaults(), cli::LineBatching(),
      [](const evrouter::v1::PublishResult&) {});
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(status.message().find("not found"), std::string::npos) << status;
}

}  // namespace
}  // namespace evrouter::client
