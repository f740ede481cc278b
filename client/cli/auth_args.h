#ifndef EVROUTER_CLIENT_CLI_AUTH_ARGS_H_
#define EVROUTER_CLIENT_CLI_AUTH_ARGS_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "evrouter/v1/admin.pb.h"

// Operands of the user and token commands.
namespace evrouter::cli {

// Parses the permission words of `user grant|revoke NAME ...`: "admin", or
// "publish PATTERN" / "subscribe PATTERN". `command` ("user grant") prefixes
// the INVALID_ARGUMENT message.
absl::StatusOr<evrouter::v1::Permission> ParsePermission(
    std::string_view command, const std::vector<std::string>& words);

// The permission of a user create flag: `flag` "admin" (no value),
// "publish" or "subscribe" with the PATTERN in `value`. INVALID_ARGUMENT for
// an empty pattern.
absl::StatusOr<evrouter::v1::Permission> PermissionFromFlag(
    std::string_view flag, const std::string& value);

// The public id of a token from `text`: the id itself (lowercase letters
// and digits, as User.tokens shows it) or a whole token "evr_<id>_<secret>".
// INVALID_ARGUMENT otherwise; the message never quotes `text`.
absl::StatusOr<std::string> TokenIdFromArgument(std::string_view text);

// True when `text` may be a token or part of one ("evr_" anywhere), so
// messages must not quote it.
bool MayBeToken(std::string_view text);

}  // namespace evrouter::cli

#endif  // EVROUTER_CLIENT_CLI_AUTH_ARGS_H_
