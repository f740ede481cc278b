// --log-format json on the real evrouterd: every line of its log is one JSON
// object with ts, level, component and msg; the lines an operator needs
// carry their fields; gRPC's own lines are JSON too; and no token or event
// payload reaches the log, even at debug level.
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/channel.h"
#include "tests/e2e/e2e_fixture.h"
#include "tests/support/json_log_line.h"

namespace evrouter::testing {
namespace {

using google::protobuf::Struct;

// Every line of `log`, parsed; a line that is not a JSON log object fails
// the test.
std::vector<Struct> JsonLines(const std::string& log) {
  std::vector<Struct> lines;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (line.empty()) continue;
    absl::StatusOr<Struct> object = ParseJsonLogLine(line);
    if (!object.ok()) {
      ADD_FAILURE() << object.status();
      continue;
    }
    lines.push_back(*std::move(object));
  }
  return lines;
}

std::string Str(const Struct& line, const std::string& key) {
  auto it = line.fields().find(key);
  return it == line.fields().end() ? "" : it->second.string_value();
}

double Number(const Struct& line, const std::string& key) {
  auto it = line.fields().find(key);
  return it == line.fields().end() ? -1 : it->second.number_value();
}

// The first line of `component` whose msg starts with `prefix`; nullptr if
// there is none.
const Struct* Find(const std::vector<Struct>& lines,
                   const std::string& component, const std::string& prefix) {
  for (const Struct& line : lines) {
    if (Str(line, "component") == component &&
        absl::StartsWith(Str(line, "msg"), prefix)) {
      return &line;
    }
  }
  return nullptr;
}

class LogFormatE2ETest : public E2ETest {
 protected:
  void SetUp() override {
    StartServer({"--log-format", "json", "--log-level", "debug"});
  }

  std::unique_ptr<client::Client> ClientWith(const std::string& token) {
    client::ClientOptions options = client().options();
    options.token = token;
    return std::make_unique<client::Client>(options);
  }
};

TEST_F(LogFormatE2ETest, JsonLinesWithFieldsAndNoTokensOrPayloads) {
  constexpr char kPayload[] = "PAYLOAD-MARKER-5f1c0e9a";
  constexpr char kWrongToken[] =
      "evr_0123456789ab_WRONG-TOKEN-MARKER-00000000000000000000000";
  ASSERT_TRUE(client().CreateExchange("orders", v1::EXCHANGE_KIND_FANOUT).ok());
  ASSERT_TRUE(client().CreateQueue("billing", "orders", {}).ok());
  v1::Permission publish;
  publish.set_action(v1::PERMISSION_ACTION_PUBLISH);
  publish.set_pattern("orders");
  ASSERT_TRUE(client().CreateUser("shop", {publish}).ok());
  absl::StatusOr<v1::IssueTokenResponse> issued =
      client().IssueToken("shop", "log test");
  ASSERT_TRUE(issued.ok()) << issued.status();
  const std::string user_token = issued->token();

  // Publishes with the marker in payloads and a header, unary and streamed,
  // read back by a fetch.
  std::unique_ptr<client::Client> shop = ClientWith(user_token);
  v1::Event event = MakeEvent("order.created", kPayload);
  (*event.mutable_headers())["note"] = kPayload;
  ASSERT_TRUE(shop->Publish("orders", {event, event}).ok());
  std::unique_ptr<client::PublishStream> stream = shop->OpenPublishStream();
  ASSERT_TRUE(stream->Send("orders", {event}).ok());
  absl::StatusOr<std::vector<v1::PublishStreamResponse>> acks = stream->Close();
  ASSERT_TRUE(acks.ok()) << acks.status();
  absl::StatusOr<std::vector<v1::Event>> fetched =
      client().Fetch("billing", "svc", 10, absl::Seconds(5));
  ASSERT_TRUE(fetched.ok()) << fetched.status();
  EXPECT_EQ(fetched->size(), 3u);
  // A request protobuf refuses (invalid UTF-8): a "protobuf" debug line.
  v1::Event bad = event;
  (*bad.mutable_headers())["a\xff"] = kPayload;
  EXPECT_EQ(shop->Publish("orders", {bad}).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Failed authentications, one with a payload.
  std::unique_ptr<client::Client> attacker = ClientWith(kWrongToken);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(attacker->ListExchanges().status().code(),
              absl::StatusCode::kUnauthenticated);
  }
  EXPECT_EQ(attacker->Publish("orders", {event}).status().code(),
            absl::StatusCode::kUnauthenticated);
  ASSERT_TRUE(server_->WaitForLog("authentication failed", absl::Seconds(10)))
      << server_->Log();
  ASSERT_TRUE(
      server_->WaitForLog("\"component\":\"protobuf\"", absl::Seconds(10)))
      << server_->Log();
  ASSERT_EQ(server_->Stop(SIGTERM), 0) << server_->Log();

  const std::string log = server_->Log();
  for (const std::string& secret :
       {std::string(kPayload), std::string(kWrongToken),
        std::string("WRONG-TOKEN-MARKER"), std::string(kTestAdminToken),
        user_token, user_token.substr(user_token.rfind('_') + 1)}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << "\n" << log;
  }
  const std::vector<Struct> lines = JsonLines(log);
  ASSERT_FALSE(lines.empty());
  for (const Struct& line : lines) {
    EXPECT_TRUE(absl::EndsWith(Str(line, "ts"), "Z")) << Str(line, "ts");
  }

  const Struct* start = Find(lines, "server", "evrouterd " EVROUTER_VERSION);
  ASSERT_NE(start, nullptr) << log;
  EXPECT_EQ(Str(*start, "version"), EVROUTER_VERSION);
  EXPECT_EQ(Str(*start, "listen"), "127.0.0.1:0");
  EXPECT_EQ(Str(*start, "transport"), "plaintext");
  EXPECT_FALSE(Str(*start, "pg_dsn").empty());

  const Struct* migration = Find(lines, "storage", "applied migration 1 ");
  ASSERT_NE(migration, nullptr) << log;
  EXPECT_EQ(Number(*migration, "version"), 1);
  EXPECT_FALSE(Str(*migration, "name").empty());

  const Struct* serving = Find(lines, "server", "serving on 127.0.0.1:");
  ASSERT_NE(serving, nullptr) << log;
  EXPECT_EQ(Str(*serving, "msg"),
            absl::StrCat("serving on ", server_->address(),
                         ", 0 exchanges restored, 0 queues restored"));
  EXPECT_EQ(Str(*serving, "address"), server_->address());
  EXPECT_EQ(Number(*serving, "exchanges"), 0);
  EXPECT_EQ(Number(*serving, "queues"), 0);

  const Struct* failure = Find(lines, "auth", "authentication failed");
  ASSERT_NE(failure, nullptr) << log;
  EXPECT_EQ(Str(*failure, "level"), "warning");
  EXPECT_EQ(Str(*failure, "reason"), "invalid bearer token");
  EXPECT_TRUE(absl::StartsWith(Str(*failure, "peer"), "ipv4:127.0.0.1:"))
      << Str(*failure, "peer");
  EXPECT_EQ(Str(*failure, "method"), "/evrouter.v1.Admin/ListExchanges");

  const Struct* refused = Find(lines, "protobuf", "");
  ASSERT_NE(refused, nullptr) << log;
  EXPECT_EQ(Str(*refused, "level"), "debug");

  const Struct* signal = Find(lines, "server", "signal ");
  ASSERT_NE(signal, nullptr) << log;
  EXPECT_EQ(Number(*signal, "signal"), SIGTERM);
  EXPECT_NE(Find(lines, "server", "stopped"), nullptr) << log;
}

// A client that fails its TLS handshake makes gRPC log a line of its own:
// it arrives as JSON of component "grpc".
class LogFormatTlsE2ETest : public CertificatesE2ETest {};

TEST_F(LogFormatTlsE2ETest, GrpcHandshakeErrorsAreJsonLinesOfComponentGrpc) {
  server_ = std::make_unique<ServerProcess>(
      db_.dsn(),
      std::vector<std::string>{"--tls-cert", Cert("server.pem"), "--tls-key",
                               Cert("server.key"), "--log-format", "json"});
  absl::StatusOr<client::TlsOptions> tls =
      client::ReadTlsFiles(Cert("ca.pem"), "", "");
  ASSERT_TRUE(tls.ok()) << tls.status();
  server_->set_client_tls(*tls);
  ASSERT_TRUE(server_->Start().ok()) << server_->Log();

  // Plaintext to a TLS port, on connections of their own.
  for (int i = 0; i < 3; ++i) {
    client::ClientOptions options = client().options();
    options.tls = client::TlsOptions{};
    options.own_connection = true;
    client::Client plaintext(options);
    EXPECT_EQ(plaintext.Health().status().code(),
              absl::StatusCode::kUnavailable);
  }
  ASSERT_TRUE(server_->WaitForLog("\"component\":\"grpc\"", absl::Seconds(30)))
      << server_->Log();
  ASSERT_EQ(server_->Stop(SIGTERM), 0) << server_->Log();

  const std::vector<Struct> lines = JsonLines(server_->Log());
  const Struct* grpc = Find(lines, "grpc", "");
  ASSERT_NE(grpc, nullptr);
  EXPECT_EQ(Str(*grpc, "level"), "warning");
  EXPECT_TRUE(absl::StrContains(Str(*grpc, "msg"), "andshake"))
      << Str(*grpc, "msg");
  EXPECT_FALSE(Str(*grpc, "source").empty());
}

}  // namespace
}  // namespace evrouter::testing
