// libFuzzer target: the topic matcher against a straightforward reference.
// The input is "PATTERN\nKEY" (no newline: the first half is the pattern).
//
// Invariants: core::TopicMatches agrees with a plain recursive AMQP matcher
// (words separated by '.', `*` exactly one word, `#` zero or more words, an
// empty string has no words) on any bytes; for keys and patterns that pass
// validation, a queue's compiled Bindings agree with it too; validation and
// matching agree (a valid event type is a valid direct key and a valid topic
// pattern, and matches itself).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "server/core/topic_matcher.h"
#include "server/core/validation.h"
#include "tests/fuzz/fuzz_check.h"

namespace evrouter::fuzz {
namespace {

std::vector<absl::string_view> Words(absl::string_view text) {
  if (text.empty()) return {};
  return absl::StrSplit(text, '.');
}

// The reference: recursion over (pattern word, key word), memoized so that
// patterns full of `#` stay polynomial.
class ReferenceMatcher {
 public:
  ReferenceMatcher(absl::string_view pattern, absl::string_view key)
      : pattern_(Words(pattern)),
        key_(Words(key)),
        memo_((pattern_.size() + 1) * (key_.size() + 1), kUnknown) {}

  bool Matches() { return Match(0, 0); }

 private:
  static constexpr int8_t kUnknown = -1;

  bool Match(size_t p, size_t k) {
    int8_t& memo = memo_[p * (key_.size() + 1) + k];
    if (memo == kUnknown) memo = Compute(p, k) ? 1 : 0;
    return memo == 1;
  }

  bool Compute(size_t p, size_t k) {
    if (p == pattern_.size()) return k == key_.size();
    if (pattern_[p] == "#") {
      // Zero words, or one more word and `#` again.
      return Match(p + 1, k) || (k < key_.size() && Match(p, k + 1));
    }
    if (k == key_.size()) return false;
    if (pattern_[p] == "*" || pattern_[p] == key_[k])
      return Match(p + 1, k + 1);
    return false;
  }

  std::vector<absl::string_view> pattern_;
  std::vector<absl::string_view> key_;
  std::vector<int8_t> memo_;
};

std::string Show(absl::string_view pattern, absl::string_view key) {
  return absl::StrCat("pattern '", pattern, "', key '", key, "'");
}

}  // namespace
}  // namespace evrouter::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace evrouter;
  using namespace evrouter::fuzz;
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  size_t split = input.find('\n');
  absl::string_view pattern, key;
  if (split == absl::string_view::npos) {
    pattern = input.substr(0, size / 2);
    key = input.substr(size / 2);
  } else {
    pattern = input.substr(0, split);
    key = input.substr(split + 1);
  }

  const bool matches = core::TopicMatches(pattern, key);
  const bool expected = ReferenceMatcher(pattern, key).Matches();
  Check(matches == expected,
        absl::StrCat("TopicMatches says ", matches, " for ", Show(pattern, key),
                     ", the reference ", expected));

  const bool key_valid = core::ValidateEventType("type", key).ok();
  const bool pattern_valid =
      core::ValidateBindingKey("key", ExchangeKind::kTopic, pattern).ok();
  const bool pattern_direct =
      core::ValidateBindingKey("key", ExchangeKind::kDirect, pattern).ok();
  Check(pattern_direct == core::ValidateEventType("type", pattern).ok(),
        "a direct binding key is not validated as an event type: " +
            Show(pattern, key));
  Check(!core::ValidateBindingKey("key", ExchangeKind::kFanout, pattern).ok(),
        "a fanout binding key was accepted");
  if (pattern_direct) {
    // An event type has no wildcards: a valid topic pattern matching exactly
    // itself.
    Check(pattern_valid, "a valid event type is not a valid topic pattern: " +
                             Show(pattern, key));
    Check(core::TopicMatches(pattern, pattern),
          "an event type does not match itself: " + Show(pattern, key));
  }
  if (pattern_valid) {
    // A valid pattern is non-empty words, each `*`, `#` or a plain word.
    for (absl::string_view word : Words(pattern)) {
      Check(!word.empty() && (word == "*" || word == "#" ||
                              word.find_first_of("*#") == word.npos),
            "an accepted pattern has a bad word: " + Show(pattern, key));
    }
  }
  if (key_valid) {
    Check(key.find_first_of("*#") == key.npos,
          "an accepted event type holds a wildcard");
    if (pattern_valid) {
      // What a queue does with the key: compiled bindings of one pattern,
      // and of the pattern plus an unrelated one.
      absl::StatusOr<std::vector<std::string>> keys =
          core::NormalizeBindings(ExchangeKind::kTopic, {std::string(pattern)});
      Check(keys.ok(), "NormalizeBindings rejects a valid pattern");
      core::Bindings one(ExchangeKind::kTopic, *keys);
      Check(one.Matches(key) == expected,
            "Bindings disagree with the reference: " + Show(pattern, key));
      keys = core::NormalizeBindings(ExchangeKind::kTopic,
                                     {std::string(pattern), "zz.*.none"});
      Check(keys.ok(), "NormalizeBindings rejects two valid patterns");
      core::Bindings two(ExchangeKind::kTopic, *keys);
      const bool other = ReferenceMatcher("zz.*.none", key).Matches();
      Check(two.Matches(key) == (expected || other),
            "two bindings disagree with the reference: " + Show(pattern, key));
    }
    if (pattern_direct) {
      core::Bindings direct(ExchangeKind::kDirect, {std::string(pattern)});
      Check(direct.Matches(key) == (pattern == key),
            "a direct binding matches another type: " + Show(pattern, key));
    }
  }
  return 0;
}
