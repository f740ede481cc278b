#ifndef EVROUTER_CLIENT_CHANNEL_H_
#define EVROUTER_CLIENT_CHANNEL_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace evrouter::client {

// Transport security of a channel: TLS when `enabled`, verifying the server
// against `root_certs_pem` (empty: the system's roots) and presenting a
// client certificate when `cert_chain_pem` and `private_key_pem` are set.
struct TlsOptions {
  bool enabled = false;
  std::string root_certs_pem;
  std::string cert_chain_pem;
  std::string private_key_pem;
};

// TLS options from PEM files ("" skips one): the CA that signed the server's
// certificate, and a client certificate and key for mTLS. NOT_FOUND or
// INVALID_ARGUMENT naming the file when one cannot be read.
absl::StatusOr<TlsOptions> ReadTlsFiles(const std::string& ca_file,
                                        const std::string& cert_file,
                                        const std::string& key_file);

// How to reach a server.
struct ChannelOptions {
  std::string server = "127.0.0.1:50051";  // HOST:PORT
  // A TCP connection of its own; by default channels to one server share one.
  bool own_connection = false;
  // Sent as "authorization: Bearer <token>" on every call; none when empty.
  std::string token;
  TlsOptions tls;  // plaintext unless tls.enabled
};

// Creates a channel. It is thread-safe and connects lazily on the first
// call; every call on it (also from stubs that tools create on it, such as
// reflection) carries the token.
std::shared_ptr<grpc::Channel> CreateChannel(const ChannelOptions& options);

}  // namespace evrouter::client

#endif  // EVROUTER_CLIENT_CHANNEL_H_
