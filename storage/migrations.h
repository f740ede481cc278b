#ifndef EVROUTER_STORAGE_MIGRATIONS_H_
#define EVROUTER_STORAGE_MIGRATIONS_H_

#include <string>
#include <vector>

namespace evrouter {

// One schema step from migrations/NNNN_name.sql.
struct Migration {
  int version;
  std::string name;
  std::string sql;
};

// The migrations compiled into this binary, in version order.
const std::vector<Migration>& EmbeddedMigrations();

}  // namespace evrouter

#endif  // EVROUTER_STORAGE_MIGRATIONS_H_
