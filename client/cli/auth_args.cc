#include "client/cli/auth_args.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace evrouter::cli {
namespace {

constexpr char kTokenPrefix[] = "evr_";
constexpr size_t kTokenPrefixLength = 4;
constexpr size_t kMaxTokenIdLength = 64;

// An issued token's id is 12 hex digits; the server's bootstrap token has
// the id "bootstrap".
bool IsTokenId(std::string_view text) {
  return !text.empty() && text.size() <= kMaxTokenIdLength &&
         std::all_of(text.begin(), text.end(), [](char c) {
           return absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
                  (c >= 'a' && c <= 'z');
         });
}

}  // namespace

absl::StatusOr<evrouter::v1::Permission> ParsePermission(
    std::string_view command, const std::vector<std::string>& words) {
  const std::string prefix(command);
  if (words.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix,
                     " needs a permission: admin, publish PATTERN or "
                     "subscribe PATTERN"));
  }
  evrouter::v1::Permission permission;
  const std::string& action = words[0];
  if (action == "admin") {
    if (words.size() > 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(prefix, ": admin takes no PATTERN"));
    }
    permission.set_action(evrouter::v1::PERMISSION_ACTION_ADMIN);
    return permission;
  }
  if (action == "publish") {
    permission.set_action(evrouter::v1::PERMISSION_ACTION_PUBLISH);
  } else if (action == "subscribe") {
    permission.set_action(evrouter::v1::PERMISSION_ACTION_SUBSCRIBE);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": unknown permission '", action,
                     "' (admin, publish PATTERN or subscribe PATTERN)"));
  }
  if (words.size() != 2 || words[1].empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(prefix, ": ", action, " needs one PATTERN"));
  }
  permission.set_pattern(words[1]);
  return permission;
}

absl::StatusOr<evrouter::v1::Permission> PermissionFromFlag(
    std::string_view flag, const std::string& value) {
  evrouter::v1::Permission permission;
  if (flag == "admin") {
    permission.set_action(evrouter::v1::PERMISSION_ACTION_ADMIN);
    return permission;
  }
  if (value.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", std::string(flag), " needs a PATTERN"));
  }
  permission.set_action(flag == "publish"
                            ? evrouter::v1::PERMISSION_ACTION_PUBLISH
                            : evrouter::v1::PERMISSION_ACTION_SUBSCRIBE);
  permission.set_pattern(value);
  return permission;
}

absl::StatusOr<std::string> TokenIdFromArgument(std::string_view text) {
  if (absl::StartsWith(absl::AsciiStrToLower(std::string(text)),
                       kTokenPrefix)) {
    const std::string_view rest = text.substr(kTokenPrefixLength);
    const size_t underscore = rest.find('_');
    if (underscore == std::string_view::npos ||
        !IsTokenId(rest.substr(0, underscore)) ||
        underscore + 1 == rest.size()) {
      return absl::InvalidArgumentError(
          "token revoke: the token given is not evr_<id>_<secret>");
    }
    return std::string(rest.substr(0, underscore));
  }
  if (IsTokenId(text)) return std::string(text);
  // Not quoted: it may be a token's secret part.
  return absl::InvalidArgumentError(
      "token revoke: the argument is neither a token id (lowercase letters "
      "and digits, as 'user list' shows) nor a token (evr_<id>_<secret>)");
}

bool MayBeToken(std::string_view text) {
  return absl::StrContains(absl::AsciiStrToLower(std::string(text)),
                           kTokenPrefix);
}

}  // namespace evrouter::cli
