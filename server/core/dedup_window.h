#ifndef EVROUTER_SERVER_CORE_DEDUP_WINDOW_H_
#define EVROUTER_SERVER_CORE_DEDUP_WINDOW_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace evrouter::core {

// The event ids committed to one exchange within the last `window`, with the
// offsets they got: idempotent publish. At most `max_ids` are kept; past that
// the oldest are forgotten early, so memory is bounded by configuration, not
// by the publish rate. Not thread-safe; owned by the exchange's single writer.
class DedupWindow {
 public:
  DedupWindow(absl::Duration window, size_t max_ids)
      : window_(window), max_ids_(max_ids) {}

  // The offset `id` was stored at, if it was stored within the window.
  std::optional<uint64_t> Find(const std::string& id) const;

  // Records a committed id (forgetting the oldest past `max_ids`). Calls come
  // in non-decreasing `stored_at` order.
  void Add(const std::string& id, uint64_t offset, absl::Time stored_at);

  // Forgets ids stored before `now - window`.
  void Expire(absl::Time now);

  size_t size() const { return offsets_.size(); }
  bool enabled() const {
    return window_ > absl::ZeroDuration() && max_ids_ > 0;
  }

 private:
  // Drops the oldest entry (unless the id was stored again since).
  void PopOldest();

  struct Entry {
    absl::Time stored_at;
    std::string id;
    uint64_t offset;
  };

  absl::Duration window_;
  size_t max_ids_;
  absl::flat_hash_map<std::string, uint64_t> offsets_;
  std::deque<Entry> by_time_;  // oldest first
};

}  // namespace evrouter::core

#endif  // EVROUTER_SERVER_CORE_DEDUP_WINDOW_H_
