#ifndef EVROUTER_BENCH_PG_CEILING_H_
#define EVROUTER_BENCH_PG_CEILING_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace evrouter::bench {

struct CeilingResult {
  uint64_t rows = 0;
  double seconds = 0;
  double rows_per_sec = 0;
};

// The Postgres ceiling: over one connection to `dsn` (the server's database),
// creates bench_ceiling_<pid> LIKE events INCLUDING ALL, writes `rows` rows
// shaped like the server's (256-byte payload, offsets 1..rows, one
// exchange_id) as the server writes them (binary COPY, "BEGIN; COPY; COMMIT"
// in two round trips) per `rows_per_tx` rows, and drops the table again.
// FAILED_PRECONDITION without an events table.
absl::StatusOr<CeilingResult> MeasureCeiling(const std::string& dsn,
                                             uint64_t rows,
                                             uint32_t rows_per_tx = 100);

}  // namespace evrouter::bench

#endif  // EVROUTER_BENCH_PG_CEILING_H_
