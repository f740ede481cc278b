#ifndef EVROUTER_SERVER_TRANSPORT_SERVER_CREDENTIALS_H_
#define EVROUTER_SERVER_TRANSPORT_SERVER_CREDENTIALS_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace evrouter::transport {

// The PEM files of the server's transport security. All empty: plaintext.
// `cert_chain` and `private_key` together: TLS. With `client_ca` too: mTLS,
// every client must present a certificate signed by that CA.
struct ServerTlsFiles {
  std::string cert_chain;  // the server's certificate first, then its CAs
  std::string private_key;
  std::string client_ca;
};

// What a listening port speaks.
enum class TransportSecurity { kPlaintext, kTls, kMutualTls };

// "plaintext", "TLS" or "mTLS" (for logs).
const char* TransportSecurityName(TransportSecurity security);

// Credentials for grpc::ServerBuilder::AddListeningPort and what they are.
struct ServerTransport {
  TransportSecurity security = TransportSecurity::kPlaintext;
  std::shared_ptr<grpc::ServerCredentials> credentials;
};

// Reads and checks the PEM files of a TLS server (`files.cert_chain` and
// `files.private_key` must be set): the chain holds a certificate, the key
// is an unencrypted private key belonging to its first certificate, the
// client CA (when set) holds a certificate. Errors name the file: the
// errno's code when it cannot be read (NOT_FOUND, PERMISSION_DENIED, ...),
// INVALID_ARGUMENT when it is empty or does not hold what it should. With a
// client CA, client certificates are required and verified.
absl::StatusOr<grpc::SslServerCredentialsOptions> ReadServerTlsOptions(
    const ServerTlsFiles& files);

// Insecure credentials when `files` are all empty, otherwise SSL
// credentials from ReadServerTlsOptions (with its errors). INVALID_ARGUMENT
// when only some of cert_chain/private_key are set or a client CA comes
// without them.
absl::StatusOr<ServerTransport> NewServerTransport(const ServerTlsFiles& files);

}  // namespace evrouter::transport

#endif  // EVROUTER_SERVER_TRANSPORT_SERVER_CREDENTIALS_H_
