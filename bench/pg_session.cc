#include "bench/pg_session.h"

#include <libpq-fe.h>

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace evrouter::bench {
namespace {

// Owns a PGresult.
struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

// Owns the array of PQconninfoParse().
struct ConninfoDeleter {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};
using Conninfo = std::unique_ptr<PQconninfoOption, ConninfoDeleter>;

absl::StatusOr<Conninfo> ParseDsn(const std::string& dsn) {
  char* error = nullptr;
  Conninfo options(PQconninfoParse(dsn.c_str(), &error));
  if (options == nullptr) {
    std::string message = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    return absl::InvalidArgumentError(absl::StrCat(
        "bad --pg-dsn: ", absl::StripTrailingAsciiWhitespace(message)));
  }
  return options;
}

std::string QuoteConninfoValue(absl::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

absl::StatusOr<std::unique_ptr<PgSession>> PgSession::Connect(
    const std::string& dsn) {
  PGconn* conn = PQconnectdb(dsn.c_str());
  if (conn == nullptr) return absl::ResourceExhaustedError("libpq: no memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    PQfinish(conn);
    return absl::UnavailableError(
        absl::StrCat("cannot connect to Postgres: ",
                     absl::StripTrailingAsciiWhitespace(message)));
  }
  return std::unique_ptr<PgSession>(new PgSession(conn));
}

PgSession::~PgSession() { PQfinish(conn_); }

absl::Status PgSession::Error(absl::string_view what) const {
  return absl::InternalError(absl::StrCat(
      what, ": ", absl::StripTrailingAsciiWhitespace(PQerrorMessage(conn_))));
}

absl::Status PgSession::Exec(const std::string& sql) {
  Result result(PQexec(conn_, sql.c_str()));
  ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return Error(sql);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string>> PgSession::QueryValue(
    const std::string& sql) {
  Result result(PQexec(conn_, sql.c_str()));
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) return Error(sql);
  if (PQntuples(result.get()) == 0 || PQnfields(result.get()) == 0 ||
      PQgetisnull(result.get(), 0, 0)) {
    return std::nullopt;
  }
  return std::string(PQgetvalue(result.get(), 0, 0));
}

absl::StatusOr<int> DsnPort(const std::string& dsn) {
  absl::StatusOr<Conninfo> options = ParseDsn(dsn);
  if (!options.ok()) return options.status();
  for (PQconninfoOption* option = options->get(); option->keyword != nullptr;
       ++option) {
    if (absl::string_view(option->keyword) != "port" ||
        option->val == nullptr || option->val[0] == '\0') {
      continue;
    }
    // A multi-host DSN lists ports separated by commas: take the first.
    absl::string_view first =
        *absl::StrSplit(absl::string_view(option->val), ',').begin();
    int port;
    if (!absl::SimpleAtoi(first, &port)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad port in --pg-dsn: ", option->val));
    }
    return port;
  }
  if (const char* env = std::getenv("PGPORT")) {
    int port;
    if (absl::SimpleAtoi(env, &port)) return port;
  }
  return 5432;
}

absl::StatusOr<std::string> DsnWithDatabase(const std::string& dsn,
                                            absl::string_view database) {
  absl::StatusOr<Conninfo> options = ParseDsn(dsn);
  if (!options.ok()) return options.status();
  std::string out;
  for (PQconninfoOption* option = options->get(); option->keyword != nullptr;
       ++option) {
    absl::string_view keyword = option->keyword;
    if (keyword == "dbname" || option->val == nullptr) continue;
    absl::StrAppend(&out, keyword, "=", QuoteConninfoValue(option->val), " ");
  }
  absl::StrAppend(&out, "dbname=", QuoteConninfoValue(database));
  return out;
}

}  // namespace evrouter::bench
