#ifndef EVROUTER_BENCH_RESULT_JSON_H_
#define EVROUTER_BENCH_RESULT_JSON_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"

namespace evrouter::bench {

// One workload's result: named fields in insertion order, each null, a bool,
// an integer, a number, a string or a list of numbers. Printed as one JSON
// object per line.
class BenchResult {
 public:
  using Value = std::variant<std::monostate, bool, int64_t, double, std::string,
                             std::vector<double>>;

  explicit BenchResult(absl::string_view workload);

  // Adds a field, or replaces it in place when it exists.
  void Set(absl::string_view key, Value value);
  void SetNumber(absl::string_view key, std::optional<double> value);
  void SetInt(absl::string_view key, int64_t value) { Set(key, value); }
  void SetNull(absl::string_view key) { Set(key, std::monostate{}); }

  // The field as a number (integers included); nullopt when missing or null.
  std::optional<double> Number(absl::string_view key) const;
  const std::string& workload() const { return workload_; }

  // {"workload":"W1","events_per_sec":123.4,...} without a newline.
  std::string ToJson() const;
  // One human-readable line with the headline numbers.
  std::string HumanLine() const;

 private:
  std::string workload_;
  std::vector<std::pair<std::string, Value>> fields_;
};

}  // namespace evrouter::bench

#endif  // EVROUTER_BENCH_RESULT_JSON_H_
