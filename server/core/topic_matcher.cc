#include "server/core/topic_matcher.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "server/core/validation.h"

namespace evrouter::core {
namespace {

// Walks the dot-separated words of a string without copying. `pos` is the
// start of the current word; past the last word it is size() + 1, so an empty
// string has no words.
class WordCursor {
 public:
  explicit WordCursor(absl::string_view text)
      : text_(text), pos_(text.empty() ? 1 : 0) {
    FindEnd();
  }

  bool done() const { return pos_ > text_.size(); }
  absl::string_view word() const { return text_.substr(pos_, end_ - pos_); }
  void Next() {
    pos_ = end_ + 1;
    FindEnd();
  }

 private:
  void FindEnd() {
    if (done()) return;
    end_ = text_.find('.', pos_);
    if (end_ == absl::string_view::npos) end_ = text_.size();
  }

  absl::string_view text_;
  size_t pos_;
  size_t end_ = 0;
};

bool IsWildcard(absl::string_view word) { return word == "*" || word == "#"; }

bool HasWildcardWord(absl::string_view pattern) {
  for (WordCursor w(pattern); !w.done(); w.Next()) {
    if (IsWildcard(w.word())) return true;
  }
  return false;
}

bool OnlyHashWords(absl::string_view pattern) {
  for (WordCursor w(pattern); !w.done(); w.Next()) {
    if (w.word() != "#") return false;
  }
  return true;
}

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::Status ValidateTopicKey(absl::string_view field, absl::string_view key) {
  if (key.empty()) return Invalid(field, "must not be empty");
  if (key.size() > kMaxBindingKeyBytes) {
    return Invalid(field,
                   absl::StrCat(key.size(), " bytes exceed the limit of ",
                                kMaxBindingKeyBytes));
  }
  if (absl::Status status = ValidateUtf8(field, key); !status.ok())
    return status;
  for (WordCursor w(key); !w.done(); w.Next()) {
    absl::string_view word = w.word();
    if (word.empty()) {
      return Invalid(field,
                     "has an empty word (leading, trailing or double '.')");
    }
    if (IsWildcard(word)) continue;
    if (word.find_first_of("*#") != absl::string_view::npos) {
      return Invalid(field,
                     absl::StrCat("word \"", absl::Utf8SafeCHexEscape(word),
                                  "\": '*' and '#' are wildcards only as a "
                                  "whole word"));
    }
    if (absl::Status status = ValidateEventType(field, word); !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

}  // namespace

// Glob matching over words: `#` is the glob star, `*` matches one word. Only
// the most recent `#` needs to be retried (a later `#` can absorb whatever an
// earlier one would have). Each retry starts one type word further and walks
// at most the rest of the pattern: O(words(pattern) * words(type)).
bool TopicMatches(absl::string_view pattern, absl::string_view type) {
  WordCursor p(pattern);
  WordCursor t(type);
  bool have_star = false;
  WordCursor star_p = p;  // pattern just after the last `#`
  WordCursor star_t = t;  // first type word that `#` has not absorbed yet
  while (!t.done()) {
    if (!p.done()) {
      absl::string_view pw = p.word();
      if (pw == "#") {
        p.Next();
        have_star = true;
        star_p = p;
        star_t = t;
        continue;
      }
      if (pw == "*" || pw == t.word()) {
        p.Next();
        t.Next();
        continue;
      }
    }
    if (!have_star) return false;
    // Let the last `#` absorb one more word and retry from there.
    star_t.Next();
    p = star_p;
    t = star_t;
  }
  while (!p.done() && p.word() == "#") p.Next();
  return p.done();
}

absl::Status ValidateBindingKey(absl::string_view field, ExchangeKind kind,
                                absl::string_view key) {
  switch (kind) {
    case ExchangeKind::kDirect:
      return ValidateEventType(field, key);
    case ExchangeKind::kTopic:
      return ValidateTopicKey(field, key);
    case ExchangeKind::kFanout:
      return Invalid(field, "fanout exchanges take no bindings");
  }
  return Invalid(field, "unknown exchange kind");
}

absl::StatusOr<std::vector<std::string>> NormalizeBindings(
    ExchangeKind kind, std::vector<std::string> keys) {
  if (kind != ExchangeKind::kFanout) {
    if (keys.empty()) {
      return Invalid("bindings",
                     absl::StrCat("a ", ExchangeKindName(kind),
                                  " exchange needs at least one binding key"));
    }
    if (keys.size() > kMaxBindingKeys) {
      return Invalid("bindings",
                     absl::StrCat(keys.size(), " keys exceed the limit of ",
                                  kMaxBindingKeys));
    }
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    if (absl::Status status = ValidateBindingKey(
            absl::StrCat("bindings[", i, "]"), kind, keys[i]);
        !status.ok()) {
      return status;
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

Bindings::Bindings(ExchangeKind kind, std::vector<std::string> keys)
    : kind_(kind), keys_(std::move(keys)) {
  switch (kind_) {
    case ExchangeKind::kFanout:
      match_all_ = true;
      break;
    case ExchangeKind::kDirect:
      exact_.insert(keys_.begin(), keys_.end());
      break;
    case ExchangeKind::kTopic:
      for (const std::string& key : keys_) {
        if (OnlyHashWords(key) && !key.empty()) {
          match_all_ = true;
        } else if (HasWildcardWord(key)) {
          patterns_.push_back(key);
        } else {
          exact_.insert(key);
        }
      }
      break;
  }
}

bool Bindings::Matches(absl::string_view type) const {
  if (match_all_) return true;
  if (exact_.contains(type)) return true;
  return std::any_of(patterns_.begin(), patterns_.end(),
                     [type](const std::string& pattern) {
                       return TopicMatches(pattern, type);
                     });
}

}  // namespace evrouter::core
