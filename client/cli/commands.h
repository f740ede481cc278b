#ifndef EVROUTER_CLIENT_CLI_COMMANDS_H_
#define EVROUTER_CLIENT_CLI_COMMANDS_H_

#include <istream>
#include <ostream>

#include "client/cli/cli_args.h"
#include "client/evrouter_client.h"

namespace evrouter::cli {

// Process exit codes of the CLI.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

// Runs the parsed command (not kHelp) against `client`: results go to `out`,
// errors to `err` as "evrouter: CODE: message", an UNAUTHENTICATED one
// followed by a line on how to give a token or which token was refused
// (UnauthenticatedHint; `client`'s token tells whether one was sent); `token
// issue` notes on `err` that the token is shown once. `in` feeds publish
// without payload arguments. While subscribe runs, SIGINT and SIGTERM stop it
// gracefully (see SubscribeLoop) instead of killing the process. Returns the
// exit code.
int RunCommand(const CliArgs& args, client::Client& client, std::istream& in,
               std::ostream& out, std::ostream& err);

}  // namespace evrouter::cli

#endif  // EVROUTER_CLIENT_CLI_COMMANDS_H_
