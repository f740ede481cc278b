// evrouter: the command-line client. Parses flags, then runs one command
// through the client library.
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "client/cli/cli_args.h"
#include "client/cli/commands.h"
#include "client/cli/help_text.h"
#include "client/evrouter_client.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  const std::vector<std::string> args(argv + 1, argv + argc);
  const char* env_server = std::getenv("EVROUTER_SERVER");
  absl::StatusOr<evrouter::cli::CliArgs> parsed =
      evrouter::cli::ParseArgs(args, env_server ? env_server : "");
  if (!parsed.ok()) {
    std::cerr << "evrouter: " << parsed.status().message() << "\n"
              << evrouter::cli::ShortUsage();
    return evrouter::cli::kExitUsage;
  }
  if (parsed->command == evrouter::cli::Command::kHelp) {
    std::cout << evrouter::cli::HelpText();
    return evrouter::cli::kExitOk;
  }
  evrouter::client::ClientOptions options;
  options.server = parsed->server;
  options.timeout = parsed->timeout;
  evrouter::client::Client client(std::move(options));
  const int code = evrouter::cli::RunCommand(*parsed, client, std::cin,
                                             std::cout, std::cerr);
  std::cout.flush();
  return code;
}
