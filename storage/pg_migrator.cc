#include "storage/pg_migrator.h"

#include <algorithm>
#include <memory>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "server/logging/logging.h"
#include "storage/pg_errors.h"
#include "storage/pg_event_store.h"

namespace evrouter {
namespace {

// Debian's Abseil has its own string_view type; convert at call sites.
absl::string_view AsAbsl(std::string_view s) { return {s.data(), s.size()}; }

constexpr std::string_view kLockMigrations = "SELECT pg_advisory_xact_lock($1)";

constexpr std::string_view kCreateSchemaMigrations = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    int PRIMARY KEY,
  name       text,
  applied_at timestamptz DEFAULT now()
))sql";

constexpr std::string_view kSelectAppliedVersions =
    "SELECT version FROM schema_migrations";

constexpr std::string_view kRecordMigration =
    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)";

constexpr std::string_view kMask = "****";

// Masks the userinfo password and a password= query parameter of a URI.
std::string MaskUri(std::string_view dsn, size_t authority_start) {
  std::string out(dsn);
  size_t authority_end = out.find_first_of("/?#", authority_start);
  if (authority_end == std::string::npos) authority_end = out.size();
  const size_t at = out.rfind('@', authority_end);
  if (at != std::string::npos && at >= authority_start) {
    const size_t colon = out.find(':', authority_start);
    if (colon != std::string::npos && colon < at) {
      out.replace(colon + 1, at - colon - 1, kMask);
    }
  }
  size_t param = out.find('?');
  while (param != std::string::npos) {
    ++param;
    size_t end = out.find_first_of("&#", param);
    if (end == std::string::npos) end = out.size();
    if (absl::StartsWith(absl::string_view(out).substr(param), "password=")) {
      const size_t value = param + std::string_view("password=").size();
      out.replace(value, end - value, kMask);
      end = value + kMask.size();
    }
    param = end < out.size() && out[end] == '&' ? end : std::string::npos;
  }
  return out;
}

// Masks the value of every password key in a key=value connection string.
std::string MaskKeyValue(std::string_view dsn) {
  std::string out;
  size_t pos = 0;
  while (pos < dsn.size()) {
    if (absl::ascii_isspace(dsn[pos])) {
      out.push_back(dsn[pos++]);
      continue;
    }
    const size_t key_start = pos;
    while (pos < dsn.size() && dsn[pos] != '=' &&
           !absl::ascii_isspace(dsn[pos])) {
      ++pos;
    }
    const std::string_view key = dsn.substr(key_start, pos - key_start);
    while (pos < dsn.size() && absl::ascii_isspace(dsn[pos])) ++pos;
    if (pos >= dsn.size() || dsn[pos] != '=') {
      out.append(dsn.substr(key_start, pos - key_start));
      continue;
    }
    ++pos;
    while (pos < dsn.size() && absl::ascii_isspace(dsn[pos])) ++pos;
    out.append(dsn.substr(key_start, pos - key_start));
    const size_t value_start = pos;
    if (pos < dsn.size() && dsn[pos] == '\'') {
      ++pos;
      while (pos < dsn.size() && dsn[pos] != '\'') {
        pos += dsn[pos] == '\\' ? 2 : 1;
      }
      pos = std::min(pos + 1, dsn.size());
    } else {
      while (pos < dsn.size() && !absl::ascii_isspace(dsn[pos])) {
        pos += dsn[pos] == '\\' ? 2 : 1;
      }
      pos = std::min(pos, dsn.size());
    }
    if (key == "password") {
      out.append(kMask);
    } else {
      out.append(dsn.substr(value_start, pos - value_start));
    }
  }
  return out;
}

}  // namespace

std::string MaskDsnPassword(std::string_view dsn) {
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (absl::StartsWith(AsAbsl(dsn), AsAbsl(scheme)))
      return MaskUri(dsn, scheme.size());
  }
  return MaskKeyValue(dsn);
}

absl::Status ApplyMigrations(const std::string& dsn,
                             const std::vector<Migration>& migrations) {
  std::vector<const Migration*> ordered;
  for (const Migration& migration : migrations) {
    if (migration.version <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "migration ", migration.name, ": version must be positive"));
    }
    ordered.push_back(&migration);
  }
  std::sort(ordered.begin(), ordered.end(),
            [](const Migration* a, const Migration* b) {
              return a->version < b->version;
            });
  for (size_t i = 1; i < ordered.size(); ++i) {
    if (ordered[i]->version == ordered[i - 1]->version) {
      return absl::InvalidArgumentError(absl::StrCat(
          "migrations ", ordered[i - 1]->name, " and ", ordered[i]->name,
          " share version ", ordered[i]->version));
    }
  }

  std::unique_ptr<pqxx::connection> conn;
  absl::Status status = RunMappingPgErrors("migrations: connect", [&] {
    conn = std::make_unique<pqxx::connection>(
        WithConnectionDefaults(dsn, absl::Seconds(10)));
    return absl::OkStatus();
  });
  if (!status.ok()) return status;

  // One transaction per migration; each re-reads what is applied once it
  // holds the lock, since another server may have applied it meanwhile.
  bool warned_unknown = false;
  while (true) {
    const Migration* applied = nullptr;
    status = RunMappingPgErrors("migrations", [&] {
      pqxx::work tx(*conn);
      tx.exec_params(std::string(kLockMigrations), kMigrationLockKey);
      tx.exec(std::string(kCreateSchemaMigrations));
      std::set<int> done;
      for (const pqxx::row& row :
           tx.exec(std::string(kSelectAppliedVersions))) {
        done.insert(row[0].as<int>());
      }
      if (!warned_unknown && !done.empty() &&
          (ordered.empty() || *done.rbegin() > ordered.back()->version)) {
        logging::Warn(
            logging::Logger("storage"),
            absl::StrCat("database schema has version ", *done.rbegin(),
                         ", newer than this binary knows"),
            {{"schema_version", *done.rbegin()}});
        warned_unknown = true;
      }
      for (const Migration* migration : ordered) {
        if (done.count(migration->version) > 0) continue;
        applied = migration;
        break;
      }
      if (applied == nullptr) {
        tx.commit();
        return absl::OkStatus();
      }
      tx.exec(applied->sql);
      tx.exec_params(std::string(kRecordMigration), applied->version,
                     applied->name);
      tx.commit();
      return absl::OkStatus();
    });
    if (!status.ok()) {
      if (applied == nullptr) return status;
      return absl::Status(
          status.code(),
          absl::StrCat("migration ", applied->name, ": ", status.message()));
    }
    if (applied == nullptr) return absl::OkStatus();
    logging::Info(logging::Logger("storage"),
                  absl::StrCat("applied migration ", applied->version, " (",
                               applied->name, ")"),
                  {{"version", applied->version}, {"name", applied->name}});
  }
}

}  // namespace evrouter
