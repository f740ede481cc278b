#include "storage/pg_errors.h"

#include <pqxx/except>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace evrouter {
namespace {

// Debian's Abseil has its own string_view type; convert at call sites.
absl::string_view AsAbsl(std::string_view s) { return {s.data(), s.size()}; }

// libpq messages end with a newline; keep statuses on one line.
std::string Clean(std::string_view message) {
  return std::string(absl::StripTrailingAsciiWhitespace(AsAbsl(message)));
}

}  // namespace

absl::Status StatusFromSqlState(std::string_view what,
                                std::string_view sqlstate,
                                std::string_view message) {
  const std::string text = absl::StrCat(AsAbsl(what), ": ", Clean(message));
  if (absl::StartsWith(AsAbsl(sqlstate), "08") || sqlstate == "57P01" ||
      sqlstate == "57P02" || sqlstate == "57P03") {
    return absl::UnavailableError(text);
  }
  if (sqlstate == "23505") return absl::AlreadyExistsError(text);
  if (sqlstate == "23503") return absl::NotFoundError(text);
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return absl::AbortedError(text);
  }
  return absl::InternalError(text);
}

absl::Status StatusFromCurrentException(std::string_view what) {
  try {
    throw;
  } catch (const pqxx::in_doubt_error& e) {
    return absl::UnavailableError(absl::StrCat(
        AsAbsl(what),
        ": commit outcome unknown, the connection broke during commit: ",
        Clean(e.what())));
  } catch (const pqxx::broken_connection& e) {
    return absl::UnavailableError(
        absl::StrCat(AsAbsl(what), ": ", Clean(e.what())));
  } catch (const pqxx::sql_error& e) {  // incl. unique_violation (23505)
    return StatusFromSqlState(what, e.sqlstate(), e.what());
  } catch (const pqxx::serialization_failure& e) {
    return absl::AbortedError(
        absl::StrCat(AsAbsl(what), ": ", Clean(e.what())));
  } catch (const pqxx::statement_completion_unknown& e) {
    return absl::UnavailableError(absl::StrCat(
        AsAbsl(what), ": statement outcome unknown: ", Clean(e.what())));
  } catch (const pqxx::deadlock_detected& e) {
    return absl::AbortedError(
        absl::StrCat(AsAbsl(what), ": ", Clean(e.what())));
  } catch (const std::exception& e) {
    return absl::InternalError(
        absl::StrCat(AsAbsl(what), ": ", Clean(e.what())));
  } catch (...) {
    return absl::InternalError(
        absl::StrCat(AsAbsl(what), ": unknown exception"));
  }
}

absl::Status RunMappingPgErrors(std::string_view what,
                                absl::FunctionRef<absl::Status()> fn) {
  try {
    return fn();
  } catch (...) {
    return StatusFromCurrentException(what);
  }
}

bool IsConnectionLost(const absl::Status& status) {
  return absl::IsUnavailable(status);
}

}  // namespace evrouter
