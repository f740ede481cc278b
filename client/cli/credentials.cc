#include "client/cli/credentials.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace evrouter::cli {
namespace {

// A token is one short line; a larger file is a mistake (or /dev/zero).
constexpr size_t kMaxTokenFileBytes = 4096;

std::string DefaultTokenFile(EnvLookup env) {
  // The XDG spec ignores a relative XDG_CONFIG_HOME.
  const std::string config = env("XDG_CONFIG_HOME");
  if (!config.empty() && config.front() == '/') {
    return absl::StrCat(config, "/evrouter/token");
  }
  const std::string home = env("HOME");
  if (!home.empty()) return absl::StrCat(home, "/.config/evrouter/token");
  return "";
}

// Printable ASCII without spaces: what an authorization header can carry.
bool IsTokenText(std::string_view token) {
  return std::all_of(token.begin(), token.end(),
                     [](char c) { return c > ' ' && c < 0x7f; });
}

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the token file ", path, " is a directory"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read the token file ", path,
                                            ": ", std::strerror(errno)));
  }
  std::string contents(kMaxTokenFileBytes + 1, '\0');
  in.read(contents.data(), static_cast<std::streamsize>(contents.size()));
  if (in.bad()) {
    return absl::NotFoundError(
        absl::StrCat("cannot read the token file ", path));
  }
  contents.resize(static_cast<size_t>(in.gcount()));
  if (contents.size() > kMaxTokenFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the token file ", path, " is larger than ",
                     kMaxTokenFileBytes, " bytes; it holds only the token"));
  }
  std::string token(absl::StripAsciiWhitespace(contents));
  if (token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the token file ", path, " is empty"));
  }
  return token;
}

}  // namespace

bool IsCredentialFlag(std::string_view name) {
  return name == "token" || name == "token-file" || name == "tls" ||
         name == "tls-ca" || name == "tls-cert" || name == "tls-key";
}

absl::Status ApplyCredentialFlag(std::string_view name,
                                 const std::string& value,
                                 CredentialArgs& credentials) {
  CredentialArgs& c = credentials;
  if (name == "tls") {
    c.tls = true;
    return absl::OkStatus();
  }
  if (value.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", std::string(name), " needs ",
                     name == "token" ? "a TOKEN" : "a FILE"));
  }
  if (name == "token") {
    c.token_source = TokenSource::kFlag;
    c.token = value;
    c.token_file.clear();
  } else if (name == "token-file") {
    if (c.token_source != TokenSource::kFlag) {
      c.token_source = TokenSource::kFileFlag;
      c.token_file = value;
    }
  } else if (name == "tls-ca") {
    c.tls_ca = value;
  } else if (name == "tls-cert") {
    c.tls_cert = value;
  } else if (name == "tls-key") {
    c.tls_key = value;
  }
  return absl::OkStatus();
}

absl::Status ResolveCredentialArgs(EnvLookup env, CredentialArgs& credentials) {
  CredentialArgs& c = credentials;
  c.default_token_file = DefaultTokenFile(env);
  if (c.token_source != TokenSource::kFlag) {
    if (std::string token = env("EVROUTER_TOKEN"); !token.empty()) {
      c.token_source = TokenSource::kEnv;
      c.token = std::move(token);
      c.token_file.clear();
    } else if (c.token_source != TokenSource::kFileFlag) {
      if (std::string file = env("EVROUTER_TOKEN_FILE"); !file.empty()) {
        c.token_source = TokenSource::kFileEnv;
        c.token_file = std::move(file);
      } else if (!c.default_token_file.empty()) {
        c.token_source = TokenSource::kDefaultFile;
        c.token_file = c.default_token_file;
      }
    }
  }
  for (auto [value, variable] : {std::pair{&c.tls_ca, "EVROUTER_TLS_CA"},
                                 std::pair{&c.tls_cert, "EVROUTER_TLS_CERT"},
                                 std::pair{&c.tls_key, "EVROUTER_TLS_KEY"}}) {
    if (value->empty()) *value = env(variable);
    if (!value->empty()) c.tls = true;
  }
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return absl::InvalidArgumentError(
        "a client certificate needs both --tls-cert FILE and --tls-key FILE "
        "(or env EVROUTER_TLS_CERT and EVROUTER_TLS_KEY)");
  }
  return absl::OkStatus();
}

absl::StatusOr<Credentials> LoadCredentials(const CredentialArgs& credentials) {
  Credentials loaded;
  switch (credentials.token_source) {
    case TokenSource::kNone:
      break;
    case TokenSource::kFlag:
    case TokenSource::kEnv:
      loaded.token = credentials.token;
      break;
    case TokenSource::kDefaultFile: {
      std::error_code error;
      if (!std::filesystem::exists(credentials.token_file, error)) break;
      [[fallthrough]];
    }
    case TokenSource::kFileFlag:
    case TokenSource::kFileEnv: {
      absl::StatusOr<std::string> token = ReadTokenFile(credentials.token_file);
      if (!token.ok()) return token.status();
      loaded.token = *std::move(token);
      break;
    }
  }
  if (!IsTokenText(loaded.token)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the token from ", TokenSourceText(credentials),
                     " has characters a token cannot have (spaces, control "
                     "or non-ASCII characters)"));
  }
  if (credentials.tls) {
    absl::StatusOr<client::TlsOptions> tls = client::ReadTlsFiles(
        credentials.tls_ca, credentials.tls_cert, credentials.tls_key);
    if (!tls.ok()) return tls.status();
    loaded.tls = *std::move(tls);
  }
  return loaded;
}

std::string TokenSourceText(const CredentialArgs& credentials) {
  const std::string& file = credentials.token_file;
  switch (credentials.token_source) {
    case TokenSource::kNone:
      return "nowhere";
    case TokenSource::kFlag:
      return "--token";
    case TokenSource::kEnv:
      return "EVROUTER_TOKEN";
    case TokenSource::kFileFlag:
      return absl::StrCat("the file ", file, " (--token-file)");
    case TokenSource::kFileEnv:
      return absl::StrCat("the file ", file, " (EVROUTER_TOKEN_FILE)");
    case TokenSource::kDefaultFile:
      return absl::StrCat("the file ", file);
  }
  return "?";
}

std::string UnauthenticatedHint(const CredentialArgs& credentials,
                                bool token_sent) {
  if (token_sent) {
    return absl::StrCat(
        "evrouter: the server refused the token from ",
        TokenSourceText(credentials),
        " (unknown, revoked, or its user deleted); an admin can issue a new "
        "one with 'evrouter token issue USER'\n");
  }
  const std::string default_file =
      credentials.default_token_file.empty()
          ? std::string("${XDG_CONFIG_HOME:-$HOME/.config}/evrouter/token")
          : credentials.default_token_file;
  return absl::StrCat(
      "evrouter: no token was sent; give one with --token TOKEN, "
      "--token-file FILE, env EVROUTER_TOKEN or EVROUTER_TOKEN_FILE, or put "
      "it in ",
      default_file, "\n");
}

}  // namespace evrouter::cli
