#include "server/transport/server_credentials.h"

#include <grpcpp/security/server_credentials.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace evrouter::transport {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     absl::string_view what) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return absl::ErrnoToStatus(
        errno, absl::StrCat("cannot read the ", what, " file ", path));
  }
  std::string contents;
  char buffer[8192];
  size_t read;
  while ((read = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
    contents.append(buffer, read);
  }
  const int error = std::ferror(file) ? errno : 0;
  std::fclose(file);
  if (error != 0) {
    return absl::ErrnoToStatus(
        error, absl::StrCat("cannot read the ", what, " file ", path));
  }
  if (contents.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the ", what, " file ", path, " is empty"));
  }
  return contents;
}

BioPtr MemoryBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The first certificate in `pem` and how many there are.
X509Ptr FirstCertificate(const std::string& pem, int* count) {
  BioPtr bio = MemoryBio(pem);
  X509Ptr first;
  *count = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (first == nullptr) {
      first.reset(cert);
    } else {
      X509_free(cert);
    }
    ++*count;
  }
  ERR_clear_error();  // the read past the last certificate
  return first;
}

// Never asks for a passphrase: an encrypted key fails to load.
int NoPassphrase(char*, int, int, void*) { return 0; }

}  // namespace

const char* TransportSecurityName(TransportSecurity security) {
  switch (security) {
    case TransportSecurity::kPlaintext:
      return "plaintext";
    case TransportSecurity::kTls:
      return "TLS";
    case TransportSecurity::kMutualTls:
      return "mTLS";
  }
  return "unknown";
}

absl::StatusOr<grpc::SslServerCredentialsOptions> ReadServerTlsOptions(
    const ServerTlsFiles& files) {
  absl::StatusOr<std::string> cert_chain =
      ReadFile(files.cert_chain, "TLS certificate");
  if (!cert_chain.ok()) return cert_chain.status();
  absl::StatusOr<std::string> private_key =
      ReadFile(files.private_key, "TLS key");
  if (!private_key.ok()) return private_key.status();

  int certificates = 0;
  X509Ptr leaf = FirstCertificate(*cert_chain, &certificates);
  if (leaf == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("the TLS certificate file ", files.cert_chain,
                     " holds no PEM certificate"));
  }
  BioPtr key_bio = MemoryBio(*private_key);
  PkeyPtr key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, NoPassphrase, nullptr));
  ERR_clear_error();
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the TLS key file ", files.private_key,
        " holds no PEM private key (encrypted keys are not supported)"));
  }
  const bool matches = X509_check_private_key(leaf.get(), key.get()) == 1;
  ERR_clear_error();
  if (!matches) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the TLS key file ", files.private_key,
        " does not belong to the first certificate of ", files.cert_chain));
  }

  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  options.pem_key_cert_pairs.push_back({.private_key = *std::move(private_key),
                                        .cert_chain = *std::move(cert_chain)});
  if (!files.client_ca.empty()) {
    absl::StatusOr<std::string> client_ca =
        ReadFile(files.client_ca, "TLS client CA");
    if (!client_ca.ok()) return client_ca.status();
    if (FirstCertificate(*client_ca, &certificates) == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("the TLS client CA file ", files.client_ca,
                       " holds no PEM certificate"));
    }
    options.pem_root_certs = *std::move(client_ca);
    options.client_certificate_request =
        GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return options;
}

absl::StatusOr<ServerTransport> NewServerTransport(
    const ServerTlsFiles& files) {
  if (files.cert_chain.empty() != files.private_key.empty()) {
    return absl::InvalidArgumentError(
        "TLS needs both a certificate and a key file");
  }
  if (files.cert_chain.empty()) {
    if (!files.client_ca.empty()) {
      return absl::InvalidArgumentError(
          "a TLS client CA needs a certificate and a key file");
    }
    return ServerTransport{.security = TransportSecurity::kPlaintext,
                           .credentials = grpc::InsecureServerCredentials()};
  }
  absl::StatusOr<grpc::SslServerCredentialsOptions> options =
      ReadServerTlsOptions(files);
  if (!options.ok()) return options.status();
  return ServerTransport{.security = files.client_ca.empty()
                                         ? TransportSecurity::kTls
                                         : TransportSecurity::kMutualTls,
                         .credentials = grpc::SslServerCredentials(*options)};
}

}  // namespace evrouter::transport
