#ifndef EVROUTER_CLIENT_CLI_HELP_TEXT_H_
#define EVROUTER_CLIENT_CLI_HELP_TEXT_H_

#include <string>

namespace evrouter::cli {

// The full --help text: every command and flag.
std::string HelpText();

// A short usage summary printed after a usage error.
std::string ShortUsage();

}  // namespace evrouter::cli

#endif  // EVROUTER_CLIENT_CLI_HELP_TEXT_H_
