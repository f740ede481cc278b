// Authentication and permissions on the real evrouterd: the permission matrix
// (callers x RPCs x names), revocation ending open streams, token hashes in
// the database, failed authentications counted and logged, the first-start
// admin, and --no-auth.

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <functional>
#include <iostream>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "client/evrouter_client.h"
#include "client/subscription.h"
#include "tests/e2e/e2e_fixture.h"

namespace evrouter::testing {
namespace {

using absl::StatusCode;

// The columns of the matrix: who calls.
enum Caller { kAnonymous, kBadToken, kNobody, kPublisher, kSubscriber, kAdmin };
constexpr int kCallers = 6;
const char* const kCallerNames[kCallers] = {"anonymous", "bad-token",  "nobody",
                                            "publisher", "subscriber", "admin"};

constexpr StatusCode kOk = StatusCode::kOk;
constexpr StatusCode kUnauth = StatusCode::kUnauthenticated;
constexpr StatusCode kDenied = StatusCode::kPermissionDenied;
constexpr StatusCode kNotFound = StatusCode::kNotFound;

v1::Permission MakePermission(v1::PermissionAction action,
                              std::string pattern = "") {
  v1::Permission permission;
  permission.set_action(action);
  permission.set_pattern(std::move(pattern));
  return permission;
}

// The status of one subscription's first answer (an event batch or
// caught_up), then cancels it. Without `consumer`, a new consumer each time
// (a cancelled stream detaches in the background).
absl::Status FirstAnswer(client::Client& client, const std::string& queue,
                         std::string consumer = "") {
  static std::atomic<int> next_consumer{0};
  if (consumer.empty()) consumer = absl::StrCat("m", next_consumer++);
  v1::SubscribeStart start;
  start.set_queue(queue);
  start.set_consumer(consumer);
  std::unique_ptr<client::Subscription> subscription = client.Subscribe(start);
  absl::StatusOr<v1::SubscribeResponse> first = subscription->Next();
  subscription->Cancel();
  return first.status();
}

// One batch on a publish stream: the stream's error, or the ack's.
absl::Status PublishOnStream(client::Client& client,
                             const std::string& exchange) {
  std::unique_ptr<client::PublishStream> stream = client.OpenPublishStream();
  absl::StatusOr<uint64_t> sent =
      stream->Send(exchange, {MakeEvent("orders.created")});
  if (!sent.ok()) return stream->NextAck().status();
  absl::StatusOr<v1::PublishStreamResponse> ack = stream->NextAck();
  if (!ack.ok()) return ack.status();
  stream->Close().IgnoreError();
  if (ack->error_code() != 0) {
    return absl::Status(static_cast<absl::StatusCode>(ack->error_code()),
                        ack->error_message());
  }
  return absl::OkStatus();
}

class AuthE2ETest : public E2ETest {
 protected:
  void SetUp() override {
    E2ETest::SetUp();
    client::Client& admin = client();
    ASSERT_TRUE(
        admin.CreateExchange("orders.eu", v1::EXCHANGE_KIND_TOPIC).ok());
    ASSERT_TRUE(admin.CreateExchange("billing", v1::EXCHANGE_KIND_FANOUT).ok());
    ASSERT_TRUE(admin.CreateQueue("orders.audit", "orders.eu", {"#"}).ok());
    ASSERT_TRUE(admin.CreateQueue("billing.all", "billing", {}).ok());
    ASSERT_TRUE(admin.CreateConsumer("orders.audit", "c1").ok());
    ASSERT_TRUE(admin.CreateConsumer("billing.all", "c1").ok());
    ASSERT_TRUE(admin.Publish("orders.eu", {MakeEvent("orders.created")}).ok());
    tokens_[kAnonymous] = "";
    tokens_[kBadToken] =
        "evr_000000000000_not-a-real-token-at-all-0000000000000";
    tokens_[kNobody] = NewUser("nobody", {});
    tokens_[kPublisher] =
        NewUser("publisher",
                {MakePermission(v1::PERMISSION_ACTION_PUBLISH, "orders.*")});
    tokens_[kSubscriber] =
        NewUser("subscriber",
                {MakePermission(v1::PERMISSION_ACTION_SUBSCRIBE, "orders.#")});
    tokens_[kAdmin] =
        NewUser("operator", {MakePermission(v1::PERMISSION_ACTION_ADMIN)});
    for (int c = 0; c < kCallers; ++c) clients_[c] = ClientWith(tokens_[c]);
  }

  // Creates a user with `permissions` and returns a new token of it.
  std::string NewUser(const std::string& name,
                      const std::vector<v1::Permission>& permissions) {
    EXPECT_TRUE(client().CreateUser(name, permissions).ok());
    absl::StatusOr<v1::IssueTokenResponse> issued =
        client().IssueToken(name, "e2e");
    EXPECT_TRUE(issued.ok()) << issued.status();
    return issued.ok() ? issued->token() : "";
  }

  std::unique_ptr<client::Client> ClientWith(const std::string& token) {
    client::ClientOptions options = client().options();
    options.token = token;
    options.stream_timeout = absl::Minutes(1);
    return std::make_unique<client::Client>(options);
  }

  std::array<std::string, kCallers> tokens_;
  std::array<std::unique_ptr<client::Client>, kCallers> clients_;
};

struct MatrixRow {
  std::string rpc;  // what the row calls, on which name
  std::function<absl::Status(client::Client&)> call;
  // Expected code per caller: anonymous, bad token, nobody, publisher,
  // subscriber, admin.
  std::array<StatusCode, kCallers> want;
};

// publisher: publish "orders.*"; subscriber: subscribe "orders.#"; admin:
// the admin permission; nobody: none. Names outside a caller's patterns are
// PERMISSION_DENIED whether or not they exist (no hint); inside, a missing
// one is NOT_FOUND.
std::vector<MatrixRow> Matrix() {
  using C = client::Client;
  const auto admin_only =
      std::array{kUnauth, kUnauth, kDenied, kDenied, kDenied, kOk};
  return {
      {"Publish orders.eu",
       [](C& c) { return c.Publish("orders.eu", {MakeEvent("o.c")}).status(); },
       {kUnauth, kUnauth, kDenied, kOk, kDenied, kOk}},
      {"Publish billing",
       [](C& c) { return c.Publish("billing", {MakeEvent("b.c")}).status(); },
       {kUnauth, kUnauth, kDenied, kDenied, kDenied, kOk}},
      {"Publish orders.missing (inside the pattern)",
       [](C& c) {
         return c.Publish("orders.missing", {MakeEvent("o.c")}).status();
       },
       {kUnauth, kUnauth, kDenied, kNotFound, kDenied, kNotFound}},
      {"Publish secret.missing (outside every pattern)",
       [](C& c) {
         return c.Publish("secret.missing", {MakeEvent("o.c")}).status();
       },
       {kUnauth, kUnauth, kDenied, kDenied, kDenied, kNotFound}},
      {"PublishStream batch to orders.eu",
       [](C& c) { return PublishOnStream(c, "orders.eu"); },
       {kUnauth, kUnauth, kDenied, kOk, kDenied, kOk}},
      {"PublishStream batch to billing",
       [](C& c) { return PublishOnStream(c, "billing"); },
       {kUnauth, kUnauth, kDenied, kDenied, kDenied, kOk}},
      {"GetExchange orders.eu",
       [](C& c) { return c.GetExchange("orders.eu").status(); },
       {kUnauth, kUnauth, kDenied, kOk, kDenied, kOk}},
      {"Subscribe orders.audit",
       [](C& c) { return FirstAnswer(c, "orders.audit"); },
       {kUnauth, kUnauth, kDenied, kDenied, kOk, kOk}},
      {"Subscribe billing.all",
       [](C& c) { return FirstAnswer(c, "billing.all"); },
       {kUnauth, kUnauth, kDenied, kDenied, kDenied, kOk}},
      {"Subscribe orders.missing (inside the pattern)",
       [](C& c) { return FirstAnswer(c, "orders.missing"); },
       {kUnauth, kUnauth, kDenied, kDenied, kNotFound, kNotFound}},
      {"Subscribe secret.missing (outside every pattern)",
       [](C& c) { return FirstAnswer(c, "secret.missing"); },
       {kUnauth, kUnauth, kDenied, kDenied, kDenied, kNotFound}},
      {"Fetch orders.audit",
       [](C& c) {
         return c.Fetch("orders.audit", "c1", 10, absl::ZeroDuration())
             .status();
       },
       {kUnauth, kUnauth, kDenied, kDenied, kOk, kOk}},
      {"Ack orders.audit",
       [](C& c) { return c.Ack("orders.audit", "c1", 1).status(); },
       {kUnauth, kUnauth, kDenied, kDenied, kOk, kOk}},
      {"Ack billing.all",
       [](C& c) { return c.Ack("billing.all", "c1", 1).status(); },
       {kUnauth, kUnauth, kDenied, kDenied, kDenied, kOk}},
      {"CreateConsumer orders.audit",
       [](C& c) { return c.CreateConsumer("orders.audit", "c2").status(); },
       {kUnauth, kUnauth, kDenied, kDenied, kOk, kOk}},
      {"SeekConsumer orders.audit",
       [](C& c) { return c.SeekConsumer("orders.audit", "c1", 1).status(); },
       {kUnauth, kUnauth, kDenied, kDenied, kOk, kOk}},
      {"GetQueue orders.audit",
       [](C& c) { return c.GetQueue("orders.audit").status(); },
       {kUnauth, kUnauth, kDenied, kDenied, kOk, kOk}},
      {"GetQueue billing.all",
       [](C& c) { return c.GetQueue("billing.all").status(); },
       {kUnauth, kUnauth, kDenied, kDenied, kDenied, kOk}},
      {"ListConsumers of orders.audit",
       [](C& c) { return c.ListConsumers("orders.audit").status(); },
       {kUnauth, kUnauth, kDenied, kDenied, kOk, kOk}},
      {"ListConsumers of every queue",
       [](C& c) { return c.ListConsumers("").status(); }, admin_only},
      {"DeleteConsumer orders.audit c2",
       [](C& c) { return c.DeleteConsumer("orders.audit", "c2"); }, admin_only},
      {"CreateExchange matrix.x",
       [](C& c) {
         return c.CreateExchange("matrix.x", v1::EXCHANGE_KIND_TOPIC).status();
       },
       admin_only},
      {"ListExchanges", [](C& c) { return c.ListExchanges().status(); },
       admin_only},
      {"DeleteExchange missing.x",
       [](C& c) { return c.DeleteExchange("missing.x"); },
       {kUnauth, kUnauth, kDenied, kDenied, kDenied, kNotFound}},
      {"CreateQueue matrix.q",
       [](C& c) { return c.CreateQueue("matrix.q", "billing", {}).status(); },
       admin_only},
      {"ListQueues", [](C& c) { return c.ListQueues("").status(); },
       admin_only},
      {"DeleteQueue missing.q",
       [](C& c) { return c.DeleteQueue("missing.q"); },
       {kUnauth, kUnauth, kDenied, kDenied, kDenied, kNotFound}},
      {"GetStats", [](C& c) { return c.GetStats().status(); }, admin_only},
      {"CreateUser matrix-user",
       [](C& c) { return c.CreateUser("matrix-user").status(); }, admin_only},
      {"ListUsers", [](C& c) { return c.ListUsers().status(); }, admin_only},
      {"GrantPermission matrix-user",
       [](C& c) {
         return c
             .GrantPermission(
                 "matrix-user",
                 MakePermission(v1::PERMISSION_ACTION_PUBLISH, "#"))
             .status();
       },
       admin_only},
      {"RevokePermission matrix-user",
       [](C& c) {
         return c
             .RevokePermission(
                 "matrix-user",
                 MakePermission(v1::PERMISSION_ACTION_PUBLISH, "#"))
             .status();
       },
       admin_only},
      {"IssueToken matrix-user",
       [](C& c) { return c.IssueToken("matrix-user").status(); }, admin_only},
      {"RevokeToken 000000000000",
       [](C& c) { return c.RevokeToken("000000000000"); },
       {kUnauth, kUnauth, kDenied, kDenied, kDenied, kNotFound}},
      {"DeleteUser matrix-user",
       [](C& c) { return c.DeleteUser("matrix-user"); }, admin_only},
      {"Health Check (no token needed)",
       [](C& c) { return c.Health().status(); },
       {kOk, kOk, kOk, kOk, kOk, kOk}},
  };
}

TEST_F(AuthE2ETest, PermissionMatrix) {
  std::vector<std::string> table;
  for (const MatrixRow& row : Matrix()) {
    std::vector<std::string> cells;
    for (int c = 0; c < kCallers; ++c) {
      absl::Status status = row.call(*clients_[c]);
      cells.push_back(absl::StatusCodeToString(status.code()));
      EXPECT_EQ(status.code(), row.want[c])
          << row.rpc << " as " << kCallerNames[c] << ": " << status;
      // Refusals never say whether the name exists.
      if (status.code() == kDenied) {
        EXPECT_EQ(status.message(), "permission denied") << row.rpc;
      }
      if (status.code() == kUnauth) {
        EXPECT_EQ(status.message().find("orders"), absl::string_view::npos);
      }
    }
    table.push_back(
        absl::StrCat("| ", row.rpc, " | ", absl::StrJoin(cells, " | "), " |"));
  }
  // The matrix as covered, for the record.
  std::cout << "| RPC | " << absl::StrJoin(kCallerNames, " | ") << " |\n"
            << absl::StrJoin(table, "\n") << "\n";
}

// Polls a subscription until it ends; its final status.
absl::Status WaitForEnd(client::Subscription& subscription) {
  while (true) {
    absl::StatusOr<v1::SubscribeResponse> next = subscription.Next();
    if (!next.ok()) return next.status();
  }
}

TEST_F(AuthE2ETest, RevokingATokenEndsItsStreamsButNotTheOtherTokens) {
  absl::StatusOr<v1::IssueTokenResponse> second =
      client().IssueToken("subscriber", "rotation");
  ASSERT_TRUE(second.ok());
  std::unique_ptr<client::Client> rotated = ClientWith(second->token());
  v1::SubscribeStart start;
  start.set_queue("orders.audit");
  start.set_consumer("c1");
  std::unique_ptr<client::Subscription> old_stream =
      clients_[kSubscriber]->Subscribe(start);
  ASSERT_TRUE(old_stream->Next().ok());  // attached
  start.set_consumer("c9");
  std::unique_ptr<client::Subscription> new_stream = rotated->Subscribe(start);
  ASSERT_TRUE(new_stream->Next().ok());
  std::unique_ptr<client::PublishStream> publish =
      clients_[kPublisher]->OpenPublishStream();
  ASSERT_TRUE(publish->Send("orders.eu", {MakeEvent("o.c")}).ok());
  ASSERT_TRUE(publish->NextAck().ok());

  absl::StatusOr<std::vector<v1::User>> users = client().ListUsers();
  ASSERT_TRUE(users.ok());
  std::string old_id;
  for (const v1::User& user : *users) {
    if (user.name() != "subscriber") continue;
    for (const v1::Token& token : user.tokens()) {
      if (token.id() != second->info().id()) old_id = token.id();
    }
  }
  ASSERT_FALSE(old_id.empty());
  const absl::Time revoked_at = absl::Now();
  ASSERT_TRUE(client().RevokeToken(old_id).ok());
  absl::Status ended = WaitForEnd(*old_stream);
  std::cout << "subscription ended " << (absl::Now() - revoked_at)
            << " after the revocation\n";
  EXPECT_EQ(ended.code(), kUnauth) << ended;
  // The rotated token's stream goes on: it still gets new events.
  ASSERT_TRUE(client().Publish("orders.eu", {MakeEvent("o.c")}).ok());
  absl::StatusOr<v1::SubscribeResponse> next = new_stream->Next();
  ASSERT_TRUE(next.ok()) << next.status();
  // The old token no longer authenticates.
  EXPECT_EQ(clients_[kSubscriber]->GetQueue("orders.audit").status().code(),
            kUnauth);
  new_stream->Cancel();
  publish->Close().IgnoreError();
}

TEST_F(AuthE2ETest, DeletingAUserEndsItsPublishAndSubscribeStreams) {
  ASSERT_TRUE(
      client()
          .GrantPermission("publisher",
                           MakePermission(v1::PERMISSION_ACTION_SUBSCRIBE, "#"))
          .ok());
  v1::SubscribeStart start;
  start.set_queue("billing.all");
  start.set_consumer("c1");
  std::unique_ptr<client::Subscription> subscription =
      clients_[kPublisher]->Subscribe(start);
  ASSERT_TRUE(subscription->Next().ok());
  std::unique_ptr<client::PublishStream> publish =
      clients_[kPublisher]->OpenPublishStream();
  ASSERT_TRUE(publish->Send("orders.eu", {MakeEvent("o.c")}).ok());
  ASSERT_TRUE(publish->NextAck().ok());
  // Fetch waiting for events that will not come.
  ASSERT_TRUE(
      client().CreateQueue("orders.none", "orders.eu", {"never.matches"}).ok());
  absl::Status fetched;
  std::thread fetch([&] {
    fetched = clients_[kPublisher]
                  ->Fetch("orders.none", "waiter", 10, absl::Seconds(30))
                  .status();
  });
  // The fetch is attached once its consumer is ACTIVE.
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    absl::StatusOr<std::vector<v1::Consumer>> consumers =
        client().ListConsumers("orders.none");
    if (consumers.ok() && !consumers->empty() &&
        (*consumers)[0].state() == v1::CONSUMER_STATE_ACTIVE) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  const absl::Time deleted_at = absl::Now();
  ASSERT_TRUE(client().DeleteUser("publisher").ok());
  absl::Status ended = WaitForEnd(*subscription);
  absl::StatusOr<v1::PublishStreamResponse> after = publish->NextAck();
  fetch.join();
  std::cout << "streams and fetch ended " << (absl::Now() - deleted_at)
            << " after the user was deleted\n";
  EXPECT_EQ(ended.code(), kUnauth) << ended;
  EXPECT_EQ(after.status().code(), kUnauth) << after.status();
  EXPECT_EQ(fetched.code(), kUnauth) << fetched;
}

TEST_F(AuthE2ETest, RevokingAPermissionEndsTheStreamsItAllowed) {
  v1::SubscribeStart start;
  start.set_queue("orders.audit");
  start.set_consumer("c1");
  std::unique_ptr<client::Subscription> subscription =
      clients_[kSubscriber]->Subscribe(start);
  ASSERT_TRUE(subscription->Next().ok());
  ASSERT_TRUE(
      client()
          .RevokePermission(
              "subscriber",
              MakePermission(v1::PERMISSION_ACTION_SUBSCRIBE, "orders.#"))
          .ok());
  absl::Status ended = WaitForEnd(*subscription);
  EXPECT_EQ(ended.code(), kDenied) << ended;
  // Its consumer sleeps again, offset kept: the admin can take it over.
  EXPECT_TRUE(FirstAnswer(client(), "orders.audit", "c1").ok());
}

TEST_F(AuthE2ETest, TheDatabaseHoldsTokenHashesNotTokens) {
  absl::StatusOr<v1::IssueTokenResponse> issued =
      client().IssueToken("nobody", "hash check");
  ASSERT_TRUE(issued.ok());
  const std::string token = issued->token();
  const std::string secret = token.substr(token.rfind('_') + 1);
  // Every column of every row of the user tables, as text.
  for (const char* table : {"users", "user_permissions", "user_tokens"}) {
    for (const auto& row : QueryRows(
             db_.dsn(), absl::StrCat("SELECT t::text FROM ", table, " t"))) {
      EXPECT_EQ(row[0].find(secret), std::string::npos) << table << row[0];
    }
  }
  // The stored hash is the SHA-256 of the token.
  EXPECT_EQ(
      QueryValue(absl::StrCat(
          "SELECT count(*) FROM user_tokens WHERE id = '", issued->info().id(),
          "' AND hash = sha256(convert_to('", token, "', 'UTF8'))")),
      "1");
  EXPECT_EQ(QueryValue(absl::StrCat(
                "SELECT count(*) FROM user_tokens WHERE hash = sha256('",
                kTestAdminToken, "'::bytea) AND id = 'bootstrap'")),
            "1");
  // And after a restart the token still works (the hash is all it needs).
  ASSERT_EQ(server_->Stop(SIGTERM), 0);
  ASSERT_TRUE(server_->Start().ok());
  client::ClientOptions options = client().options();
  options.token = token;
  client::Client after_restart(options);
  EXPECT_EQ(after_restart.GetQueue("orders.audit").status().code(), kDenied);
}

TEST_F(AuthE2ETest, FailedAuthenticationsAreCountedAndLoggedWithoutTheToken) {
  absl::StatusOr<v1::Stats> before = client().GetStats();
  ASSERT_TRUE(before.ok());
  const std::string wrong =
      "evr_0123456789ab_SECRET-never-in-the-log-000000000000000";
  std::unique_ptr<client::Client> attacker = ClientWith(wrong);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(attacker->ListExchanges().status().code(), kUnauth);
  }
  EXPECT_EQ(FirstAnswer(*attacker, "orders.audit", "c1").code(), kUnauth);
  EXPECT_EQ(PublishOnStream(*attacker, "orders.eu").code(), kUnauth);
  absl::StatusOr<v1::Stats> after = client().GetStats();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->auth_failures() - before->auth_failures(), 22u);
  ASSERT_TRUE(server_->WaitForLog("authentication failed", absl::Seconds(10)));
  const std::string log = server_->Log();
  EXPECT_EQ(log.find("SECRET-never-in-the-log"), std::string::npos);
  EXPECT_EQ(log.find(kTestAdminToken), std::string::npos);
  EXPECT_NE(log.find("/evrouter.v1.Admin/ListExchanges"), std::string::npos);
}

TEST(AuthFirstStartE2ETest, WithoutATokenTheFirstStartPrintsTheAdminTokenOnce) {
  PgTestDatabase db;
  ASSERT_FALSE(db.dsn().empty());
  ServerProcess server(db.dsn());
  server.set_admin_token("");
  ASSERT_TRUE(server.Start().ok());
  // Without a token nothing but health works.
  EXPECT_EQ(server.client().ListExchanges().status().code(), kUnauth);
  std::smatch match;
  const std::string log = server.Log();
  const std::regex token_pattern("evr_[0-9a-f]{12}_[A-Za-z0-9_-]{43}");
  ASSERT_TRUE(std::regex_search(log, match, token_pattern)) << log;
  const std::string token = match.str();
  client::ClientOptions options = server.client().options();
  options.token = token;
  client::Client admin(options);
  absl::StatusOr<std::vector<v1::User>> users = admin.ListUsers();
  ASSERT_TRUE(users.ok()) << users.status();
  ASSERT_EQ(users->size(), 1u);
  EXPECT_EQ((*users)[0].name(), "admin");
  // The next start prints no token, and the printed one still works.
  ASSERT_EQ(server.Stop(SIGTERM), 0);
  ASSERT_TRUE(server.Start().ok());
  const std::string second_log = server.Log().substr(log.size());
  EXPECT_FALSE(std::regex_search(second_log, match, token_pattern))
      << second_log;
  client::Client again(options);
  EXPECT_TRUE(again.ListUsers().ok());
}

TEST(AuthDisabledE2ETest, NoAuthLetsEveryoneInAndSaysSoInTheLog) {
  PgTestDatabase db;
  ASSERT_FALSE(db.dsn().empty());
  ServerProcess server(db.dsn(), {"--no-auth"});
  server.set_admin_token("");
  ASSERT_TRUE(server.Start().ok());
  EXPECT_TRUE(
      server.client().CreateExchange("open", v1::EXCHANGE_KIND_FANOUT).ok());
  EXPECT_TRUE(server.client().Publish("open", {MakeEvent("a.b")}).ok());
  EXPECT_NE(server.Log().find("authentication is DISABLED"), std::string::npos);
}

}  // namespace
}  // namespace evrouter::testing
