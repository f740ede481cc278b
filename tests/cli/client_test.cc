// The client library and stdin publishing against in-process fake services
// (no evrouterd, no database).
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "client/cli/cli_args.h"
#include "client/cli/commands.h"
#include "client/cli/publish_lines.h"
#include "client/evrouter_client.h"
#include "client/grpc_status.h"

namespace evrouter::client {
namespace {

using evrouter::v1::Event;
using evrouter::v1::Exchange;
using grpc::health::v1::HealthCheckResponse;

// A token FakeAdmin::IssueToken hands out, and one it refuses.
constexpr char kIssuedToken[] = "evr_0123456789ab_c2VjcmV0LWlzc3VlZA";
constexpr char kRefusedToken[] = "evr_bbbbbbbbbbbb_cmVmdXNlZA";

class FakeAdmin final : public evrouter::v1::Admin::Service {
 public:
  // The authorization metadata of the last user or token call ("" = none).
  std::string last_authorization() {
    absl::MutexLock lock(&mu_);
    return last_authorization_;
  }
  std::string last_revoked_id() {
    absl::MutexLock lock(&mu_);
    return last_revoked_id_;
  }

 private:
  // UNAUTHENTICATED without a token or with kRefusedToken; records it.
  grpc::Status Authenticate(grpc::ServerContext* context) {
    const auto& metadata = context->client_metadata();
    auto it = metadata.find("authorization");
    const std::string authorization =
        it == metadata.end()
            ? ""
            : std::string(it->second.data(), it->second.size());
    absl::MutexLock lock(&mu_);
    last_authorization_ = authorization;
    if (authorization.empty()) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "missing token");
    }
    if (authorization == absl::StrCat("Bearer ", kRefusedToken)) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "unknown token");
    }
    return grpc::Status::OK;
  }

  // The user and token calls echo their requests.
  grpc::Status CreateUser(grpc::ServerContext* context,
                          const evrouter::v1::CreateUserRequest* request,
                          evrouter::v1::User* response) override {
    if (grpc::Status status = Authenticate(context); !status.ok()) {
      return status;
    }
    if (request->name() == "taken") {
      return grpc::Status(grpc::StatusCode::ALREADY_EXISTS, "user exists");
    }
    response->set_name(request->name());
    *response->mutable_permissions() = request->permissions();
    return grpc::Status::OK;
  }
  grpc::Status ListUsers(grpc::ServerContext* context,
                         const evrouter::v1::ListUsersRequest*,
                         evrouter::v1::ListUsersResponse* response) override {
    if (grpc::Status status = Authenticate(context); !status.ok()) {
      return status;
    }
    response->add_users()->set_name("a");
    evrouter::v1::User* b = response->add_users();
    b->set_name("b");
    b->add_tokens()->set_id("0123456789ab");
    return grpc::Status::OK;
  }
  grpc::Status DeleteUser(grpc::ServerContext* context,
                          const evrouter::v1::DeleteUserRequest* request,
                          evrouter::v1::DeleteUserResponse*) override {
    if (grpc::Status status = Authenticate(context); !status.ok()) {
      return status;
    }
    if (request->name() == "missing") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no user missing");
    }
    return grpc::Status::OK;
  }
  grpc::Status GrantPermission(
      grpc::ServerContext* context,
      const evrouter::v1::GrantPermissionRequest* request,
      evrouter::v1::User* response) override {
    if (grpc::Status status = Authenticate(context); !status.ok()) {
      return status;
    }
    response->set_name(request->user());
    *response->add_permissions() = request->permission();
    return grpc::Status::OK;
  }
  grpc::Status RevokePermission(
      grpc::ServerContext* context,
      const evrouter::v1::RevokePermissionRequest* request,
      evrouter::v1::User* response) override {
    if (grpc::Status status = Authenticate(context); !status.ok()) {
      return status;
    }
    response->set_name(request->user());
    return grpc::Status::OK;
  }
  grpc::Status IssueToken(grpc::ServerContext* context,
                          const evrouter::v1::IssueTokenRequest* request,
                          evrouter::v1::IssueTokenResponse* response) override {
    if (grpc::Status status = Authenticate(context); !status.ok()) {
      return status;
    }
    response->set_user(request->user());
    response->set_token(kIssuedToken);
    response->mutable_info()->set_id("0123456789ab");
    response->mutable_info()->set_description(request->description());
    return grpc::Status::OK;
  }
  grpc::Status RevokeToken(grpc::ServerContext* context,
                           const evrouter::v1::RevokeTokenRequest* request,
                           evrouter::v1::RevokeTokenResponse*) override {
    if (grpc::Status status = Authenticate(context); !status.ok()) {
      return status;
    }
    absl::MutexLock lock(&mu_);
    last_revoked_id_ = request->id();
    return grpc::Status::OK;
  }

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

  // The queue and consumer calls echo their requests.
  grpc::Status CreateQueue(grpc::ServerContext*,
                           const evrouter::v1::CreateQueueRequest* request,
                           evrouter::v1::Queue* response) override {
    if (request->exchange() == "missing") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no exchange missing");
    }
    response->set_name(request->name());
    response->set_exchange(request->exchange());
    *response->mutable_bindings() = request->bindings();
    response->set_limit_size(request->limit_size());
    response->set_start_offset(request->from_earliest() ? 0 : 42);
    return grpc::Status::OK;
  }
  grpc::Status GetQueue(grpc::ServerContext*,
                        const evrouter::v1::GetQueueRequest* request,
                        evrouter::v1::Queue* response) override {
    response->set_name(request->name());
    return grpc::Status::OK;
  }
  grpc::Status ListQueues(grpc::ServerContext*,
                          const evrouter::v1::ListQueuesRequest* request,
                          evrouter::v1::ListQueuesResponse* response) override {
    for (const char* name : {"q1", "q2"}) {
      evrouter::v1::Queue* queue = response->add_queues();
      queue->set_name(name);
      queue->set_exchange(request->exchange());
    }
    return grpc::Status::OK;
  }
  grpc::Status DeleteQueue(grpc::ServerContext*,
                           const evrouter::v1::DeleteQueueRequest* request,
                           evrouter::v1::DeleteQueueResponse*) override {
    if (request->name() == "missing") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no queue missing");
    }
    return grpc::Status::OK;
  }
  grpc::Status CreateConsumer(
      grpc::ServerContext*, const evrouter::v1::CreateConsumerRequest* request,
      evrouter::v1::Consumer* response) override {
    response->set_queue(request->queue());
    response->set_name(request->name());
    response->set_state(evrouter::v1::CONSUMER_STATE_SLEEPING);
    return grpc::Status::OK;
  }
  grpc::Status ListConsumers(
      grpc::ServerContext*, const evrouter::v1::ListConsumersRequest* request,
      evrouter::v1::ListConsumersResponse* response) override {
    evrouter::v1::Consumer* consumer = response->add_consumers();
    consumer->set_queue(request->queue());
    consumer->set_name("c1");
    return grpc::Status::OK;
  }
  // The offset target comes back as the committed offset, the time target
  // as last_active_at.
  grpc::Status SeekConsumer(grpc::ServerContext*,
                            const evrouter::v1::SeekConsumerRequest* request,
                            evrouter::v1::Consumer* response) override {
    if (request->name() == "active") {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          "consumer is ACTIVE");
    }
    response->set_queue(request->queue());
    response->set_name(request->name());
    if (request->has_offset())
      response->set_committed_offset(request->offset());
    if (request->has_time())
      *response->mutable_last_active_at() = request->time();
    return grpc::Status::OK;
  }
  grpc::Status DeleteConsumer(
      grpc::ServerContext*, const evrouter::v1::DeleteConsumerRequest* request,
      evrouter::v1::DeleteConsumerResponse*) override {
    if (request->queue() != "q1") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such consumer");
    }
    return grpc::Status::OK;
  }
  grpc::Status GetStats(grpc::ServerContext*,
                        const evrouter::v1::GetStatsRequest*,
                        evrouter::v1::Stats* response) override {
    response->add_exchanges()->set_name("orders");
    response->add_queues()->set_name("q1");
    return grpc::Status::OK;
  }

  absl::Mutex mu_;
  std::string last_authorization_ ABSL_GUARDED_BY(mu_);
  std::string last_revoked_id_ ABSL_GUARDED_BY(mu_);
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
  grpc::Status Check(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     HealthCheckResponse* response) override {
    {
      absl::MutexLock lock(&mu_);
      peers_.insert(context->peer());
    }
    if (!request->service().empty() && request->service() != "known") {
      return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service");
    }
    response->set_status(not_serving_left_.fetch_sub(1) > 0
                             ? HealthCheckResponse::NOT_SERVING
                             : HealthCheckResponse::SERVING);
    return grpc::Status::OK;
  }

  // The client addresses ("ipv4:127.0.0.1:PORT") checks came from.
  std::set<std::string> peers() {
    absl::MutexLock lock(&mu_);
    return peers_;
  }

 private:
  std::atomic<int> not_serving_left_;
  absl::Mutex mu_;
  std::set<std::string> peers_ ABSL_GUARDED_BY(mu_);
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
    port_ = port;
    client_ = MakeClient("");
  }

  std::unique_ptr<Client> MakeClient(const std::string& token) const {
    ClientOptions options;
    options.server = absl::StrCat("127.0.0.1:", port_);
    options.timeout = absl::Seconds(5);
    options.stream_timeout = absl::Seconds(30);
    options.token = token;
    return std::make_unique<Client>(options);
  }

  // Runs `argv` as the CLI would with `env` as its environment and a client
  // carrying `token`; stdout in out_, stderr in err_.
  int RunCli(const std::vector<std::string>& argv,
             const std::map<std::string, std::string>& env,
             const std::string& token) {
    absl::StatusOr<cli::CliArgs> args =
        cli::ParseArgs(argv, [&env](std::string_view name) {
          auto it = env.find(std::string(name));
          return it == env.end() ? std::string() : it->second;
        });
    EXPECT_TRUE(args.ok()) << args.status();
    if (!args.ok()) return cli::kExitUsage;
    std::unique_ptr<Client> client = MakeClient(token);
    std::istringstream in;
    out_.str("");
    err_.str("");
    return cli::RunCommand(*args, *client, in, out_, err_);
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
  int port_ = 0;
  std::unique_ptr<Client> client_;
  std::ostringstream out_;
  std::ostringstream err_;
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

TEST_F(ClientTest, QueueCallsSendTheirArguments) {
  absl::StatusOr<evrouter::v1::Queue> created =
      client_->CreateQueue("q1", "orders", {"a.*", "b.#"}, 500, true);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->name(), "q1");
  EXPECT_EQ(created->exchange(), "orders");
  ASSERT_EQ(created->bindings_size(), 2);
  EXPECT_EQ(created->bindings(1), "b.#");
  EXPECT_EQ(created->limit_size(), 500u);
  EXPECT_EQ(created->start_offset(), 0u);  // from_earliest
  absl::StatusOr<evrouter::v1::Queue> defaults =
      client_->CreateQueue("q2", "orders", {});
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->limit_size(), 0u);
  EXPECT_EQ(defaults->start_offset(), 42u);
  EXPECT_EQ(client_->CreateQueue("q3", "missing", {}).status().code(),
            absl::StatusCode::kNotFound);
  absl::StatusOr<evrouter::v1::Queue> got = client_->GetQueue("q1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->name(), "q1");
  absl::StatusOr<std::vector<evrouter::v1::Queue>> list =
      client_->ListQueues("orders");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].name(), "q2");
  EXPECT_EQ((*list)[1].exchange(), "orders");
  EXPECT_TRUE(client_->DeleteQueue("q1").ok());
  EXPECT_EQ(client_->DeleteQueue("missing").code(),
            absl::StatusCode::kNotFound);
}

TEST_F(ClientTest, ConsumerCallsSendTheirArguments) {
  absl::StatusOr<evrouter::v1::Consumer> created =
      client_->CreateConsumer("q1", "c1");
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->queue(), "q1");
  EXPECT_EQ(created->name(), "c1");
  EXPECT_EQ(created->state(), evrouter::v1::CONSUMER_STATE_SLEEPING);
  absl::StatusOr<std::vector<evrouter::v1::Consumer>> list =
      client_->ListConsumers("q1");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].queue(), "q1");
  absl::StatusOr<evrouter::v1::Consumer> by_offset =
      client_->SeekConsumer("q1", "c1", uint64_t{7});
  ASSERT_TRUE(by_offset.ok()) << by_offset.status();
  EXPECT_EQ(by_offset->committed_offset(), 7u);
  EXPECT_FALSE(by_offset->has_last_active_at());
  absl::StatusOr<evrouter::v1::Consumer> by_time = client_->SeekConsumer(
      "q1", "c1", absl::FromUnixMillis(int64_t{1704164645500}));
  ASSERT_TRUE(by_time.ok()) << by_time.status();
  EXPECT_EQ(by_time->committed_offset(), 0u);
  EXPECT_EQ(by_time->last_active_at().seconds(), 1704164645);
  EXPECT_EQ(by_time->last_active_at().nanos(), 500000000);
  EXPECT_EQ(client_->SeekConsumer("q1", "active", uint64_t{1}).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(client_->DeleteConsumer("q1", "c1").ok());
  EXPECT_EQ(client_->DeleteConsumer("q2", "c1").code(),
            absl::StatusCode::kNotFound);
  absl::StatusOr<evrouter::v1::Stats> stats = client_->GetStats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->exchanges(0).name(), "orders");
  EXPECT_EQ(stats->queues(0).name(), "q1");
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

TEST_F(ClientTest, OwnConnectionClientsDoNotShareATcpConnection) {
  ClientOptions options = client_->options();
  options.own_connection = true;
  Client first(options);
  Client second(options);
  ASSERT_TRUE(client_->Health().ok());
  ASSERT_TRUE(first.Health().ok());
  ASSERT_TRUE(second.Health().ok());
  // Three clients, three client ports.
  EXPECT_EQ(health_.peers().size(), 3u);
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

TEST_F(ClientTest, UserAndTokenCallsSendTheTokenAndTheirArguments) {
  std::unique_ptr<Client> client = MakeClient("evr_aaaaaaaaaaaa_YWRtaW4");
  evrouter::v1::Permission publish;
  publish.set_action(evrouter::v1::PERMISSION_ACTION_PUBLISH);
  publish.set_pattern("orders.*");
  absl::StatusOr<evrouter::v1::User> user =
      client->CreateUser("svc", {publish});
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(admin_.last_authorization(), "Bearer evr_aaaaaaaaaaaa_YWRtaW4");
  EXPECT_EQ(user->name(), "svc");
  ASSERT_EQ(user->permissions_size(), 1);
  EXPECT_EQ(user->permissions(0).pattern(), "orders.*");
  EXPECT_EQ(client->CreateUser("taken").status().code(),
            absl::StatusCode::kAlreadyExists);
  absl::StatusOr<std::vector<evrouter::v1::User>> users = client->ListUsers();
  ASSERT_TRUE(users.ok()) << users.status();
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[1].tokens(0).id(), "0123456789ab");
  absl::StatusOr<evrouter::v1::User> granted =
      client->GrantPermission("svc", publish);
  ASSERT_TRUE(granted.ok()) << granted.status();
  EXPECT_EQ(granted->permissions(0).action(),
            evrouter::v1::PERMISSION_ACTION_PUBLISH);
  EXPECT_TRUE(client->RevokePermission("svc", publish).ok());
  absl::StatusOr<evrouter::v1::IssueTokenResponse> issued =
      client->IssueToken("svc", "ci");
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_EQ(issued->info().description(), "ci");
  EXPECT_TRUE(client->RevokeToken("0123456789ab").ok());
  EXPECT_EQ(admin_.last_revoked_id(), "0123456789ab");
  EXPECT_EQ(client->DeleteUser("missing").code(), absl::StatusCode::kNotFound);
  // Without a token no authorization metadata is sent.
  EXPECT_EQ(client_->ListUsers().status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(admin_.last_authorization(), "");
}

TEST_F(ClientTest, CliTokenIssuePrintsTheTokenAloneAndANoteOnStderr) {
  const std::map<std::string, std::string> env = {
      {"EVROUTER_TOKEN", "evr_aaaaaaaaaaaa_YWRtaW4"}};
  EXPECT_EQ(RunCli({"token", "issue", "svc", "--description", "ci"}, env,
                   "evr_aaaaaaaaaaaa_YWRtaW4"),
            cli::kExitOk)
      << err_.str();
  EXPECT_EQ(out_.str(), absl::StrCat(kIssuedToken, "\n"));
  EXPECT_EQ(err_.str(),
            "evrouter: token 0123456789ab for user svc is shown only this "
            "once; store it now (revoke it with 'evrouter token revoke "
            "0123456789ab')\n");
  EXPECT_EQ(RunCli({"--json", "token", "issue", "svc"}, env,
                   "evr_aaaaaaaaaaaa_YWRtaW4"),
            cli::kExitOk);
  EXPECT_NE(out_.str().find(absl::StrCat("\"token\":\"", kIssuedToken, "\"")),
            std::string::npos)
      << out_.str();
  EXPECT_EQ(err_.str(), "");
}

TEST_F(ClientTest, CliUserCommandsAndTokenRevokeByWholeToken) {
  const std::string admin = "evr_aaaaaaaaaaaa_YWRtaW4";
  EXPECT_EQ(
      RunCli({"user", "create", "svc", "--admin", "--publish", "orders.*"}, {},
             admin),
      cli::kExitOk)
      << err_.str();
  EXPECT_EQ(out_.str(),
            "name:        svc\n"
            "permissions: admin publish:orders.*\n"
            "tokens:      -\n"
            "created_at:  -\n");
  EXPECT_EQ(RunCli({"user", "grant", "svc", "subscribe", "q.#"}, {}, admin),
            cli::kExitOk);
  EXPECT_NE(out_.str().find("permissions: subscribe:q.#\n"), std::string::npos)
      << out_.str();
  EXPECT_EQ(RunCli({"user", "list"}, {}, admin), cli::kExitOk);
  EXPECT_EQ(out_.str(),
            "NAME  PERMISSIONS  TOKENS        CREATED_AT\n"
            "a     -            -             -\n"
            "b     -            0123456789ab  -\n");
  EXPECT_EQ(RunCli({"user", "delete", "svc"}, {}, admin), cli::kExitOk);
  EXPECT_EQ(out_.str(), "deleted user svc\n");
  EXPECT_EQ(RunCli({"user", "delete", "missing"}, {}, admin), cli::kExitError);
  EXPECT_EQ(err_.str(), "evrouter: NOT_FOUND: no user missing\n");
  EXPECT_EQ(RunCli({"token", "revoke", kIssuedToken}, {}, admin), cli::kExitOk);
  EXPECT_EQ(out_.str(), "revoked token 0123456789ab\n");
  EXPECT_EQ(admin_.last_revoked_id(), "0123456789ab");
}

TEST_F(ClientTest, CliUnauthenticatedWithoutATokenSaysHowToGiveOne) {
  EXPECT_EQ(RunCli({"user", "list"}, {{"HOME", "/home/u"}}, ""),
            cli::kExitError);
  EXPECT_EQ(err_.str(),
            "evrouter: UNAUTHENTICATED: missing token\n"
            "evrouter: no token was sent; give one with --token TOKEN, "
            "--token-file FILE, env EVROUTER_TOKEN or EVROUTER_TOKEN_FILE, or "
            "put it in /home/u/.config/evrouter/token\n");
}

TEST_F(ClientTest, CliRefusedTokenNamesItsSourceNotTheToken) {
  EXPECT_EQ(RunCli({"user", "list"}, {{"EVROUTER_TOKEN", kRefusedToken}},
                   kRefusedToken),
            cli::kExitError);
  EXPECT_EQ(err_.str(),
            "evrouter: UNAUTHENTICATED: unknown token\n"
            "evrouter: the server refused the token from EVROUTER_TOKEN "
            "(unknown, revoked, or its user deleted); an admin can issue a "
            "new one with 'evrouter token issue USER'\n");
}

}  // namespace
}  // namespace evrouter::client
