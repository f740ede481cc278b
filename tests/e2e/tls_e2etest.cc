// Transport security of the real binary: TLS, mTLS, and plaintext only on
// loopback unless --allow-plaintext. Certificates come from
// tests/support/make_test_certs.sh, made afresh for each test.
#include <httplib.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/channel.h"
#include "tests/e2e/e2e_fixture.h"

namespace evrouter::testing {
namespace {

class TlsE2ETest : public CertificatesE2ETest {
 protected:
  // Client TLS trusting the CA in `ca` and, when given, presenting a client
  // certificate (file names in the certificate directory).
  client::TlsOptions Tls(const std::string& ca, const std::string& cert = "",
                         const std::string& key = "") const {
    absl::StatusOr<client::TlsOptions> tls = client::ReadTlsFiles(
        Cert(ca), cert.empty() ? "" : Cert(cert), key.empty() ? "" : Cert(key));
    EXPECT_TRUE(tls.ok()) << tls.status();
    return tls.ok() ? *tls : client::TlsOptions{};
  }

  // Starts evrouterd with server.pem; with `mutual` it also requires client
  // certificates from ca.pem. Its client() trusts ca.pem (and presents
  // client.pem when mutual).
  void StartTlsServer(bool mutual) {
    std::vector<std::string> args = {"--tls-cert", Cert("server.pem"),
                                     "--tls-key", Cert("server.key")};
    if (mutual) {
      args.push_back("--tls-client-ca");
      args.push_back(Cert("ca.pem"));
    }
    server_ = std::make_unique<ServerProcess>(db_.dsn(), std::move(args));
    server_->set_client_tls(mutual ? Tls("ca.pem", "client.pem", "client.key")
                                   : Tls("ca.pem"));
    absl::Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started;
  }

  // A client like the server's client() (address, and a token should it
  // have one) with `tls` instead, on a connection of its own: every client
  // does its own handshake.
  std::unique_ptr<client::Client> ClientWith(client::TlsOptions tls) {
    client::ClientOptions options = server_->client().options();
    options.tls = std::move(tls);
    options.own_connection = true;
    return std::make_unique<client::Client>(std::move(options));
  }

  // Health, an exchange, a queue, a publish and a fetch through `client`.
  void ExpectServes(client::Client& client) {
    absl::StatusOr<grpc::health::v1::HealthCheckResponse::ServingStatus>
        health = client.Health();
    ASSERT_TRUE(health.ok()) << health.status();
    EXPECT_EQ(*health, grpc::health::v1::HealthCheckResponse::SERVING);
    absl::StatusOr<v1::Exchange> exchange =
        client.CreateExchange("orders", v1::EXCHANGE_KIND_FANOUT);
    ASSERT_TRUE(exchange.ok()) << exchange.status();
    ASSERT_TRUE(client.CreateQueue("billing", "orders", {}).ok());
    absl::StatusOr<std::vector<v1::PublishResult>> published =
        client.Publish("orders", {MakeEvent("order.created", "secret")});
    ASSERT_TRUE(published.ok()) << published.status();
    absl::StatusOr<std::vector<v1::Event>> fetched =
        client.Fetch("billing", "svc", 10, absl::Seconds(5));
    ASSERT_TRUE(fetched.ok()) << fetched.status();
    ASSERT_EQ(fetched->size(), 1u);
    EXPECT_EQ((*fetched)[0].offset(), 1u);
    EXPECT_EQ((*fetched)[0].payload(), "secret");
  }

  // `refused` gets UNAVAILABLE for a health check, creating an exchange and
  // publishing into "orders" (which the server's own client created), and
  // nothing of it is stored.
  void ExpectRefused(client::Client& refused) {
    ASSERT_TRUE(server_->client()
                    .CreateExchange("orders", v1::EXCHANGE_KIND_FANOUT)
                    .ok());
    EXPECT_EQ(refused.Health().status().code(), absl::StatusCode::kUnavailable);
    absl::StatusOr<v1::Exchange> created =
        refused.CreateExchange("refused", v1::EXCHANGE_KIND_FANOUT);
    EXPECT_EQ(created.status().code(), absl::StatusCode::kUnavailable)
        << created.status();
    absl::StatusOr<std::vector<v1::PublishResult>> published =
        refused.Publish("orders", MakeEvents(3));
    EXPECT_EQ(published.status().code(), absl::StatusCode::kUnavailable)
        << published.status();
    EXPECT_EQ(QueryValue("SELECT count(*) FROM exchanges"), "1");
    EXPECT_EQ(QueryValue("SELECT count(*) FROM events"), "0");
    // The server still serves those it should.
    EXPECT_TRUE(server_->client().GetExchange("orders").ok());
  }
};

TEST_F(TlsE2ETest, ClientTrustingTheServersCaIsServed) {
  ASSERT_NO_FATAL_FAILURE(StartTlsServer(/*mutual=*/false));
  ExpectServes(*ClientWith(Tls("ca.pem")));
  EXPECT_TRUE(absl::StrContains(server_->Log(), "transport=TLS "))
      << server_->Log();
}

TEST_F(TlsE2ETest, ClientTrustingAnotherCaIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartTlsServer(/*mutual=*/false));
  ExpectRefused(*ClientWith(Tls("other-ca.pem")));
}

TEST_F(TlsE2ETest, PlaintextClientIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartTlsServer(/*mutual=*/false));
  ExpectRefused(*ClientWith(client::TlsOptions{}));
}

TEST_F(TlsE2ETest, MutualTlsRefusesAClientWithoutCertificate) {
  ASSERT_NO_FATAL_FAILURE(StartTlsServer(/*mutual=*/true));
  ExpectRefused(*ClientWith(Tls("ca.pem")));
}

TEST_F(TlsE2ETest, MutualTlsRefusesAClientCertificateFromAnotherCa) {
  ASSERT_NO_FATAL_FAILURE(StartTlsServer(/*mutual=*/true));
  ExpectRefused(
      *ClientWith(Tls("ca.pem", "other-client.pem", "other-client.key")));
}

TEST_F(TlsE2ETest, MutualTlsServesAClientCertificateFromItsCa) {
  ASSERT_NO_FATAL_FAILURE(StartTlsServer(/*mutual=*/true));
  ExpectServes(*ClientWith(Tls("ca.pem", "client.pem", "client.key")));
  EXPECT_TRUE(absl::StrContains(server_->Log(), "transport=mTLS "))
      << server_->Log();
}

TEST_F(TlsE2ETest, BadTlsFilesStopTheServerNamingTheFile) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--tls-cert", Cert("missing.pem"), "--tls-key", Cert("server.key")},
       Cert("missing.pem")},
      {{"--tls-cert", Cert("server.key"), "--tls-key", Cert("server.key")},
       "holds no PEM certificate"},
      {{"--tls-cert", Cert("server.pem"), "--tls-key", Cert("client.key")},
       "does not belong"},
      {{"--tls-cert", Cert("server.pem"), "--tls-key", Cert("server.key"),
        "--tls-client-ca", certs_},
       certs_},
  };
  for (const auto& [tls_args, named] : cases) {
    std::vector<std::string> args = {
        EVROUTERD_PATH, "--listen", "127.0.0.1:0", "--http-listen",
        "127.0.0.1:0",  "--pg-dsn", db_.dsn()};
    args.insert(args.end(), tls_args.begin(), tls_args.end());
    std::string output;
    EXPECT_EQ(RunCommand(args, &output), 1) << output;
    EXPECT_TRUE(absl::StrContains(output, "cannot set up TLS")) << output;
    EXPECT_TRUE(absl::StrContains(output, named)) << output;
  }
}

// The HTTP listener serves HTTPS with the same certificate, and with
// --tls-client-ca asks for the same client certificates.
TEST_F(TlsE2ETest, HttpListenerServesHttpsWithTheSameFiles) {
  // The refused clients below write to connections the server closed: that
  // must be an error here, not a SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  for (bool mutual : {false, true}) {
    SCOPED_TRACE(mutual ? "mTLS" : "TLS");
    StartTlsServer(mutual);
    const std::string address = server_->http_address();
    ASSERT_FALSE(address.empty()) << server_->Log();
    int port = 0;
    ASSERT_TRUE(
        absl::SimpleAtoi(address.substr(address.rfind(':') + 1), &port));

    httplib::SSLClient https =
        mutual ? httplib::SSLClient("localhost", port, Cert("client.pem"),
                                    Cert("client.key"))
               : httplib::SSLClient("localhost", port);
    https.set_ca_cert_path(Cert("ca.pem").c_str());
    https.enable_server_certificate_verification(true);
    httplib::Result metrics = https.Get("/metrics");
    ASSERT_TRUE(metrics) << httplib::to_string(metrics.error());
    EXPECT_EQ(metrics->status, 200);
    EXPECT_TRUE(absl::StrContains(metrics->body, "evrouter_build_info"));
    httplib::Result api =
        https.Post("/api/v1/ListExchanges",
                   {{"Authorization", "Bearer " + server_->admin_token()}},
                   "{}", "application/json");
    ASSERT_TRUE(api);
    EXPECT_EQ(api->status, 200) << api->body;

    // Plain HTTP on the HTTPS port gets no answer.
    httplib::Client plain("127.0.0.1", port);
    plain.set_read_timeout(5);
    httplib::Result refused = plain.Get("/metrics");
    EXPECT_TRUE(!refused || refused->status != 200);
    if (mutual) {
      // No client certificate: the handshake fails.
      httplib::SSLClient anonymous("localhost", port);
      anonymous.set_ca_cert_path(Cert("ca.pem").c_str());
      anonymous.enable_server_certificate_verification(true);
      EXPECT_FALSE(anonymous.Get("/metrics"));
    }
    server_.reset();
  }
}

TEST_F(TlsE2ETest, PlaintextOnAllInterfacesIsRefusedAtStart) {
  std::string output;
  EXPECT_EQ(RunCommand({EVROUTERD_PATH, "--listen", "0.0.0.0:0", "--pg-dsn",
                        db_.dsn()},
                       &output),
            2)
      << output;
  EXPECT_TRUE(absl::StrContains(output, "0.0.0.0:0 is not a loopback address"))
      << output;
  EXPECT_TRUE(absl::StrContains(output, "--tls-cert and --tls-key")) << output;
  EXPECT_TRUE(absl::StrContains(output, "--allow-plaintext")) << output;
}

TEST_F(TlsE2ETest, PlaintextOnAllInterfacesStartsWithAllowPlaintext) {
  ServerProcess server(db_.dsn(),
                       {"--listen", "0.0.0.0:0", "--allow-plaintext"});
  ASSERT_TRUE(server.Launch().ok());
  static const std::string kServing = "serving on 0.0.0.0:";
  ASSERT_TRUE(server.WaitForLog(kServing, absl::Seconds(30))) << server.Log();
  const std::string log = server.Log();
  EXPECT_TRUE(absl::StrContains(log, "which is not a loopback address")) << log;
  const size_t at = log.find(kServing) + kServing.size();
  int port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(log.substr(at, log.find(',', at) - at), &port))
      << log;
  // ServerProcess makes no client for a server on 0.0.0.0, so this one
  // starts from scratch; health needs no credentials.
  client::ClientOptions options;
  options.server = absl::StrCat("127.0.0.1:", port);
  client::Client client(options);
  absl::Status serving = client.WaitUntilServing(absl::Seconds(30));
  EXPECT_TRUE(serving.ok()) << serving << "\n" << log;
}

}  // namespace
}  // namespace evrouter::testing
