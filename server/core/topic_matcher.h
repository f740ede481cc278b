#ifndef EVROUTER_SERVER_CORE_TOPIC_MATCHER_H_
#define EVROUTER_SERVER_CORE_TOPIC_MATCHER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/records.h"

namespace evrouter::core {

// Fixed limits that are part of the API contract.
inline constexpr size_t kMaxBindingKeys = 64;       // keys per queue
inline constexpr size_t kMaxBindingKeyBytes = 255;  // one key

// True when the event `type` matches the topic `pattern` (AMQP topic
// semantics). Both are dot-separated words; in the pattern the whole word `*`
// matches exactly one word and the whole word `#` matches zero or more words;
// any other word must equal the type's word (case-sensitive). An empty string
// has no words. Runs in O(words(pattern) * words(type)) time, allocates
// nothing. Thread-safe.
bool TopicMatches(absl::string_view pattern, absl::string_view type);

// Checks one binding key for an exchange of `kind`; messages start with
// `field`, e.g. "bindings[2]: ...".
//  - direct: the key must be a valid event type (ValidateEventType).
//  - topic: 1..255 bytes of dot-separated non-empty words, each `*`, `#` or a
//    word valid in an event type (so `*` and `#` only as whole words).
//  - fanout: every key is INVALID_ARGUMENT (fanout exchanges take none).
absl::Status ValidateBindingKey(absl::string_view field, ExchangeKind kind,
                                absl::string_view key);

// Validates the binding keys of a queue on an exchange of `kind` (field names
// "bindings[i]") and returns them sorted with duplicates removed. Direct and
// topic need 1..kMaxBindingKeys keys (counted before deduplication); fanout
// takes none. Errors are INVALID_ARGUMENT; the first violation wins.
absl::StatusOr<std::vector<std::string>> NormalizeBindings(
    ExchangeKind kind, std::vector<std::string> keys);

// The compiled binding keys of one queue: decides which event types the queue
// receives. Immutable after construction, so safe for concurrent use.
class Bindings {
 public:
  // `keys` should be as NormalizeBindings returns them for `kind`.
  Bindings(ExchangeKind kind, std::vector<std::string> keys);

  // True when an event of `type` is routed to the queue: always for fanout;
  // for direct when `type` equals a key; for topic when any pattern matches.
  bool Matches(absl::string_view type) const;

  ExchangeKind kind() const { return kind_; }
  const std::vector<std::string>& keys() const { return keys_; }

 private:
  ExchangeKind kind_;
  std::vector<std::string> keys_;
  bool match_all_ = false;  // fanout, or a topic pattern of only `#` words
  // Direct keys, and topic keys without wildcards: matched by lookup.
  absl::flat_hash_set<std::string> exact_;
  // Topic keys with a wildcard: matched one by one.
  std::vector<std::string> patterns_;
};

}  // namespace evrouter::core

#endif  // EVROUTER_SERVER_CORE_TOPIC_MATCHER_H_
