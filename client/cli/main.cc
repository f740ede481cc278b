// evrouter: the command-line client. Parses flags, then runs one command
// through the client library.
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "client/cli/cli_args.h"
#include "client/cli/commands.h"
#include "client/cli/credentials.h"
#include "client/cli/help_text.h"
#include "client/cli/output_format.h"
#include "client/evrouter_client.h"

namespace {

std::string GetEnv(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  return value != nullptr ? value : "";
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  const std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<evrouter::cli::CliArgs> parsed =
      evrouter::cli::ParseArgs(args, GetEnv);
  if (!parsed.ok()) {
    std::cerr << "evrouter: " << parsed.status().message() << "\n"
              << evrouter::cli::ShortUsage();
    return evrouter::cli::kExitUsage;
  }
  if (parsed->command == evrouter::cli::Command::kHelp) {
    std::cout << evrouter::cli::HelpText();
    return evrouter::cli::kExitOk;
  }
  absl::StatusOr<evrouter::cli::Credentials> credentials =
      evrouter::cli::LoadCredentials(parsed->credentials);
  if (!credentials.ok()) {
    std::cerr << evrouter::cli::FormatError(credentials.status());
    return evrouter::cli::kExitError;
  }
  evrouter::client::ClientOptions options;
  options.server = parsed->server;
  options.timeout = parsed->timeout;
  options.token = std::move(credentials->token);
  options.tls = std::move(credentials->tls);
  evrouter::client::Client client(std::move(options));
  const int code = evrouter::cli::RunCommand(*parsed, client, std::cin,
                                             std::cout, std::cerr);
  std::cout.flush();
  return code;
}
