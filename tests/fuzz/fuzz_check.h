#ifndef EVROUTER_TESTS_FUZZ_FUZZ_CHECK_H_
#define EVROUTER_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace evrouter::fuzz {

// An invariant of a fuzz target: when it does not hold, prints `what` and
// aborts, which libFuzzer reports as a crash and saves the input.
inline void Check(bool holds, absl::string_view what) {
  if (holds) return;
  std::fprintf(stderr, "fuzz invariant violated: %.*s\n",
               static_cast<int>(what.size()), what.data());
  std::abort();
}

// A rejection is INVALID_ARGUMENT whose message starts with one of `fields`
// followed by ':', '[' or '.' (e.g. "events[2].type: must not be empty").
template <typename Fields>
void CheckRejection(const absl::Status& status, const Fields& fields) {
  if (status.ok()) return;
  const std::string text = status.ToString();
  Check(status.code() == absl::StatusCode::kInvalidArgument,
        "a rejection is not INVALID_ARGUMENT: " + text);
  absl::string_view message = status.message();
  bool names_field = false;
  for (absl::string_view field : fields) {
    if (message.size() > field.size() &&
        message.substr(0, field.size()) == field) {
      char next = message[field.size()];
      names_field = names_field || next == ':' || next == '[' || next == '.';
    }
  }
  Check(names_field, "the rejection names no expected field: " + text);
}

}  // namespace evrouter::fuzz

#endif  // EVROUTER_TESTS_FUZZ_FUZZ_CHECK_H_
