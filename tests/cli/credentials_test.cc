// Where the CLI's token and TLS settings come from (flags, environment,
// default file) and reading their files, in a temporary directory.
#include "client/cli/credentials.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/cli/cli_args.h"

namespace evrouter::cli {
namespace {

using Env = std::map<std::string, std::string, std::less<>>;

constexpr char kFlagToken[] = "evr_111111111111_flag";
constexpr char kEnvToken[] = "evr_222222222222_env";

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = ::testing::TempDir() + "/cli_credentials_XXXXXX";
    ASSERT_NE(mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }

  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `contents` to DIR/name (creating directories) and returns the path.
  std::string Write(const std::string& name, const std::string& contents) {
    const std::filesystem::path path = std::filesystem::path(dir_) / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << contents;
    return path.string();
  }

  // The default token file for HOME=DIR.
  std::string DefaultFile() const {
    return absl::StrCat(dir_, "/.config/evrouter/token");
  }

  static absl::StatusOr<CliArgs> Parse(const std::vector<std::string>& args,
                                       const Env& env) {
    return ParseArgs(args, [&env](std::string_view name) {
      auto it = env.find(name);
      return it == env.end() ? std::string() : it->second;
    });
  }

  // Parses `flags` + "health" with `env` and loads the credentials.
  static absl::StatusOr<Credentials> Load(std::vector<std::string> flags,
                                          const Env& env) {
    flags.push_back("health");
    absl::StatusOr<CliArgs> args = Parse(flags, env);
    if (!args.ok()) return args.status();
    return LoadCredentials(args->credentials);
  }

  std::string dir_;
};

// One step of the token precedence and what it must resolve to.
struct TokenCase {
  std::vector<std::string> flags;
  Env env;
  TokenSource source;
  std::string token;  // kFlag, kEnv
  std::string file;   // file sources
};

TEST_F(CredentialsTest, TokenPrecedenceIsFlagEnvFileFlagFileEnvDefault) {
  const std::string home = dir_;
  const std::vector<TokenCase> cases = {
      {{}, {}, TokenSource::kNone, "", ""},
      {{}, {{"HOME", home}}, TokenSource::kDefaultFile, "", DefaultFile()},
      {{},
       {{"HOME", home}, {"XDG_CONFIG_HOME", "/xdg"}},
       TokenSource::kDefaultFile,
       "",
       "/xdg/evrouter/token"},
      // A relative XDG_CONFIG_HOME is ignored (XDG base directory spec).
      {{},
       {{"HOME", home}, {"XDG_CONFIG_HOME", "rel"}},
       TokenSource::kDefaultFile,
       "",
       DefaultFile()},
      {{},
       {{"HOME", home}, {"EVROUTER_TOKEN_FILE", "/env.tok"}},
       TokenSource::kFileEnv,
       "",
       "/env.tok"},
      {{"--token-file", "/flag.tok"},
       {{"HOME", home}, {"EVROUTER_TOKEN_FILE", "/env.tok"}},
       TokenSource::kFileFlag,
       "",
       "/flag.tok"},
      {{"--token-file", "/flag.tok"},
       {{"EVROUTER_TOKEN", kEnvToken}, {"EVROUTER_TOKEN_FILE", "/env.tok"}},
       TokenSource::kEnv,
       kEnvToken,
       ""},
      {{"--token", kFlagToken},
       {{"EVROUTER_TOKEN", kEnvToken}, {"EVROUTER_TOKEN_FILE", "/env.tok"}},
       TokenSource::kFlag,
       kFlagToken,
       ""},
      // --token wins over --token-file in either order.
      {{"--token-file", "/flag.tok", "--token", kFlagToken},
       {},
       TokenSource::kFlag,
       kFlagToken,
       ""},
      {{"--token", kFlagToken, "--token-file=/flag.tok"},
       {},
       TokenSource::kFlag,
       kFlagToken,
       ""},
      // The last of a repeated flag wins.
      {{"--token-file", "/a.tok", "--token-file", "/b.tok"},
       {},
       TokenSource::kFileFlag,
       "",
       "/b.tok"},
      // A variable set to "" counts as unset.
      {{},
       {{"EVROUTER_TOKEN", ""}, {"EVROUTER_TOKEN_FILE", "/env.tok"}},
       TokenSource::kFileEnv,
       "",
       "/env.tok"},
  };
  for (const TokenCase& c : cases) {
    SCOPED_TRACE(testing::Message() << "case " << (&c - cases.data()));
    std::vector<std::string> argv = c.flags;
    argv.push_back("health");
    absl::StatusOr<CliArgs> args = Parse(argv, c.env);
    ASSERT_TRUE(args.ok()) << args.status();
    EXPECT_EQ(args->credentials.token_source, c.source);
    EXPECT_EQ(args->credentials.token, c.token);
    EXPECT_EQ(args->credentials.token_file, c.file);
  }
}

TEST_F(CredentialsTest, LoadsTheTokenOfTheWinningSourceTrimmed) {
  const std::string flag_file = Write("flag.tok", "\n  evr_333333333333_ff \n");
  const std::string env_file = Write("env.tok", "evr_444444444444_fe");
  Write(".config/evrouter/token", "evr_555555555555_df\r\n");
  Env env = {{"HOME", dir_},
             {"EVROUTER_TOKEN", kEnvToken},
             {"EVROUTER_TOKEN_FILE", env_file}};
  const std::vector<std::string> all = {"--token", kFlagToken, "--token-file",
                                        flag_file};
  const std::vector<std::string> file_only = {"--token-file", flag_file};

  absl::StatusOr<Credentials> loaded = Load(all, env);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->token, kFlagToken);
  loaded = Load(file_only, env);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->token, kEnvToken);
  env.erase("EVROUTER_TOKEN");
  loaded = Load(file_only, env);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->token, "evr_333333333333_ff");
  loaded = Load({}, env);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->token, "evr_444444444444_fe");
  env.erase("EVROUTER_TOKEN_FILE");
  loaded = Load({}, env);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->token, "evr_555555555555_df");
  std::filesystem::remove(DefaultFile());
  loaded = Load({}, env);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->token, "");
  EXPECT_FALSE(loaded->tls.enabled);
}

TEST_F(CredentialsTest, TokenFileErrorsNameTheFileNotTheToken) {
  const std::string missing = dir_ + "/missing.tok";
  absl::StatusOr<Credentials> loaded = Load({"--token-file", missing}, {});
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(loaded.status().message(),
            absl::StrCat("cannot read the token file ", missing,
                         ": No such file or directory"));

  loaded = Load({}, {{"EVROUTER_TOKEN_FILE", Write("empty.tok", " \n\t")}});
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(loaded.status().message(),
            absl::StrCat("the token file ", dir_, "/empty.tok is empty"));

  loaded = Load({"--token-file", dir_}, {});
  EXPECT_EQ(loaded.status().message(),
            absl::StrCat("the token file ", dir_, " is a directory"));

  loaded = Load({"--token-file", Write("big.tok", std::string(5000, 'a'))}, {});
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(loaded.status().message().find("is larger than 4096 bytes"),
            std::string::npos)
      << loaded.status();

  // Two lines, a space inside, a control or non-ASCII character: the message
  // names where the token came from, never the token.
  for (const std::string& bad :
       {std::string("evr_1_secretA\nevr_2_secretB"), std::string("a secretC"),
        std::string("secretD\x01"), std::string("secretE\xc3\xa9")}) {
    loaded = Load({"--token-file", Write("bad.tok", bad)}, {});
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(loaded.status().message(),
              absl::StrCat("the token from the file ", dir_,
                           "/bad.tok (--token-file) has characters a token "
                           "cannot have (spaces, control or non-ASCII "
                           "characters)"));
    loaded = Load({"--token", bad}, {});
    EXPECT_EQ(loaded.status().message().find("secret"), std::string::npos)
        << loaded.status();
  }
}

// A default file that exists but cannot be read is an error, not "no token"
// (a directory: unreadable for root too).
TEST_F(CredentialsTest, UnreadableDefaultFileIsAnErrorNamingIt) {
  std::filesystem::create_directories(DefaultFile());
  absl::StatusOr<Credentials> loaded = Load({}, {{"HOME", dir_}});
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(loaded.status().message(),
            absl::StrCat("the token file ", DefaultFile(), " is a directory"));
}

TEST_F(CredentialsTest, TlsFlagsAndEnvironment) {
  const std::string ca = Write("ca.pem", "CA PEM");
  const std::string env_ca = Write("env-ca.pem", "ENV CA PEM");
  const std::string cert = Write("cert.pem", "CERT PEM");
  const std::string key = Write("key.pem", "KEY PEM");

  absl::StatusOr<Credentials> loaded = Load({}, {});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_FALSE(loaded->tls.enabled);

  loaded = Load({"--tls"}, {});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->tls.enabled);
  EXPECT_EQ(loaded->tls.root_certs_pem, "");  // the system's roots

  loaded = Load({"--tls-ca", ca}, {{"EVROUTER_TLS_CA", env_ca}});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->tls.enabled);
  EXPECT_EQ(loaded->tls.root_certs_pem, "CA PEM");

  loaded = Load({}, {{"EVROUTER_TLS_CA", env_ca}});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->tls.enabled);
  EXPECT_EQ(loaded->tls.root_certs_pem, "ENV CA PEM");

  loaded = Load({"--tls-cert", cert}, {{"EVROUTER_TLS_KEY", key}});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->tls.enabled);
  EXPECT_EQ(loaded->tls.root_certs_pem, "");
  EXPECT_EQ(loaded->tls.cert_chain_pem, "CERT PEM");
  EXPECT_EQ(loaded->tls.private_key_pem, "KEY PEM");

  loaded = Load({}, {{"EVROUTER_TLS_CERT", cert}, {"EVROUTER_TLS_KEY", key}});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->tls.enabled);
  EXPECT_EQ(loaded->tls.cert_chain_pem, "CERT PEM");

  loaded = Load({}, {{"EVROUTER_TLS_CERT", cert}});
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kInvalidArgument);

  const std::string missing = dir_ + "/none.pem";
  loaded = Load({"--tls-ca", missing}, {});
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(loaded.status().message().find(missing), std::string::npos)
      << loaded.status();
  loaded = Load({"--tls-cert", cert, "--tls-key", missing}, {});
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(loaded.status().message().find(missing), std::string::npos)
      << loaded.status();
}

TEST_F(CredentialsTest, UnauthenticatedHintSaysHowToGiveAToken) {
  absl::StatusOr<CliArgs> args = Parse({"health"}, {{"HOME", dir_}});
  ASSERT_TRUE(args.ok()) << args.status();
  const std::string none = UnauthenticatedHint(args->credentials, false);
  for (const std::string& word :
       {std::string("no token was sent"), std::string("--token TOKEN"),
        std::string("--token-file FILE"), std::string("EVROUTER_TOKEN"),
        std::string("EVROUTER_TOKEN_FILE"), DefaultFile()}) {
    EXPECT_NE(none.find(word), std::string::npos) << word << " in " << none;
  }
  args = Parse({"health"}, {});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_NE(UnauthenticatedHint(args->credentials, false)
                .find("${XDG_CONFIG_HOME:-$HOME/.config}/evrouter/token"),
            std::string::npos);

  args = Parse({"health"}, {{"EVROUTER_TOKEN", kEnvToken}});
  ASSERT_TRUE(args.ok()) << args.status();
  const std::string refused = UnauthenticatedHint(args->credentials, true);
  EXPECT_NE(refused.find("the server refused the token from EVROUTER_TOKEN"),
            std::string::npos)
      << refused;
  EXPECT_EQ(refused.find(kEnvToken), std::string::npos) << refused;

  args = Parse({"--token-file", "/t", "health"}, {});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(TokenSourceText(args->credentials), "the file /t (--token-file)");
  args = Parse({"health"}, {{"HOME", dir_}});
  EXPECT_EQ(TokenSourceText(args->credentials),
            absl::StrCat("the file ", DefaultFile()));
  args = Parse({"health"}, {{"EVROUTER_TOKEN_FILE", "/e"}});
  EXPECT_EQ(TokenSourceText(args->credentials),
            "the file /e (EVROUTER_TOKEN_FILE)");
  args = Parse({"--token", kFlagToken, "health"}, {});
  EXPECT_EQ(TokenSourceText(args->credentials), "--token");
}

}  // namespace
}  // namespace evrouter::cli
