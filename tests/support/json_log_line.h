#ifndef EVROUTER_TESTS_SUPPORT_JSON_LOG_LINE_H_
#define EVROUTER_TESTS_SUPPORT_JSON_LOG_LINE_H_

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace evrouter::testing {

// One line of evrouterd's JSON log (without its newline) as an object, by
// protobuf's JSON parser (which also refuses invalid UTF-8). Not OK when it
// is not one JSON object, holds a raw control character, or lacks one of
// the string keys ts, level, component and msg.
inline absl::StatusOr<google::protobuf::Struct> ParseJsonLogLine(
    absl::string_view line) {
  for (char c : line) {
    if (static_cast<unsigned char>(c) < 0x20) {
      return absl::InvalidArgumentError(
          absl::StrCat("raw control character in: ", line));
    }
  }
  google::protobuf::Struct object;
  const auto parsed =
      google::protobuf::util::JsonStringToMessage(std::string(line), &object);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(parsed.ToString(), " in: ", line));
  }
  for (const char* key : {"ts", "level", "component", "msg"}) {
    auto it = object.fields().find(key);
    if (it == object.fields().end() || !it->second.has_string_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("no string \"", key, "\" in: ", line));
    }
  }
  return object;
}

}  // namespace evrouter::testing

#endif  // EVROUTER_TESTS_SUPPORT_JSON_LOG_LINE_H_
