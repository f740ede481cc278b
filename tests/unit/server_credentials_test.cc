#include "server/transport/server_credentials.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace evrouter::transport {
namespace {

using ::testing::HasSubstr;

ServerTlsFiles Files(std::string cert_chain, std::string private_key,
                     std::string client_ca = "") {
  return ServerTlsFiles{.cert_chain = std::move(cert_chain),
                        .private_key = std::move(private_key),
                        .client_ca = std::move(client_ca)};
}

// Certificates from tests/support/make_test_certs.sh in a fresh directory.
class ServerCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/evrouter-certs-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    ASSERT_EQ(
        Shell(absl::StrCat("bash '", MAKE_TEST_CERTS_PATH, "' '", dir_, "'")),
        0);
  }

  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  static int Shell(const std::string& command) {
    return std::system(absl::StrCat(command, " >/dev/null 2>&1").c_str());
  }

  std::string Path(const std::string& name) const {
    return absl::StrCat(dir_, "/", name);
  }

  std::string Contents(const std::string& name) const {
    std::ifstream in(Path(name));
    std::stringstream contents;
    contents << in.rdbuf();
    return contents.str();
  }

  void Write(const std::string& name, const std::string& contents) const {
    std::ofstream(Path(name)) << contents;
  }

  std::string dir_;
};

TEST_F(ServerCredentialsTest, NoFilesArePlaintext) {
  absl::StatusOr<ServerTransport> transport = NewServerTransport({});
  ASSERT_TRUE(transport.ok()) << transport.status();
  EXPECT_EQ(transport->security, TransportSecurity::kPlaintext);
  EXPECT_NE(transport->credentials, nullptr);
  EXPECT_STREQ(TransportSecurityName(transport->security), "plaintext");
}

TEST_F(ServerCredentialsTest, CertificateAndKeyServeTlsWithoutClientCerts) {
  const ServerTlsFiles files = Files(Path("server.pem"), Path("server.key"));
  absl::StatusOr<grpc::SslServerCredentialsOptions> options =
      ReadServerTlsOptions(files);
  ASSERT_TRUE(options.ok()) << options.status();
  ASSERT_EQ(options->pem_key_cert_pairs.size(), 1u);
  EXPECT_EQ(options->pem_key_cert_pairs[0].cert_chain, Contents("server.pem"));
  EXPECT_EQ(options->pem_key_cert_pairs[0].private_key, Contents("server.key"));
  EXPECT_EQ(options->pem_root_certs, "");
  EXPECT_EQ(options->client_certificate_request,
            GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);

  absl::StatusOr<ServerTransport> transport = NewServerTransport(files);
  ASSERT_TRUE(transport.ok()) << transport.status();
  EXPECT_EQ(transport->security, TransportSecurity::kTls);
  EXPECT_NE(transport->credentials, nullptr);
  EXPECT_STREQ(TransportSecurityName(transport->security), "TLS");
}

TEST_F(ServerCredentialsTest, ClientCaRequiresAndVerifiesClientCerts) {
  const ServerTlsFiles files =
      Files(Path("server.pem"), Path("server.key"), Path("ca.pem"));
  absl::StatusOr<grpc::SslServerCredentialsOptions> options =
      ReadServerTlsOptions(files);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->pem_root_certs, Contents("ca.pem"));
  EXPECT_EQ(options->client_certificate_request,
            GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);

  absl::StatusOr<ServerTransport> transport = NewServerTransport(files);
  ASSERT_TRUE(transport.ok()) << transport.status();
  EXPECT_EQ(transport->security, TransportSecurity::kMutualTls);
  EXPECT_STREQ(TransportSecurityName(transport->security), "mTLS");
}

TEST_F(ServerCredentialsTest, ChainStartsWithTheServerCertificate) {
  Write("chain.pem", Contents("server.pem") + Contents("ca.pem"));
  EXPECT_TRUE(
      ReadServerTlsOptions(Files(Path("chain.pem"), Path("server.key"))).ok());
  Write("reversed.pem", Contents("ca.pem") + Contents("server.pem"));
  absl::StatusOr<grpc::SslServerCredentialsOptions> reversed =
      ReadServerTlsOptions(Files(Path("reversed.pem"), Path("server.key")));
  EXPECT_EQ(reversed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(reversed.status().message(), HasSubstr("does not belong"));
}

struct BadFilesCase {
  ServerTlsFiles files;
  absl::StatusCode code;
  std::string message;  // a part of the message
};

TEST_F(ServerCredentialsTest, BadFilesAreRefusedNamingTheFile) {
  Write("empty.pem", "");
  Write("garbage.pem", "not a certificate\n");
  ASSERT_EQ(Shell(absl::StrCat("openssl pkey -in '", Path("server.key"),
                               "' -aes256 -passout pass:secret -out '",
                               Path("encrypted.key"), "'")),
            0);
  const std::string cert = Path("server.pem");
  const std::string key = Path("server.key");
  const std::vector<BadFilesCase> cases = {
      {Files(Path("missing.pem"), key), absl::StatusCode::kNotFound,
       absl::StrCat("cannot read the TLS certificate file ",
                    Path("missing.pem"))},
      {Files(cert, Path("missing.key")), absl::StatusCode::kNotFound,
       absl::StrCat("cannot read the TLS key file ", Path("missing.key"))},
      {Files(dir_, key),
       absl::StatusCode::kFailedPrecondition,  // EISDIR
       absl::StrCat("cannot read the TLS certificate file ", dir_)},
      {Files(Path("empty.pem"), key), absl::StatusCode::kInvalidArgument,
       absl::StrCat("the TLS certificate file ", Path("empty.pem"),
                    " is empty")},
      {Files(Path("garbage.pem"), key), absl::StatusCode::kInvalidArgument,
       absl::StrCat("the TLS certificate file ", Path("garbage.pem"),
                    " holds no PEM certificate")},
      {Files(key, key), absl::StatusCode::kInvalidArgument,
       absl::StrCat("the TLS certificate file ", key,
                    " holds no PEM certificate")},
      {Files(cert, cert), absl::StatusCode::kInvalidArgument,
       absl::StrCat("the TLS key file ", cert, " holds no PEM private key")},
      {Files(cert, Path("encrypted.key")), absl::StatusCode::kInvalidArgument,
       absl::StrCat("the TLS key file ", Path("encrypted.key"),
                    " holds no PEM private key (encrypted keys are not "
                    "supported)")},
      {Files(cert, Path("client.key")), absl::StatusCode::kInvalidArgument,
       absl::StrCat("the TLS key file ", Path("client.key"),
                    " does not belong to the first certificate of ", cert)},
      {Files(cert, key, Path("missing-ca.pem")), absl::StatusCode::kNotFound,
       absl::StrCat("cannot read the TLS client CA file ",
                    Path("missing-ca.pem"))},
      {Files(cert, key, Path("ca.key")), absl::StatusCode::kInvalidArgument,
       absl::StrCat("the TLS client CA file ", Path("ca.key"),
                    " holds no PEM certificate")},
  };
  for (const BadFilesCase& c : cases) {
    SCOPED_TRACE(c.message);
    absl::StatusOr<ServerTransport> transport = NewServerTransport(c.files);
    EXPECT_EQ(transport.status().code(), c.code) << transport.status();
    EXPECT_THAT(transport.status().message(), HasSubstr(c.message));
  }
}

TEST_F(ServerCredentialsTest, IncompleteFileSetsAreRefused) {
  for (const ServerTlsFiles& files :
       {Files(Path("server.pem"), ""), Files("", Path("server.key")),
        Files("", "", Path("ca.pem"))}) {
    EXPECT_EQ(NewServerTransport(files).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace evrouter::transport
