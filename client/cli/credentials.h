#ifndef EVROUTER_CLIENT_CLI_CREDENTIALS_H_
#define EVROUTER_CLIENT_CLI_CREDENTIALS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/channel.h"
#include "client/cli/cli_args.h"

// The CLI's token and TLS settings: which source wins (flags, environment,
// default file) and reading the files. Nothing here prints a token.
namespace evrouter::cli {

// True for --token, --token-file, --tls, --tls-ca, --tls-cert, --tls-key.
bool IsCredentialFlag(std::string_view name);

// Applies one of those flags (`name` without "--"; `value` "" for --tls):
// --token wins over --token-file whatever their order, and the last of a
// repeated flag wins. INVALID_ARGUMENT for an empty value; the message never
// quotes a token.
absl::Status ApplyCredentialFlag(std::string_view name,
                                 const std::string& value,
                                 CredentialArgs& credentials);

// Completes `credentials`, which holds what the flags gave, from `env` in
// the precedence of TokenSource and CredentialArgs, and computes the
// default token file. INVALID_ARGUMENT for a client certificate without
// its key or the reverse.
absl::Status ResolveCredentialArgs(EnvLookup env, CredentialArgs& credentials);

// What the channel needs: the token ("" = none) and the TLS options.
struct Credentials {
  std::string token;
  client::TlsOptions tls;
};

// Reads the token file (surrounding whitespace trimmed; the default file
// only when it exists) and the TLS files. An error names the file and never
// quotes the token: NOT_FOUND when a file cannot be read, INVALID_ARGUMENT
// when it is empty, too large or the token has characters other than
// printable ASCII.
absl::StatusOr<Credentials> LoadCredentials(const CredentialArgs& credentials);

// Where the token came from, for messages: "--token", "EVROUTER_TOKEN",
// "the file F (--token-file)", ...
std::string TokenSourceText(const CredentialArgs& credentials);

// A line for stderr after an UNAUTHENTICATED error: how to give a token when
// none was sent, or which token the server refused.
std::string UnauthenticatedHint(const CredentialArgs& credentials,
                                bool token_sent);

}  // namespace evrouter::cli

#endif  // EVROUTER_CLIENT_CLI_CREDENTIALS_H_
