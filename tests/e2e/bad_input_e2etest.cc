// Invariant 6: bad input gets a status naming the field (INVALID_ARGUMENT, or
// NOT_FOUND / OUT_OF_RANGE where that is the convention), and nothing of it
// is stored. Requests go to the real evrouterd as bytes, so that what a
// typed client would refuse to build (invalid UTF-8, unknown enum numbers,
// broken protobuf) reaches the server too.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "client/channel.h"
#include "evrouter/v1/admin.pb.h"
#include "evrouter/v1/publisher.grpc.pb.h"
#include "evrouter/v1/subscriber.grpc.pb.h"
#include "tests/e2e/e2e_fixture.h"

namespace evrouter::testing {
namespace {

constexpr char kNotUtf8[] = "a\xff";
// An unknown group that never ends: no protobuf parser accepts it.
constexpr char kMalformed[] = "\x0b";

absl::Time Deadline() { return absl::Now() + absl::Seconds(20); }

// Sends requests as they are: unary ones as bytes through a generic stub,
// streams through the generated stubs (which send invalid UTF-8 as it is,
// after logging it).
class WireClient {
 public:
  explicit WireClient(const std::string& address)
      : channel_(client::CreateChannel({.server = address})),
        generic_(channel_),
        publisher_(v1::Publisher::NewStub(channel_)),
        subscriber_(v1::Subscriber::NewStub(channel_)) {}

  // `method` like "Admin/CreateExchange".
  grpc::Status Unary(const std::string& method, const std::string& bytes) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(Deadline()));
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::Status status;
    absl::Notification done;
    generic_.UnaryCall(&context, absl::StrCat("/evrouter.v1.", method),
                       grpc::StubOptions(), &request, &response,
                       [&](grpc::Status s) {
                         status = std::move(s);
                         done.Notify();
                       });
    done.WaitForNotification();
    return status;
  }
  grpc::Status Unary(const std::string& method,
                     const google::protobuf::Message& request) {
    return Unary(method, request.SerializePartialAsString());
  }

  // One batch on a new PublishStream: the error its ack carries (OK when it
  // was stored). `batch_id` gets the id the ack echoed.
  grpc::Status PublishBatch(const v1::PublishStreamRequest& batch,
                            uint64_t* batch_id = nullptr) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(Deadline()));
    auto stream = publisher_->PublishStream(&context);
    stream->Write(batch);
    stream->WritesDone();
    v1::PublishStreamResponse ack;
    int acks = 0;
    grpc::Status refused;
    while (stream->Read(&ack)) {
      ++acks;
      if (batch_id != nullptr) *batch_id = ack.batch_id();
      refused = grpc::Status(static_cast<grpc::StatusCode>(ack.error_code()),
                             ack.error_message());
    }
    grpc::Status end = stream->Finish();
    if (!end.ok()) return end;
    if (acks != 1) {
      return grpc::Status(grpc::StatusCode::DATA_LOSS,
                          absl::StrCat(acks, " acks for one batch"));
    }
    return refused;
  }

  // A Subscribe stream that sends `requests`, each after the first only once
  // a response arrived (so an ack follows a delivery), then reads until the
  // server ends the stream; its final status.
  grpc::Status Subscribe(const std::vector<v1::SubscribeRequest>& requests) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(Deadline()));
    auto stream = subscriber_->Subscribe(&context);
    v1::SubscribeResponse response;
    for (size_t i = 0; i < requests.size(); ++i) {
      if (i > 0 && !stream->Read(&response)) break;
      if (!stream->Write(requests[i])) break;
    }
    while (stream->Read(&response)) {
    }
    return stream->Finish();
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  grpc::GenericStub generic_;
  std::unique_ptr<v1::Publisher::Stub> publisher_;
  std::unique_ptr<v1::Subscriber::Stub> subscriber_;
};

// The message names `field`: it starts with it, followed by its problem or
// a map key / index, not by a longer field name.
::testing::AssertionResult NamesField(const std::string& message,
                                      const std::string& field) {
  if (!absl::StartsWith(message, field)) {
    return ::testing::AssertionFailure()
           << "\"" << message << "\" does not start with " << field;
  }
  absl::string_view rest = absl::string_view(message).substr(field.size());
  if (!absl::StartsWith(rest, ":") && !absl::StartsWith(rest, "[")) {
    return ::testing::AssertionFailure()
           << "\"" << message << "\" names a longer field than " << field;
  }
  return ::testing::AssertionSuccess();
}

class BadInputE2ETest : public E2ETest {
 protected:
  void SetUp() override {
    // Small limits keep the requests small; the rules are the same.
    StartServer({"--max-payload-bytes", "1024", "--max-headers", "4",
                 "--max-header-bytes", "256", "--max-batch-events", "50"});
    ASSERT_TRUE(
        client().CreateExchange("orders", v1::EXCHANGE_KIND_TOPIC).ok());
    ASSERT_TRUE(client().Publish("orders", MakeEvents(2)).ok());
  }

  // Everything stored, in one line: events, exchanges, queues (bindings,
  // limit, start) and committed offsets.
  std::string StoredState() {
    return QueryValue(
        "SELECT (SELECT count(*) FROM events) || ' | ' || "
        "coalesce((SELECT string_agg(name || ':' || kind, ',' ORDER BY name) "
        "FROM exchanges), '') || ' | ' || "
        "coalesce((SELECT string_agg(name || ':' || array_to_string(bindings, "
        "' ') || ':' || limit_size || ':' || start_offset, ',' ORDER BY name) "
        "FROM queues), '') || ' | ' || "
        "coalesce((SELECT string_agg(name || ':' || committed_offset, ',' "
        "ORDER BY name) FROM consumers), '')");
  }
};

// ------------------------------------------------------------ publish rules

struct BadPublish {
  const char* name;
  std::string exchange;
  std::function<void(std::vector<v1::Event>&)>
      spoil;  // applied to 3 good events
  absl::StatusCode code;
  std::string field;  // the message starts with it
};

TEST_F(BadInputE2ETest, EveryPublishRuleNamesTheFieldAndStoresNothing) {
  auto last = [](std::vector<v1::Event>& events) -> v1::Event& {
    return events.back();
  };
  auto header = [&](std::string key, std::string value) {
    return [&, key, value](std::vector<v1::Event>& events) {
      (*last(events).mutable_headers())[key] = value;
    };
  };
  const std::string long_type(256, 't');
  const std::vector<BadPublish> cases = {
      // exchange
      {"unknown exchange", "nope", [](auto&) {}, absl::StatusCode::kNotFound,
       "exchange"},
      {"empty exchange", "", [](auto&) {}, absl::StatusCode::kInvalidArgument,
       "exchange"},
      {"bad exchange name", "a/b", [](auto&) {},
       absl::StatusCode::kInvalidArgument, "exchange"},
      {"long exchange name", std::string(129, 'x'), [](auto&) {},
       absl::StatusCode::kInvalidArgument, "exchange"},
      {"exchange not UTF-8", kNotUtf8, [](auto&) {},
       absl::StatusCode::kInvalidArgument, "exchange"},
      // counts
      {"no events", "orders", [](auto& events) { events.clear(); },
       absl::StatusCode::kInvalidArgument, "events"},
      {"too many events", "orders",
       [](auto& events) { events = MakeEvents(51); },
       absl::StatusCode::kInvalidArgument, "events"},
      // id
      {"bad id", "orders",
       [&](auto& events) { last(events).set_id("order-17"); },
       absl::StatusCode::kInvalidArgument, "events[2].id"},
      {"nil id", "orders",
       [&](auto& events) {
         last(events).set_id("00000000-0000-0000-0000-000000000000");
       },
       absl::StatusCode::kInvalidArgument, "events[2].id"},
      {"id not UTF-8", "orders",
       [&](auto& events) { last(events).set_id(kNotUtf8); },
       absl::StatusCode::kInvalidArgument, "events[2].id"},
      // type
      {"empty type", "orders", [&](auto& events) { last(events).set_type(""); },
       absl::StatusCode::kInvalidArgument, "events[2].type"},
      {"long type", "orders",
       [&](auto& events) { last(events).set_type(long_type); },
       absl::StatusCode::kInvalidArgument, "events[2].type"},
      {"wildcard type", "orders",
       [&](auto& events) { last(events).set_type("order.*"); },
       absl::StatusCode::kInvalidArgument, "events[2].type"},
      {"type with empty word", "orders",
       [&](auto& events) { last(events).set_type("order..created"); },
       absl::StatusCode::kInvalidArgument, "events[2].type"},
      {"type with control char", "orders",
       [&](auto& events) { last(events).set_type("order\tcreated"); },
       absl::StatusCode::kInvalidArgument, "events[2].type"},
      {"type not UTF-8", "orders",
       [&](auto& events) { last(events).set_type(kNotUtf8); },
       absl::StatusCode::kInvalidArgument, "events[2].type"},
      // source, content_type
      {"control char in source", "orders",
       [&](auto& events) { last(events).set_source("a\nb"); },
       absl::StatusCode::kInvalidArgument, "events[2].source"},
      {"long source", "orders",
       [&](auto& events) { last(events).set_source(std::string(256, 's')); },
       absl::StatusCode::kInvalidArgument, "events[2].source"},
      {"source not UTF-8", "orders",
       [&](auto& events) { last(events).set_source(kNotUtf8); },
       absl::StatusCode::kInvalidArgument, "events[2].source"},
      {"long content_type", "orders",
       [&](auto& events) {
         last(events).set_content_type(std::string(256, 'c'));
       },
       absl::StatusCode::kInvalidArgument, "events[2].content_type"},
      {"content_type not UTF-8", "orders",
       [&](auto& events) { last(events).set_content_type(kNotUtf8); },
       absl::StatusCode::kInvalidArgument, "events[2].content_type"},
      // headers
      {"too many headers", "orders",
       [&](auto& events) {
         for (int i = 0; i < 5; ++i)
           (*last(events).mutable_headers())[absl::StrCat("h", i)] =
               std::string(1, 'v');
       },
       absl::StatusCode::kInvalidArgument, "events[2].headers"},
      {"headers too big", "orders", header("h", std::string(300, 'v')),
       absl::StatusCode::kInvalidArgument, "events[2].headers"},
      {"empty header key", "orders", header("", "v"),
       absl::StatusCode::kInvalidArgument, "events[2].headers[\"\"]"},
      {"control char in header key", "orders", header("a\nb", "v"),
       absl::StatusCode::kInvalidArgument, "events[2].headers[\"a\\nb\"]"},
      {"header key not UTF-8", "orders", header(kNotUtf8, "v"),
       absl::StatusCode::kInvalidArgument, "events[2].headers[\"a\\xff\"]"},
      {"header value not UTF-8", "orders", header("k", kNotUtf8),
       absl::StatusCode::kInvalidArgument, "events[2].headers[\"k\"]"},
      {"NUL in header value", "orders", header("k", std::string("a\0b", 3)),
       absl::StatusCode::kInvalidArgument, "events[2].headers[\"k\"]"},
      // payload
      {"payload over limit", "orders",
       [&](auto& events) { last(events).set_payload(std::string(1025, 'p')); },
       absl::StatusCode::kInvalidArgument, "events[2].payload"},
      // time
      {"time before year 1", "orders",
       [&](auto& events) {
         last(events).mutable_time()->set_seconds(-70000000000);
       },
       absl::StatusCode::kInvalidArgument, "events[2].time"},
      {"time after year 9999", "orders",
       [&](auto& events) {
         last(events).mutable_time()->set_seconds(253402300800);
       },
       absl::StatusCode::kInvalidArgument, "events[2].time"},
      {"time nanos negative", "orders",
       [&](auto& events) { last(events).mutable_time()->set_nanos(-1); },
       absl::StatusCode::kInvalidArgument, "events[2].time"},
      {"time nanos a whole second", "orders",
       [&](auto& events) {
         last(events).mutable_time()->set_nanos(1'000'000'000);
       },
       absl::StatusCode::kInvalidArgument, "events[2].time"},
      // fields the server sets
      {"offset set by publisher", "orders",
       [&](auto& events) { last(events).set_offset(9); },
       absl::StatusCode::kInvalidArgument, "events[2].offset"},
      {"exchange set on event", "orders",
       [&](auto& events) { last(events).set_exchange("other"); },
       absl::StatusCode::kInvalidArgument, "events[2].exchange"},
      {"stored_at set by publisher", "orders",
       [&](auto& events) { last(events).mutable_stored_at()->set_seconds(1); },
       absl::StatusCode::kInvalidArgument, "events[2].stored_at"},
  };
  const std::string before = StoredState();
  for (const BadPublish& bad : cases) {
    SCOPED_TRACE(bad.name);
    std::vector<v1::Event> events = MakeEvents(3);
    bad.spoil(events);
    absl::StatusOr<std::vector<v1::PublishResult>> unary =
        client().Publish(bad.exchange, events);
    EXPECT_EQ(unary.status().code(), bad.code) << unary.status();
    EXPECT_TRUE(NamesField(std::string(unary.status().message()), bad.field));

    std::unique_ptr<client::PublishStream> stream =
        client().OpenPublishStream();
    ASSERT_TRUE(stream->Send(bad.exchange, events).ok());
    absl::StatusOr<std::vector<v1::PublishStreamResponse>> acks =
        stream->Close();
    ASSERT_TRUE(acks.ok()) << acks.status();
    ASSERT_EQ(acks->size(), 1u);
    EXPECT_EQ((*acks)[0].error_code(), static_cast<int>(bad.code));
    EXPECT_TRUE(NamesField((*acks)[0].error_message(), bad.field));
    EXPECT_TRUE((*acks)[0].results().empty());
  }
  EXPECT_EQ(StoredState(), before);
  EXPECT_EQ(StoredCount("orders"), "2");
  EXPECT_EQ(client().GetExchange("orders")->head_offset(), 2u);
  // The server is still fine afterwards.
  auto good = client().Publish("orders", MakeEvents(1));
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ((*good)[0].offset(), 3u);
  // Refused requests do not reach the log at the default level (protobuf's
  // own complaint about each one goes to debug), so a client cannot flood
  // it.
  EXPECT_EQ(server_->Log().find("invalid UTF-8"), std::string::npos)
      << server_->Log();
}

// ------------------------------------------------------------ every RPC

struct BadRequest {
  const char* name;
  std::function<grpc::Status(WireClient&)> call;
  grpc::StatusCode code;
  std::string field;  // the message starts with it
};

template <typename Request>
std::function<grpc::Status(WireClient&)> Unary(
    const std::string& method, std::function<void(Request&)> fill) {
  return [method, fill](WireClient& wire) {
    Request request;
    fill(request);
    return wire.Unary(method, request);
  };
}

std::function<grpc::Status(WireClient&)> UnaryBytes(const std::string& method,
                                                    const std::string& bytes) {
  return
      [method, bytes](WireClient& wire) { return wire.Unary(method, bytes); };
}

v1::SubscribeRequest Start(std::function<void(v1::SubscribeStart&)> fill) {
  v1::SubscribeRequest request;
  v1::SubscribeStart* start = request.mutable_start();
  start->set_queue("q");
  start->set_consumer("c");
  fill(*start);
  return request;
}

v1::SubscribeRequest AckOf(uint64_t offset) {
  v1::SubscribeRequest request;
  request.mutable_ack()->set_offset(offset);
  return request;
}

std::function<grpc::Status(WireClient&)> Subscribe(
    std::vector<v1::SubscribeRequest> requests) {
  return [requests](WireClient& wire) { return wire.Subscribe(requests); };
}

std::function<grpc::Status(WireClient&)> PublishBatch(
    std::function<void(v1::PublishStreamRequest&)> fill) {
  return [fill](WireClient& wire) {
    v1::PublishStreamRequest batch;
    batch.set_exchange("orders");
    *batch.add_events() = MakeEvent("t.e");
    fill(batch);
    return wire.PublishBatch(batch);
  };
}

TEST_F(BadInputE2ETest, EveryRpcRejectsBadInputNamingTheFieldAndStoresNothing) {
  using Code = grpc::StatusCode;
  constexpr Code kInvalid = Code::INVALID_ARGUMENT;
  ASSERT_TRUE(client().CreateExchange("all", v1::EXCHANGE_KIND_FANOUT).ok());
  ASSERT_TRUE(client().CreateQueue("q", "orders", {"#"}, 0, true).ok());
  ASSERT_TRUE(client().Publish("orders", MakeEvents(3)).ok());  // head 5
  ASSERT_TRUE(client().CreateConsumer("q", "c").ok());
  ASSERT_TRUE(client().Ack("q", "c", 2).ok());

  const std::string long_name(129, 'n');
  const std::vector<BadRequest> cases = {
      // ---- Publisher.Publish (the rules one by one are in the test above)
      {"Publish: malformed", UnaryBytes("Publisher/Publish", kMalformed),
       kInvalid, "request"},
      {"Publish: header key not UTF-8",
       Unary<v1::PublishRequest>("Publisher/Publish",
                                 [](v1::PublishRequest& r) {
                                   r.set_exchange("orders");
                                   v1::Event* e = r.add_events();
                                   e->set_type("t.e");
                                   (*e->mutable_headers())[kNotUtf8] = "v";
                                 }),
       kInvalid, "events[0].headers[\"a\\xff\"]"},
      // ---- Publisher.PublishStream: one batch, its ack carries the error
      {"PublishStream: type not UTF-8",
       PublishBatch([](auto& b) { b.mutable_events(0)->set_type(kNotUtf8); }),
       kInvalid, "events[0].type"},
      {"PublishStream: exchange name",
       PublishBatch([](auto& b) { b.set_exchange("a b"); }), kInvalid,
       "exchange"},
      {"PublishStream: time nanos", PublishBatch([](auto& b) {
         b.mutable_events(0)->mutable_time()->set_nanos(-5);
       }),
       kInvalid, "events[0].time"},
      // ---- Admin: exchanges
      {"CreateExchange: empty name",
       Unary<v1::CreateExchangeRequest>(
           "Admin/CreateExchange",
           [](auto& r) { r.set_kind(v1::EXCHANGE_KIND_FANOUT); }),
       kInvalid, "name"},
      {"CreateExchange: long name",
       Unary<v1::CreateExchangeRequest>("Admin/CreateExchange",
                                        [&](auto& r) {
                                          r.set_name(long_name);
                                          r.set_kind(v1::EXCHANGE_KIND_FANOUT);
                                        }),
       kInvalid, "name"},
      {"CreateExchange: name charset",
       Unary<v1::CreateExchangeRequest>("Admin/CreateExchange",
                                        [](auto& r) {
                                          r.set_name("caf\xc3\xa9");
                                          r.set_kind(v1::EXCHANGE_KIND_FANOUT);
                                        }),
       kInvalid, "name"},
      {"CreateExchange: name not UTF-8",
       Unary<v1::CreateExchangeRequest>("Admin/CreateExchange",
                                        [](auto& r) {
                                          r.set_name(kNotUtf8);
                                          r.set_kind(v1::EXCHANGE_KIND_FANOUT);
                                        }),
       kInvalid, "name"},
      {"CreateExchange: kind unspecified",
       Unary<v1::CreateExchangeRequest>("Admin/CreateExchange",
                                        [](auto& r) { r.set_name("x"); }),
       kInvalid, "kind"},
      {"CreateExchange: kind 99",
       Unary<v1::CreateExchangeRequest>(
           "Admin/CreateExchange",
           [](auto& r) {
             r.set_name("x");
             r.set_kind(static_cast<v1::ExchangeKind>(99));
           }),
       kInvalid, "kind"},
      {"CreateExchange: malformed",
       UnaryBytes("Admin/CreateExchange", kMalformed), kInvalid, "request"},
      {"GetExchange: bad name",
       Unary<v1::GetExchangeRequest>("Admin/GetExchange",
                                     [](auto& r) { r.set_name("a/b"); }),
       kInvalid, "name"},
      {"GetExchange: unknown",
       Unary<v1::GetExchangeRequest>("Admin/GetExchange",
                                     [](auto& r) { r.set_name("nope"); }),
       Code::NOT_FOUND, "name"},
      {"ListExchanges: malformed",
       UnaryBytes("Admin/ListExchanges", kMalformed), kInvalid, "request"},
      {"DeleteExchange: empty name",
       Unary<v1::DeleteExchangeRequest>("Admin/DeleteExchange", [](auto&) {}),
       kInvalid, "name"},
      {"DeleteExchange: name not UTF-8",
       Unary<v1::DeleteExchangeRequest>("Admin/DeleteExchange",
                                        [](auto& r) { r.set_name(kNotUtf8); }),
       kInvalid, "name"},
      {"DeleteExchange: unknown",
       Unary<v1::DeleteExchangeRequest>("Admin/DeleteExchange",
                                        [](auto& r) { r.set_name("nope"); }),
       Code::NOT_FOUND, "name"},
      // ---- Admin: queues
      {"CreateQueue: bad name",
       Unary<v1::CreateQueueRequest>("Admin/CreateQueue",
                                     [](auto& r) {
                                       r.set_name("q 2");
                                       r.set_exchange("all");
                                     }),
       kInvalid, "name"},
      {"CreateQueue: bad exchange",
       Unary<v1::CreateQueueRequest>("Admin/CreateQueue",
                                     [](auto& r) { r.set_name("q2"); }),
       kInvalid, "exchange"},
      {"CreateQueue: unknown exchange",
       Unary<v1::CreateQueueRequest>("Admin/CreateQueue",
                                     [](auto& r) {
                                       r.set_name("q2");
                                       r.set_exchange("nope");
                                     }),
       Code::NOT_FOUND, "exchange"},
      {"CreateQueue: topic without bindings",
       Unary<v1::CreateQueueRequest>("Admin/CreateQueue",
                                     [](auto& r) {
                                       r.set_name("q2");
                                       r.set_exchange("orders");
                                     }),
       kInvalid, "bindings"},
      {"CreateQueue: 65 bindings",
       Unary<v1::CreateQueueRequest>("Admin/CreateQueue",
                                     [](auto& r) {
                                       r.set_name("q2");
                                       r.set_exchange("orders");
                                       for (int i = 0; i < 65; ++i)
                                         r.add_bindings(absl::StrCat("k", i));
                                     }),
       kInvalid, "bindings"},
      {"CreateQueue: fanout with a binding",
       Unary<v1::CreateQueueRequest>("Admin/CreateQueue",
                                     [](auto& r) {
                                       r.set_name("q2");
                                       r.set_exchange("all");
                                       r.add_bindings("a");
                                     }),
       kInvalid, "bindings[0]"},
      {"CreateQueue: binding too long",
       Unary<v1::CreateQueueRequest>("Admin/CreateQueue",
                                     [](auto& r) {
                                       r.set_name("q2");
                                       r.set_exchange("orders");
                                       r.add_bindings(std::string(256, 'b'));
                                     }),
       kInvalid, "bindings[0]"},
      {"CreateQueue: binding wildcard inside a word",
       Unary<v1::CreateQueueRequest>("Admin/CreateQueue",
                                     [](auto& r) {
                                       r.set_name("q2");
                                       r.set_exchange("orders");
                                       r.add_bindings("a.b");
                                       r.add_bindings("a.b*");
                                     }),
       kInvalid, "bindings[1]"},
      {"CreateQueue: binding not UTF-8",
       Unary<v1::CreateQueueRequest>("Admin/CreateQueue",
                                     [](auto& r) {
                                       r.set_name("q2");
                                       r.set_exchange("orders");
                                       r.add_bindings("a.b");
                                       r.add_bindings(kNotUtf8);
                                     }),
       kInvalid, "bindings[1]"},
      {"CreateQueue: limit_size above the limit",
       Unary<v1::CreateQueueRequest>("Admin/CreateQueue",
                                     [](auto& r) {
                                       r.set_name("q2");
                                       r.set_exchange("all");
                                       r.set_limit_size(1'000'001);
                                     }),
       kInvalid, "limit_size"},
      {"GetQueue: long name",
       Unary<v1::GetQueueRequest>("Admin/GetQueue",
                                  [&](auto& r) { r.set_name(long_name); }),
       kInvalid, "name"},
      {"GetQueue: unknown",
       Unary<v1::GetQueueRequest>("Admin/GetQueue",
                                  [](auto& r) { r.set_name("nope"); }),
       Code::NOT_FOUND, "name"},
      {"ListQueues: bad exchange",
       Unary<v1::ListQueuesRequest>("Admin/ListQueues",
                                    [](auto& r) { r.set_exchange("a:b"); }),
       kInvalid, "exchange"},
      {"ListQueues: exchange not UTF-8",
       Unary<v1::ListQueuesRequest>("Admin/ListQueues",
                                    [](auto& r) { r.set_exchange(kNotUtf8); }),
       kInvalid, "exchange"},
      {"ListQueues: unknown exchange",
       Unary<v1::ListQueuesRequest>("Admin/ListQueues",
                                    [](auto& r) { r.set_exchange("nope"); }),
       Code::NOT_FOUND, "exchange"},
      {"DeleteQueue: bad name",
       Unary<v1::DeleteQueueRequest>("Admin/DeleteQueue",
                                     [](auto& r) { r.set_name("*"); }),
       kInvalid, "name"},
      {"DeleteQueue: unknown",
       Unary<v1::DeleteQueueRequest>("Admin/DeleteQueue",
                                     [](auto& r) { r.set_name("nope"); }),
       Code::NOT_FOUND, "name"},
      // ---- Admin: consumers
      {"CreateConsumer: bad queue",
       Unary<v1::CreateConsumerRequest>("Admin/CreateConsumer",
                                        [](auto& r) { r.set_name("c2"); }),
       kInvalid, "queue"},
      {"CreateConsumer: unknown queue",
       Unary<v1::CreateConsumerRequest>("Admin/CreateConsumer",
                                        [](auto& r) {
                                          r.set_queue("nope");
                                          r.set_name("c2");
                                        }),
       Code::NOT_FOUND, "queue"},
      {"CreateConsumer: bad name",
       Unary<v1::CreateConsumerRequest>("Admin/CreateConsumer",
                                        [](auto& r) {
                                          r.set_queue("q");
                                          r.set_name("c 2");
                                        }),
       kInvalid, "name"},
      {"CreateConsumer: name not UTF-8",
       Unary<v1::CreateConsumerRequest>("Admin/CreateConsumer",
                                        [](auto& r) {
                                          r.set_queue("q");
                                          r.set_name(kNotUtf8);
                                        }),
       kInvalid, "name"},
      {"ListConsumers: bad queue",
       Unary<v1::ListConsumersRequest>("Admin/ListConsumers",
                                       [](auto& r) { r.set_queue("q/1"); }),
       kInvalid, "queue"},
      {"ListConsumers: unknown queue",
       Unary<v1::ListConsumersRequest>("Admin/ListConsumers",
                                       [](auto& r) { r.set_queue("nope"); }),
       Code::NOT_FOUND, "queue"},
      {"SeekConsumer: bad queue",
       Unary<v1::SeekConsumerRequest>("Admin/SeekConsumer",
                                      [](auto& r) {
                                        r.set_name("c");
                                        r.set_offset(1);
                                      }),
       kInvalid, "queue"},
      {"SeekConsumer: bad name",
       Unary<v1::SeekConsumerRequest>("Admin/SeekConsumer",
                                      [&](auto& r) {
                                        r.set_queue("q");
                                        r.set_name(long_name);
                                        r.set_offset(1);
                                      }),
       kInvalid, "name"},
      {"SeekConsumer: unknown consumer",
       Unary<v1::SeekConsumerRequest>("Admin/SeekConsumer",
                                      [](auto& r) {
                                        r.set_queue("q");
                                        r.set_name("nobody");
                                        r.set_offset(1);
                                      }),
       Code::NOT_FOUND, "name"},
      {"SeekConsumer: no target",
       Unary<v1::SeekConsumerRequest>("Admin/SeekConsumer",
                                      [](auto& r) {
                                        r.set_queue("q");
                                        r.set_name("c");
                                      }),
       kInvalid, "target"},
      {"SeekConsumer: offset 0",
       Unary<v1::SeekConsumerRequest>("Admin/SeekConsumer",
                                      [](auto& r) {
                                        r.set_queue("q");
                                        r.set_name("c");
                                        r.set_offset(0);
                                      }),
       kInvalid, "offset"},
      {"SeekConsumer: offset beyond head + 1",
       Unary<v1::SeekConsumerRequest>("Admin/SeekConsumer",
                                      [](auto& r) {
                                        r.set_queue("q");
                                        r.set_name("c");
                                        r.set_offset(7);
                                      }),
       Code::OUT_OF_RANGE, "offset"},
      {"SeekConsumer: time nanos",
       Unary<v1::SeekConsumerRequest>("Admin/SeekConsumer",
                                      [](auto& r) {
                                        r.set_queue("q");
                                        r.set_name("c");
                                        r.mutable_time()->set_nanos(-1);
                                      }),
       kInvalid, "time"},
      {"SeekConsumer: time after year 9999",
       Unary<v1::SeekConsumerRequest>("Admin/SeekConsumer",
                                      [](auto& r) {
                                        r.set_queue("q");
                                        r.set_name("c");
                                        r.mutable_time()->set_seconds(
                                            253402300800);
                                      }),
       kInvalid, "time"},
      {"DeleteConsumer: bad name",
       Unary<v1::DeleteConsumerRequest>("Admin/DeleteConsumer",
                                        [](auto& r) { r.set_queue("q"); }),
       kInvalid, "name"},
      {"DeleteConsumer: unknown",
       Unary<v1::DeleteConsumerRequest>("Admin/DeleteConsumer",
                                        [](auto& r) {
                                          r.set_queue("q");
                                          r.set_name("nobody");
                                        }),
       Code::NOT_FOUND, "name"},
      {"GetStats: malformed", UnaryBytes("Admin/GetStats", kMalformed),
       kInvalid, "request"},
      // ---- Subscriber.Subscribe: start
      {"Subscribe: bad queue",
       Subscribe({Start([](auto& s) { s.set_queue(""); })}), kInvalid,
       "start.queue"},
      {"Subscribe: queue not UTF-8",
       Subscribe({Start([](auto& s) { s.set_queue(kNotUtf8); })}), kInvalid,
       "start.queue"},
      {"Subscribe: unknown queue",
       Subscribe({Start([](auto& s) { s.set_queue("nope"); })}),
       Code::NOT_FOUND, "start.queue"},
      {"Subscribe: bad consumer",
       Subscribe({Start([&](auto& s) { s.set_consumer(long_name); })}),
       kInvalid, "start.consumer"},
      {"Subscribe: consumer not UTF-8",
       Subscribe({Start([](auto& s) { s.set_consumer(kNotUtf8); })}), kInvalid,
       "start.consumer"},
      {"Subscribe: position 99", Subscribe({Start([](auto& s) {
         s.set_position(static_cast<v1::StartPosition>(99));
       })}),
       kInvalid, "start.position"},
      {"Subscribe: offset 0", Subscribe({Start([](auto& s) {
         s.set_position(v1::START_POSITION_OFFSET);
       })}),
       kInvalid, "start.offset"},
      {"Subscribe: offset beyond head + 1", Subscribe({Start([](auto& s) {
         s.set_position(v1::START_POSITION_OFFSET);
         s.set_offset(7);
       })}),
       Code::OUT_OF_RANGE, "start.offset"},
      {"Subscribe: offset without START_POSITION_OFFSET",
       Subscribe({Start([](auto& s) { s.set_offset(3); })}), kInvalid,
       "start.offset"},
      {"Subscribe: time without START_POSITION_TIME",
       Subscribe({Start([](auto& s) {
         s.set_position(v1::START_POSITION_EARLIEST);
         s.mutable_time()->set_seconds(1);
       })}),
       kInvalid, "start.time"},
      {"Subscribe: START_POSITION_TIME without time",
       Subscribe(
           {Start([](auto& s) { s.set_position(v1::START_POSITION_TIME); })}),
       kInvalid, "start.time"},
      {"Subscribe: time nanos", Subscribe({Start([](auto& s) {
         s.set_position(v1::START_POSITION_TIME);
         s.mutable_time()->set_nanos(1'000'000'000);
       })}),
       kInvalid, "start.time"},
      {"Subscribe: time before year 1", Subscribe({Start([](auto& s) {
         s.set_position(v1::START_POSITION_TIME);
         s.mutable_time()->set_seconds(-62135596801);
       })}),
       kInvalid, "start.time"},
      {"Subscribe: max_in_flight above the limit",
       Subscribe({Start([](auto& s) { s.set_max_in_flight(100'001); })}),
       kInvalid, "start.max_in_flight"},
      // ---- Subscriber.Subscribe: the request sequence and acks
      {"Subscribe: neither start nor ack", Subscribe({v1::SubscribeRequest()}),
       kInvalid, "request"},
      {"Subscribe: ack first", Subscribe({AckOf(3)}), kInvalid, "request"},
      {"Subscribe: a second start",
       Subscribe({Start([](auto&) {}), Start([](auto&) {})}), kInvalid,
       "start"},
      {"Subscribe: ack beyond what was delivered",
       Subscribe({Start([](auto&) {}), AckOf(6)}), kInvalid, "ack.offset"},
      // ---- Subscriber.Fetch
      {"Fetch: bad queue",
       Unary<v1::FetchRequest>("Subscriber/Fetch",
                               [](auto& r) { r.set_consumer("c"); }),
       kInvalid, "queue"},
      {"Fetch: unknown queue",
       Unary<v1::FetchRequest>("Subscriber/Fetch",
                               [](auto& r) {
                                 r.set_queue("nope");
                                 r.set_consumer("c");
                               }),
       Code::NOT_FOUND, "queue"},
      {"Fetch: consumer not UTF-8",
       Unary<v1::FetchRequest>("Subscriber/Fetch",
                               [](auto& r) {
                                 r.set_queue("q");
                                 r.set_consumer(kNotUtf8);
                               }),
       kInvalid, "consumer"},
      {"Fetch: max_events above the limit",
       Unary<v1::FetchRequest>("Subscriber/Fetch",
                               [](auto& r) {
                                 r.set_queue("q");
                                 r.set_consumer("c");
                                 r.set_max_events(10'001);
                               }),
       kInvalid, "max_events"},
      {"Fetch: negative wait",
       Unary<v1::FetchRequest>("Subscriber/Fetch",
                               [](auto& r) {
                                 r.set_queue("q");
                                 r.set_consumer("c");
                                 r.mutable_wait()->set_seconds(-1);
                               }),
       kInvalid, "wait"},
      {"Fetch: wait nanos out of range",
       Unary<v1::FetchRequest>("Subscriber/Fetch",
                               [](auto& r) {
                                 r.set_queue("q");
                                 r.set_consumer("c");
                                 r.mutable_wait()->set_nanos(1'000'000'000);
                               }),
       kInvalid, "wait"},
      {"Fetch: wait above 60 s",
       Unary<v1::FetchRequest>("Subscriber/Fetch",
                               [](auto& r) {
                                 r.set_queue("q");
                                 r.set_consumer("c");
                                 r.mutable_wait()->set_seconds(61);
                               }),
       kInvalid, "wait"},
      {"Fetch: huge wait",
       Unary<v1::FetchRequest>("Subscriber/Fetch",
                               [](auto& r) {
                                 r.set_queue("q");
                                 r.set_consumer("c");
                                 r.mutable_wait()->set_seconds(
                                     std::numeric_limits<int64_t>::max());
                               }),
       kInvalid, "wait"},
      {"Fetch: malformed", UnaryBytes("Subscriber/Fetch", kMalformed), kInvalid,
       "request"},
      // ---- Subscriber.Ack
      {"Ack: bad consumer",
       Unary<v1::AckRequest>("Subscriber/Ack",
                             [](auto& r) {
                               r.set_queue("q");
                               r.set_consumer("c#");
                               r.set_offset(3);
                             }),
       kInvalid, "consumer"},
      {"Ack: queue not UTF-8",
       Unary<v1::AckRequest>("Subscriber/Ack",
                             [](auto& r) {
                               r.set_queue(kNotUtf8);
                               r.set_consumer("c");
                               r.set_offset(3);
                             }),
       kInvalid, "queue"},
      {"Ack: unknown consumer",
       Unary<v1::AckRequest>("Subscriber/Ack",
                             [](auto& r) {
                               r.set_queue("q");
                               r.set_consumer("nobody");
                               r.set_offset(3);
                             }),
       Code::NOT_FOUND, "consumer"},
      {"Ack: offset 0",
       Unary<v1::AckRequest>("Subscriber/Ack",
                             [](auto& r) {
                               r.set_queue("q");
                               r.set_consumer("c");
                             }),
       kInvalid, "offset"},
      {"Ack: offset beyond head",
       Unary<v1::AckRequest>("Subscriber/Ack",
                             [](auto& r) {
                               r.set_queue("q");
                               r.set_consumer("c");
                               r.set_offset(6);
                             }),
       Code::OUT_OF_RANGE, "offset"},
  };

  const std::string before = StoredState();
  ASSERT_EQ(before, "5 | all:1,orders:3 | q:#:10000:0 | c:2");
  WireClient wire(server_->address());
  for (const BadRequest& bad : cases) {
    SCOPED_TRACE(bad.name);
    grpc::Status status = bad.call(wire);
    EXPECT_EQ(status.error_code(), bad.code) << status.error_message();
    EXPECT_TRUE(NamesField(status.error_message(), bad.field));
  }
  // Nothing stored, nothing moved, in Postgres and in memory.
  EXPECT_EQ(StoredState(), before);
  EXPECT_EQ(client().GetExchange("orders")->head_offset(), 5u);
  absl::StatusOr<std::vector<v1::Consumer>> consumers =
      client().ListConsumers("q");
  ASSERT_TRUE(consumers.ok()) << consumers.status();
  ASSERT_EQ(consumers->size(), 1u);
  EXPECT_EQ((*consumers)[0].committed_offset(), 2u);
  EXPECT_EQ((*consumers)[0].state(), v1::CONSUMER_STATE_SLEEPING);
  absl::StatusOr<std::vector<v1::Exchange>> exchanges =
      client().ListExchanges();
  ASSERT_TRUE(exchanges.ok()) << exchanges.status();
  EXPECT_EQ(exchanges->size(), 2u);
}

TEST_F(BadInputE2ETest,
       UnparseableStreamBatchIsAckedWithItsErrorAndTheStreamGoesOn) {
  // What protobuf refuses used to end the stream as if the client had
  // half-closed: later batches were neither read nor acked.
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(Deadline()));
  std::unique_ptr<v1::Publisher::Stub> stub = v1::Publisher::NewStub(
      client::CreateChannel({.server = server_->address()}));
  auto stream = stub->PublishStream(&context);
  for (uint64_t batch_id : {11, 12, 13}) {
    v1::PublishStreamRequest batch;
    batch.set_batch_id(batch_id);
    batch.set_exchange("orders");
    *batch.add_events() = MakeEvent(batch_id == 12 ? kNotUtf8 : "t.e");
    ASSERT_TRUE(stream->Write(batch));
  }
  stream->WritesDone();
  std::vector<v1::PublishStreamResponse> acks;
  v1::PublishStreamResponse ack;
  while (stream->Read(&ack)) acks.push_back(ack);
  grpc::Status end = stream->Finish();
  ASSERT_TRUE(end.ok()) << end.error_message();
  ASSERT_EQ(acks.size(), 3u);
  EXPECT_EQ(acks[0].batch_id(), 11u);
  EXPECT_EQ(acks[0].results(0).offset(), 3u);
  EXPECT_EQ(acks[1].batch_id(), 12u);
  EXPECT_EQ(acks[1].error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(acks[1].error_message(), "events[0].type: not valid UTF-8");
  EXPECT_TRUE(acks[1].results().empty());
  EXPECT_EQ(acks[2].batch_id(), 13u);
  EXPECT_EQ(acks[2].results(0).offset(), 4u);
  EXPECT_EQ(StoredCount("orders"), "4");
}

TEST_F(BadInputE2ETest, OversizedMessageIsRejectedByTransport) {
  // Far over the payload limit and gRPC's own message limit: refused, not
  // stored.
  auto huge = client().Publish("orders",
                               {MakeEvent("big", std::string(70 << 20, 'x'))});
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kResourceExhausted)
      << huge.status();
  EXPECT_EQ(StoredCount("orders"), "2");
}

}  // namespace
}  // namespace evrouter::testing
